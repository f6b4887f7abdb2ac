package tensor

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/x448/float16"
)

// Printing limits. A tensor's String is for logs, test failures and the CLI,
// so it must stay short whatever the tensor's size.
const (
	// formatEdgeItems elements are shown at each end of a dimension longer
	// than 2*formatEdgeItems, with "..." between them (numpy's rule).
	formatEdgeItems = 3
	// formatMaxBytes caps the output; a deep tensor whose shown corners alone
	// would exceed it is cut off with "...".
	formatMaxBytes = 4096
)

// String formats t as its type followed by its elements in nested brackets,
// e.g. "float32[2 3] [[1 2 3] [4 5 6]]"; a scalar prints as "int64[] 7".
// Dimensions longer than 6 show their first and last 3 entries around
// "...", and the whole string stays under about 4 KB. Floats print in the
// shortest form that reads back to the same value of t's dtype.
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	f := formatter{t: t}
	f.b.WriteString(t.dtype.String())
	f.b.WriteString(t.shape.String())
	f.b.WriteByte(' ')
	if len(t.shape) == 0 {
		f.element(0)
		return f.b.String()
	}
	f.dim(0, 0)
	if f.full {
		if !strings.HasSuffix(f.b.String(), "[") {
			f.b.WriteByte(' ') // keep the last number apart from the ellipsis
		}
		f.b.WriteString("...")
	}
	return f.b.String()
}

// formatter writes one tensor's elements into b until b reaches formatMaxBytes.
type formatter struct {
	t    *Tensor
	b    strings.Builder
	full bool // b reached formatMaxBytes; nothing more is written
}

// dim writes the sub-tensor of dimension axis that starts at flat element offset.
func (f *formatter) dim(axis, offset int) {
	n := f.t.shape[axis]
	stride := 1
	for _, d := range f.t.shape[axis+1:] {
		stride *= d
	}
	f.b.WriteByte('[')
	for i := 0; i < n; i++ {
		if f.b.Len() >= formatMaxBytes {
			f.full = true
			return
		}
		if i > 0 {
			f.b.WriteByte(' ')
		}
		if n > 2*formatEdgeItems && i == formatEdgeItems {
			f.b.WriteString("...")
			i = n - formatEdgeItems - 1 // the loop's i++ moves to the first tail entry
			continue
		}
		if axis == len(f.t.shape)-1 {
			f.element(offset + i)
		} else {
			f.dim(axis+1, offset+i*stride)
			if f.full {
				return
			}
		}
	}
	f.b.WriteByte(']')
}

// element writes the element at flat index i.
func (f *formatter) element(i int) {
	f.b.WriteString(formatElement(f.t.data, i))
}

// formatElement formats element i of data, a tensor's backing slice.
func formatElement(data any, i int) string {
	switch v := data.(type) {
	case []float32:
		return strconv.FormatFloat(float64(v[i]), 'g', -1, 32)
	case []float64:
		return strconv.FormatFloat(v[i], 'g', -1, 64)
	case []Float16Value:
		return formatHalf(v[i].Float32(), func(y float64) float32 { return float16.Fromfloat32(float32RoundOdd(y)).Float32() })
	case []BFloat16Value:
		return formatHalf(v[i].Float32(), func(y float64) float32 { return BFloat16FromFloat32(float32RoundOdd(y)).Float32() })
	case []int8:
		return strconv.FormatInt(int64(v[i]), 10)
	case []uint8:
		return strconv.FormatInt(int64(v[i]), 10)
	case []int32:
		return strconv.FormatInt(int64(v[i]), 10)
	case []int64:
		return strconv.FormatInt(v[i], 10)
	case []bool:
		return strconv.FormatBool(v[i])
	}
	return "?"
}

// formatHalf formats a 16-bit float (widened to x) with the fewest digits
// that round back to it, so a float16 1/3 prints as 0.3333, not as the
// float32 0.33325195.
func formatHalf(x float32, round func(float64) float32) string {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	for prec := 1; prec < 9; prec++ {
		s := strconv.FormatFloat(float64(x), 'g', prec, 32)
		if y, err := strconv.ParseFloat(s, 64); err == nil && round(y) == x {
			// y has prec digits; reprinting it picks the same layout as the
			// other dtypes (65504 as 65500, not 6.55e+04)
			return strconv.FormatFloat(y, 'g', -1, 64)
		}
	}
	return strconv.FormatFloat(float64(x), 'g', -1, 32)
}

// Summary describes t in one line: type, then min, max and mean over the
// finite elements and the NaN and infinity counts, e.g.
// "float32[2 3] min=-1 max=6 mean=2.5 nan=0 inf=0". Integer tensors omit the
// NaN/Inf counts; bool tensors report how many elements are true. It reads
// every element once, so it suits summarising outputs of any size.
func (t *Tensor) Summary() string {
	if t == nil {
		return "<nil>"
	}
	head := t.dtype.String() + t.shape.String()
	if t.NumElements() == 0 {
		return head + " empty"
	}
	switch v := t.data.(type) {
	case []float32:
		return head + summarizeFloats(v, func(x float32) float64 { return float64(x) }, t.data)
	case []float64:
		return head + summarizeFloats(v, func(x float64) float64 { return x }, t.data)
	case []Float16Value:
		return head + summarizeFloats(v, func(x Float16Value) float64 { return float64(x.Float32()) }, t.data)
	case []BFloat16Value:
		return head + summarizeFloats(v, func(x BFloat16Value) float64 { return float64(x.Float32()) }, t.data)
	case []int8:
		return head + summarizeInts(v)
	case []uint8:
		return head + summarizeInts(v)
	case []int32:
		return head + summarizeInts(v)
	case []int64:
		return head + summarizeInts(v)
	case []bool:
		n := 0
		for _, x := range v {
			if x {
				n++
			}
		}
		return fmt.Sprintf("%s true=%d false=%d", head, n, len(v)-n)
	}
	return head
}

// summarizeFloats returns the " min=... max=... mean=... nan=N inf=N" tail of
// Summary for a float slice v; data is v again, for formatElement.
func summarizeFloats[T float32 | float64 | Float16Value | BFloat16Value](v []T, wide func(T) float64, data any) string {
	lo, hi := -1, -1 // indices of the smallest and largest finite element
	var sum float64
	var nan, inf, finite int
	for i, e := range v {
		x := wide(e)
		switch {
		case math.IsNaN(x):
			nan++
			continue
		case math.IsInf(x, 0):
			inf++
			continue
		}
		finite++
		sum += x
		if lo < 0 || x < wide(v[lo]) {
			lo = i
		}
		if hi < 0 || x > wide(v[hi]) {
			hi = i
		}
	}
	if finite == 0 {
		return fmt.Sprintf(" no finite values nan=%d inf=%d", nan, inf)
	}
	return fmt.Sprintf(" min=%s max=%s mean=%.6g nan=%d inf=%d",
		formatElement(data, lo), formatElement(data, hi), sum/float64(finite), nan, inf)
}

// summarizeInts returns the " min=... max=... mean=..." tail of Summary for
// an integer slice v; min and max are exact, the mean is accumulated in float64.
func summarizeInts[T int8 | uint8 | int32 | int64](v []T) string {
	lo, hi := v[0], v[0]
	var sum float64
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
		sum += float64(x)
	}
	return fmt.Sprintf(" min=%d max=%d mean=%.6g", lo, hi, sum/float64(len(v)))
}
