//go:build linux

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGuardBinaryAndReduce runs the binary kernels (row by row, row by
// scalar on either side) and the row reductions on every length from 1 to
// past several vectors and on one past a call's chunk, every buffer flush
// against guard pages (the AVX-512 binary kernels' masked tails must not
// touch the page after a row), against the generic path.
func TestGuardBinaryAndReduce(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	lengths := []int{binChunk + 17, reduceChunk + 9}
	for n := 1; n <= 49; n++ {
		lengths = append(lengths, n)
	}
	for _, isa := range paths(t) {
		for li, n := range lengths {
			a, b := randSlice(r, n), randSlice(r, n)
			if li%5 == 3 {
				a[r.IntN(n)] = float32(math.NaN())
			}
			for _, start := range placements {
				what := fmt.Sprintf("%s n=%d %s", isa.Name, n, placeName(start))
				gd := newGuard(t, start)
				ga, gb, gdst := guardCopy(gd, a), guardCopy(gd, b), guardCopy(gd, make([]float32, n))
				for op := BinAdd; op < numBinOps; op++ {
					want := make([]float32, n)
					Generic.Binary(op, want, a, b)
					if noFault(t, fmt.Sprintf("%s op %d", what, op), func() { isa.Binary(op, gdst, ga, gb) }) {
						closeTo(t, fmt.Sprintf("%s op %d", what, op), want, gdst, 0)
					}
					for _, first := range []bool{false, true} {
						Generic.BinaryScalar(op, want, a, 1.75, first)
						w := fmt.Sprintf("%s op %d scalar first %v", what, op, first)
						if noFault(t, w, func() { isa.BinaryScalar(op, gdst, ga, 1.75, first) }) {
							closeTo(t, w, want, gdst, 0)
						}
					}
				}
				var sum float64
				var mx, mn float32
				if noFault(t, what+" reduce", func() { sum, mx, mn = isa.SumRow(ga), isa.MaxRow(ga), isa.MinRow(ga) }) {
					closeTo(t, what+" sum", []float32{float32(Generic.SumRow(a))}, []float32{float32(sum)}, 1e-6)
					closeTo(t, what+" max/min", []float32{Generic.MaxRow(a), Generic.MinRow(a)}, []float32{mx, mn}, 0)
				}
				gd.free()
			}
		}
	}
}
