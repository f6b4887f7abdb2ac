package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// binary64 is x op y in float64 rounded once to float32: for +, −, × and ÷
// of float32 operands that is the correctly rounded float32 result, which
// IEEE float32 arithmetic must give exactly.
func binary64(op BinOp, x, y float32) float32 {
	a, b := float64(x), float64(y)
	switch op {
	case BinAdd:
		return float32(a + b)
	case BinSub:
		return float32(a - b)
	case BinMul:
		return float32(a * b)
	}
	return float32(a / b)
}

// binaryOperands returns n floats mixing ordinary values with zeros of
// both signs, infinities and NaN.
func binaryOperands(r *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, 3e38}
	x := make([]float32, n)
	for i := range x {
		if r.IntN(5) == 0 {
			x[i] = special[r.IntN(len(special))]
		} else {
			x[i] = float32(r.NormFloat64() * 10)
		}
	}
	return x
}

func requireSameBits(t *testing.T, got []float32, want func(i int) float32, msg string) {
	t.Helper()
	for i, g := range got {
		w := want(i)
		if w != w {
			require.True(t, g != g, "%s [%d]: got %v, want NaN", msg, i, g)
			continue
		}
		require.Equal(t, math.Float32bits(w), math.Float32bits(g), "%s [%d]: got %v, want %v", msg, i, g, w)
	}
}

// TestBinary checks Binary and BinaryScalar on every kernel path against
// float64 arithmetic, over lengths 1 … 2·16+3 (every tail of both vector
// widths), a few longer rows crossing binChunk, and IEEE special values
// (x/0 = ±Inf, 0/0 = NaN). The guard floats after d must stay untouched.
func TestBinary(t *testing.T) {
	lengths := []int{}
	for n := 1; n <= 2*16+3; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 100, binChunk+5, 2*binChunk+37)
	for _, isa := range Available() {
		r := rand.New(rand.NewPCG(3, 5))
		for op := BinAdd; op < numBinOps; op++ {
			for _, n := range lengths {
				a, b := binaryOperands(r, n), binaryOperands(r, n)
				const guard = 17
				d := make([]float32, n+guard)
				for i := range d {
					d[i] = 42
				}
				msg := fmt.Sprintf("%s op %d n %d", isa.Name, op, n)
				isa.Binary(op, d[:n], a, b)
				requireSameBits(t, d[:n], func(i int) float32 { return binary64(op, a[i], b[i]) }, msg+" vv")
				for _, s := range []float32{b[0], 0, float32(math.Inf(-1)), float32(math.NaN())} {
					for _, first := range []bool{false, true} {
						isa.BinaryScalar(op, d[:n], a, s, first)
						requireSameBits(t, d[:n], func(i int) float32 {
							if first {
								return binary64(op, s, a[i])
							}
							return binary64(op, a[i], s)
						}, fmt.Sprintf("%s scalar %v first %v", msg, s, first))
					}
				}
				for _, g := range d[n:] {
					require.Equal(t, float32(42), g, "%s: wrote past the end", msg)
				}
			}
		}
	}
}

// BenchmarkBinary compares each path's binary kernels on one thread, in
// bytes moved (two rows read, one written; scalar: one read, one written).
func BenchmarkBinary(b *testing.B) {
	const n = 4096 + 5 // in L1/L2, so the kernels rather than DRAM are measured
	r := rand.New(rand.NewPCG(1, 2))
	x, y := binaryOperands(r, n), binaryOperands(r, n)
	for i := range y {
		y[i] = float32(r.Float64() + 1)
	}
	d := make([]float32, n)
	for _, isa := range Available() {
		for op, name := range []string{"add", "sub", "mul", "div"} {
			b.Run(fmt.Sprintf("%s/%s/vv", isa.Name, name), func(b *testing.B) {
				b.SetBytes(3 * 4 * n)
				for b.Loop() {
					isa.Binary(BinOp(op), d, x, y)
				}
			})
			b.Run(fmt.Sprintf("%s/%s/sv", isa.Name, name), func(b *testing.B) {
				b.SetBytes(2 * 4 * n)
				for b.Loop() {
					isa.BinaryScalar(BinOp(op), d, y, 1.5, true)
				}
			})
		}
	}
}
