package kernels

// lanesFunc stores at out extremeAccs vectors of running extremes over n
// floats (n a positive multiple of the vector width), NaN propagating.
type lanesFunc func(x *float32, n int, out *float32)

// reduceKernels are an ISA's vector kernels for reduce_max and reduce_min
// rows (nil: Go does the row); the sums use rows.sum.
type reduceKernels struct {
	max, min lanesFunc
}

// reduceChunk bounds the floats one reduction-kernel call reads (a multiple
// of every vector width): about a µs per call.
const reduceChunk = 1 << 12

// SumRow returns the sum of x in float64 (the vector kernel's float64 lanes,
// then the tail): as close to ref's float64 sum as the order allows.
func (isa *ISA) SumRow(x []float32) float64 {
	v := 0
	var sum float64
	if isa.rows.sum != nil && len(x) >= isa.lanes {
		v = len(x) - len(x)%isa.lanes
		for c := 0; c < v; c += reduceChunk {
			sum += isa.rows.sum(&x[c], min(reduceChunk, v-c))
		}
	}
	for _, e := range x[v:] {
		sum += float64(e)
	}
	return sum
}

// MaxRow returns the largest of x (at least one float), NaN if any is NaN.
func (isa *ISA) MaxRow(x []float32) float32 { return isa.extremeRow(isa.red.max, x, true) }

// MinRow returns the smallest of x (at least one float), NaN if any is NaN.
func (isa *ISA) MinRow(x []float32) float32 { return isa.extremeRow(isa.red.min, x, false) }

// extremeAccs is how many vectors a lanesFunc stores (_asm/reduce.go).
const extremeAccs = 4

func (isa *ISA) extremeRow(f lanesFunc, x []float32, isMax bool) float32 {
	m := x[0]
	v := 0
	if f != nil && len(x) >= isa.lanes {
		v = len(x) - len(x)%isa.lanes
		var lanes [extremeAccs * 16]float32
		for c := 0; c < v; c += reduceChunk {
			f(&x[c], min(reduceChunk, v-c), &lanes[0])
			m = extremeGo(m, lanes[:extremeAccs*isa.lanes], isMax)
		}
	}
	return extremeGo(m, x[v:], isMax)
}

// extremeGo folds x into m: a NaN in either makes the result NaN, as ref's
// comparison (v > acc || v != v) does.
func extremeGo(m float32, x []float32, isMax bool) float32 {
	if m != m {
		return m
	}
	for _, e := range x {
		switch {
		case e != e:
			return e
		case isMax && e > m, !isMax && e < m:
			m = e
		}
	}
	return m
}
