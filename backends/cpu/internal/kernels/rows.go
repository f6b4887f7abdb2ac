package kernels

import "math"

// rowKernels are an ISA's vector kernels for the rows of softmax and
// layer_norm; each takes n, a positive multiple of the ISA's vector width.
// Nil fields: the ISA has none (Go does the whole row).
type rowKernels struct {
	max         func(x *float32, n int) float32
	expShiftSum func(x, y *float32, n int, m float32) float64
	scale       func(y *float32, n int, s float32)
	sum         func(x *float32, n int) float64
	sqDev       func(x *float32, n int, mean float64) float64
	norm        func(x, y, g, b *float32, n int, mean, inv float64)
}

// rowChunk bounds the floats one row-kernel call handles (a multiple of
// every vector width), so a long row never keeps the scheduler waiting:
// about 10 µs per call.
const rowChunk = 1 << 14

// vecPart is how much of n floats the row kernels take (a multiple of the
// vector width), 0 when the ISA has none.
func (isa *ISA) vecPart(n int) int {
	if isa.rows.max == nil || n < isa.lanes {
		return 0
	}
	return n - n%isa.lanes
}

// SoftmaxRow sets y to the softmax of x (same length, at least one):
// exponentials of x − max by the vector kernel (within a few ulps of
// float64's), their sum in float64, then one scale by the rounded 1/sum.
func (isa *ISA) SoftmaxRow(x, y []float32) {
	n := len(x)
	y = y[:n]
	v := isa.vecPart(n)
	k := &isa.rows
	mx := x[0]
	for c := 0; c < v; c += rowChunk {
		if m := k.max(&x[c], min(rowChunk, v-c)); c == 0 || m > mx || m != m {
			mx = m
		}
	}
	for _, e := range x[v:] {
		if e > mx || e != e {
			mx = e
		}
	}
	var sum float64
	if v > 0 {
		for c := 0; c < v; c += rowChunk {
			sum += k.expShiftSum(&x[c], &y[c], min(rowChunk, v-c), mx)
		}
		for i := v; i < n; i++ {
			y[i] = float32(math.Exp(float64(x[i] - mx)))
			sum += float64(y[i])
		}
	} else {
		for i, e := range x {
			y[i] = e - mx
		}
		isa.ApplyAct(Activation{Kind: ActExpNeg}, y)
		for _, e := range y {
			sum += float64(e)
		}
	}
	inv := float32(1 / sum)
	for c := 0; c < v; c += rowChunk {
		k.scale(&y[c], min(rowChunk, v-c), inv)
	}
	for i := v; i < n; i++ {
		y[i] *= inv
	}
}

// LayerNormRow sets y = (x − mean)/√(var + eps)·g + b over one row (g and b
// as long as x; b nil for none): mean and variance (two passes) and the
// output in float64, rounded once, as ref computes them.
func (isa *ISA) LayerNormRow(x, y, g, b []float32, eps float64) {
	n := len(x)
	y, g = y[:n], g[:n]
	if b != nil {
		b = b[:n]
	}
	v := isa.vecPart(n)
	if b == nil {
		v = 0 // the vector kernel always adds b
	}
	k := &isa.rows
	var sum float64
	for c := 0; c < v; c += rowChunk {
		sum += k.sum(&x[c], min(rowChunk, v-c))
	}
	for _, e := range x[v:] {
		sum += float64(e)
	}
	mean := sum / float64(n)
	var sq float64
	for c := 0; c < v; c += rowChunk {
		sq += k.sqDev(&x[c], min(rowChunk, v-c), mean)
	}
	for _, e := range x[v:] {
		d := float64(e) - mean
		sq += d * d
	}
	inv := 1 / math.Sqrt(sq/float64(n)+eps)
	for c := 0; c < v; c += rowChunk {
		k.norm(&x[c], &y[c], &g[c], &b[c], min(rowChunk, v-c), mean, inv)
	}
	for i := v; i < n; i++ {
		o := (float64(x[i]) - mean) * inv * float64(g[i])
		if b != nil {
			o += float64(b[i])
		}
		y[i] = float32(o)
	}
}
