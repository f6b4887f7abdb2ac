package tensor

import (
	"fmt"
	"math"
)

// Tolerance is the closeness rule |got − want| ≤ ATol + RTol·|want| (ONNX's).
type Tolerance struct {
	RTol, ATol float64
}

// Comparison is the result of comparing two tensors element by element.
type Comparison struct {
	// Equal is true when shapes and dtypes match and every element is within tolerance.
	Equal bool
	// Reason explains a failure in one line; empty when Equal.
	Reason string
	// MaxAbsErr and MaxRelErr are the largest |got−want| and |got−want|/|want|
	// over finite elements (MaxRelErr skips want == 0).
	MaxAbsErr, MaxRelErr float64
	// Mismatches counts elements outside tolerance.
	Mismatches int
	// FirstMismatch is the multi-index of the first mismatching element, nil if none.
	FirstMismatch []int
	// Got and Want are the values at FirstMismatch.
	Got, Want float64
}

// String summarises the comparison in one line.
func (c Comparison) String() string {
	if c.Equal {
		return fmt.Sprintf("equal (max abs err %.3g, max rel err %.3g)", c.MaxAbsErr, c.MaxRelErr)
	}
	if c.FirstMismatch == nil {
		return c.Reason
	}
	return fmt.Sprintf("%s: %d mismatches, first at %v: got %v want %v (max abs err %.3g, max rel err %.3g)",
		c.Reason, c.Mismatches, c.FirstMismatch, c.Got, c.Want, c.MaxAbsErr, c.MaxRelErr)
}

// Compare checks got against want under tol. NaN equals NaN; an infinity
// equals only the same infinity. Integer and bool tensors are compared
// exactly regardless of tol.
func Compare(got, want *Tensor, tol Tolerance) Comparison {
	switch {
	case got == nil || want == nil:
		return Comparison{Reason: "nil tensor"}
	case got.dtype != want.dtype:
		return Comparison{Reason: fmt.Sprintf("dtype %v, want %v", got.dtype, want.dtype)}
	case !got.shape.Equal(want.shape):
		return Comparison{Reason: fmt.Sprintf("shape %v, want %v", got.shape, want.shape)}
	}
	if !got.dtype.IsFloat() {
		tol = Tolerance{}
	}
	var c Comparison
	first := -1
	if got.dtype == Int64 { // exact: int64 does not survive a float64 round trip
		g, w := got.data.([]int64), want.data.([]int64)
		for i := range g {
			if g[i] != w[i] {
				c.Mismatches++
				// subtract in uint64: exact even where float64 would round
				// (2^53+1 vs 2^53) or int64 would overflow (MaxInt64 vs MinInt64)
				diff := uint64(g[i]) - uint64(w[i])
				if g[i] < w[i] {
					diff = uint64(w[i]) - uint64(g[i])
				}
				d := float64(diff)
				c.MaxAbsErr = math.Max(c.MaxAbsErr, d)
				if w[i] != 0 {
					c.MaxRelErr = math.Max(c.MaxRelErr, d/math.Abs(float64(w[i])))
				}
				if first < 0 {
					first, c.Got, c.Want = i, float64(g[i]), float64(w[i])
				}
			}
		}
	} else {
		g, w := got.Float64s(), want.Float64s()
		for i := range g {
			if closeEnough(g[i], w[i], tol, &c) {
				continue
			}
			c.Mismatches++
			if first < 0 {
				first, c.Got, c.Want = i, g[i], w[i]
			}
		}
	}
	if c.Mismatches == 0 {
		c.Equal = true
		return c
	}
	c.Reason = fmt.Sprintf("values differ beyond rtol=%g atol=%g", tol.RTol, tol.ATol)
	c.FirstMismatch = unravel(first, got.shape)
	return c
}

func closeEnough(g, w float64, tol Tolerance, c *Comparison) bool {
	switch {
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g)
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return g == w
	}
	d := math.Abs(g - w)
	c.MaxAbsErr = math.Max(c.MaxAbsErr, d)
	if w != 0 {
		c.MaxRelErr = math.Max(c.MaxRelErr, d/math.Abs(w))
	}
	return d <= tol.ATol+tol.RTol*math.Abs(w)
}

// unravel turns a flat row-major index into a multi-index of shape s.
func unravel(flat int, s Shape) []int {
	idx := make([]int, len(s))
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] > 0 {
			idx[i] = flat % s[i]
			flat /= s[i]
		}
	}
	return idx
}
