package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReduceRows checks SumRow, MaxRow and MinRow on every kernel path
// against float64 definitions written here: lengths 1 … 2·16+3 and rows
// longer than one call's chunk; rows with a NaN (anywhere: first lane, a
// middle vector, the tail), with ±Inf, and with every value equal.
func TestReduceRows(t *testing.T) {
	lengths := []int{}
	for n := 1; n <= 2*16+3; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 100, 773, 2*rowChunk+37)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, isa := range Available() {
		r := rand.New(rand.NewPCG(7, 11))
		for _, n := range lengths {
			for variant := range 6 {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 100)
				}
				switch variant {
				case 1:
					x[r.IntN(n)] = nan
				case 2:
					x[0] = nan
				case 3:
					x[n-1] = nan
				case 4:
					x[r.IntN(n)], x[r.IntN(n)] = inf, -inf
				case 5:
					for i := range x {
						x[i] = -3
					}
				}
				msg := fmt.Sprintf("%s n %d variant %d", isa.Name, n, variant)
				var sum, sumAbs float64
				mx, mn := math.Inf(-1), math.Inf(1)
				hasNaN := false
				for _, v := range x {
					f := float64(v)
					sum += f
					sumAbs += math.Abs(f)
					hasNaN = hasNaN || math.IsNaN(f)
					mx, mn = math.Max(mx, f), math.Min(mn, f)
				}
				got := isa.SumRow(x)
				switch {
				case math.IsNaN(sum):
					require.True(t, math.IsNaN(got), "%s sum: got %v, want NaN", msg, got)
				default:
					// float64 sums in another order: a few ulps of Σ|x|.
					require.InDelta(t, sum, got, 1e-13*sumAbs+1e-300, "%s sum", msg)
				}
				for _, c := range []struct {
					name string
					got  float32
					want float64
				}{{"max", isa.MaxRow(x), mx}, {"min", isa.MinRow(x), mn}} {
					if hasNaN {
						require.True(t, c.got != c.got, "%s %s: got %v, want NaN", msg, c.name, c.got)
						continue
					}
					require.Equal(t, float32(c.want), c.got, "%s %s", msg, c.name)
				}
			}
		}
	}
}

// BenchmarkReduceRows compares each path's row reductions on one thread,
// in bytes read.
func BenchmarkReduceRows(b *testing.B) {
	const n = 4096 + 5
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	var sink float64
	for _, isa := range Available() {
		for _, k := range []struct {
			name string
			f    func([]float32) float64
		}{
			{"sum", isa.SumRow},
			{"max", func(x []float32) float64 { return float64(isa.MaxRow(x)) }},
			{"min", func(x []float32) float64 { return float64(isa.MinRow(x)) }},
		} {
			b.Run(isa.Name+"/"+k.name, func(b *testing.B) {
				b.SetBytes(4 * n)
				for b.Loop() {
					sink += k.f(x)
				}
			})
		}
	}
	_ = sink
}
