//go:build linux

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGuardRows runs the softmax and layer_norm row kernels on every
// length from 1 to past several vectors and on one past a chunk, x, y, g
// and b flush against guard pages, against the generic path; a NaN or an
// infinity is planted in some rows.
func TestGuardRows(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	lengths := []int{rowChunk + 17}
	for n := 1; n <= 49; n++ {
		lengths = append(lengths, n)
	}
	for _, isa := range paths(t) {
		cases := 0
		for li, n := range lengths {
			x, g, b := randSlice(r, n), randSlice(r, n), randSlice(r, n)
			for i := range x {
				x[i] *= 8
			}
			switch li % 9 {
			case 4:
				x[r.IntN(n)] = float32(math.NaN())
			case 7:
				x[r.IntN(n)] = float32(math.Inf(-1))
			}
			const eps = 1e-5
			wantSm, wantLn, wantLnNoB := make([]float32, n), make([]float32, n), make([]float32, n)
			Generic.SoftmaxRow(x, wantSm)
			Generic.LayerNormRow(x, wantLn, g, b, eps)
			Generic.LayerNormRow(x, wantLnNoB, g, nil, eps)
			for _, start := range placements {
				cases++
				what := fmt.Sprintf("%s rows n=%d %s", isa.Name, n, placeName(start))
				gd := newGuard(t, start)
				gx, gg, gb := guardCopy(gd, x), guardCopy(gd, g), guardCopy(gd, b)
				y := guardCopy(gd, randSlice(r, n))
				if noFault(t, what+" softmax", func() { isa.SoftmaxRow(gx, y) }) {
					closeTo(t, what+" softmax", wantSm, y, 1e-6)
				}
				if noFault(t, what+" layer_norm", func() { isa.LayerNormRow(gx, y, gg, gb, eps) }) {
					closeTo(t, what+" layer_norm", wantLn, y, 1e-6)
				}
				if noFault(t, what+" layer_norm without b", func() { isa.LayerNormRow(gx, y, gg, nil, eps) }) {
					closeTo(t, what+" layer_norm without b", wantLnNoB, y, 1e-6)
				}
				// In place: y is x.
				gy := guardCopy(gd, x)
				if noFault(t, what+" softmax in place", func() { isa.SoftmaxRow(gy, gy) }) {
					closeTo(t, what+" softmax in place", wantSm, gy, 1e-6)
				}
				gd.free()
			}
		}
		t.Logf("%s: %d row cases (softmax, layer_norm with and without b, softmax in place)", isa.Name, cases)
	}
}

// TestGuardRowsRejectBadArgs: an output, scale or bias shorter than the
// row, or an empty row, is a Go panic before any kernel runs.
func TestGuardRowsRejectBadArgs(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	const n = 37
	cases := []struct {
		name string
		call func(isa *ISA, g *guardPages)
	}{
		{"SoftmaxRow/y short", func(isa *ISA, g *guardPages) {
			isa.SoftmaxRow(guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n-1)))
		}},
		{"SoftmaxRow/empty row", func(isa *ISA, g *guardPages) { isa.SoftmaxRow(nil, guardCopy(g, randSlice(r, n))) }},
		{"LayerNormRow/y short", func(isa *ISA, g *guardPages) {
			isa.LayerNormRow(guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n-1)), guardCopy(g, randSlice(r, n)), nil, 1e-5)
		}},
		{"LayerNormRow/g short", func(isa *ISA, g *guardPages) {
			isa.LayerNormRow(guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n-1)), nil, 1e-5)
		}},
		{"LayerNormRow/b short", func(isa *ISA, g *guardPages) {
			isa.LayerNormRow(guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n)), guardCopy(g, randSlice(r, n-1)), 1e-5)
		}},
	}
	for _, isa := range paths(t) {
		for _, c := range cases {
			t.Run(isa.Name+"/"+c.name, func(t *testing.T) {
				g := newGuard(t, false)
				defer g.free()
				p := catch(func() { c.call(isa, g) })
				addr, fault := faultAddr(p)
				require.False(t, fault, "the kernel touched memory outside its buffers (fault at %#x)", addr)
				require.NotNil(t, p, "the call was accepted: the wrapper must refuse it")
				require.Regexp(t, `^kernels: |index out of range|slice bounds out of range`, fmt.Sprint(p))
			})
		}
	}
}
