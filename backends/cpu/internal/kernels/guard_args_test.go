//go:build linux

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// badArgs is a wrapper call with one argument wrong (a buffer one element
// short, a negative stride, weights packed for another ISA, offsets past
// the input), its buffers flush against guard pages.
type badArgs struct {
	name  string
	start bool // buffers start right after a guard page (negative strides reach before them)
	call  func(g *guardPages, isa *ISA)
}

// TestGuardWrappersRejectBadArgs: every wrapper must refuse an argument
// that would make its assembly read or write outside a buffer with a Go
// panic (an index check or a "kernels: …" message), before the assembly
// runs: never a memory fault, never a silent out-of-bounds access.
func TestGuardWrappersRejectBadArgs(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	f := func(g *guardPages, n int) []float32 { return guardCopy(g, randSlice(r, n)) }
	i64 := func(g *guardPages, v ...int64) []int64 { return guardCopy(g, v) }
	const M, N, K = 7, 16, 9
	packed := func(g *guardPages, isa *ISA) *PackedB {
		pb := isa.PackB(K, N, func(k, n int) float32 { return float32(k - n) })
		pb.Data = guardCopy(g, pb.Data)
		return pb
	}
	gemm := func(isa *ISA, g *guardPages, a []float32, lda int, b *PackedB, c []float32, ldc int, ep *Epilogue) {
		isa.Gemm(new(Scratch), a, lda, b, c, ldc, ep, 0, M, 0, b.Panels())
	}
	other := func(isa *ISA) *ISA { // an ISA with another panel width, if this machine has one
		for _, o := range Available() {
			if o.NR != isa.NR {
				return o
			}
		}
		return nil
	}
	cases := []badArgs{
		{name: "Gemm/A short", call: func(g *guardPages, isa *ISA) { gemm(isa, g, f(g, M*K-1), K, packed(g, isa), f(g, M*N), N, nil) }},
		{name: "Gemm/C short", call: func(g *guardPages, isa *ISA) { gemm(isa, g, f(g, M*K), K, packed(g, isa), f(g, M*N-1), N, nil) }},
		{name: "Gemm/bias short", call: func(g *guardPages, isa *ISA) {
			gemm(isa, g, f(g, M*K), K, packed(g, isa), f(g, M*N), N, &Epilogue{Bias: f(g, N-1)})
		}},
		{name: "Gemm/residual short", call: func(g *guardPages, isa *ISA) {
			gemm(isa, g, f(g, M*K), K, packed(g, isa), f(g, M*N), N, &Epilogue{Residual: f(g, M*N-1), LDR: N})
		}},
		{name: "Gemm/packed B short", call: func(g *guardPages, isa *ISA) {
			b := packed(g, isa)
			b.Data = b.Data[:len(b.Data)-1]
			gemm(isa, g, f(g, M*K), K, b, f(g, M*N), N, nil)
		}},
		{name: "Gemm/B packed for another ISA", call: func(g *guardPages, isa *ISA) {
			o := other(isa)
			if o == nil {
				o = &ISA{NR: isa.NR * 2, MR: isa.MR, Name: "wider"}
			}
			gemm(isa, g, f(g, M*K), K, packed(g, o), f(g, M*N), N, nil)
		}},
		{name: "Gemm/negative ldc", start: true, call: func(g *guardPages, isa *ISA) {
			gemm(isa, g, f(g, M*K), K, packed(g, isa), f(g, M*N), -1, nil)
		}},
		{name: "Gemm/negative lda", start: true, call: func(g *guardPages, isa *ISA) {
			gemm(isa, g, f(g, M*K), -1, packed(g, isa), f(g, M*N), N, nil)
		}},
		{name: "Gemm/negative residual stride", start: true, call: func(g *guardPages, isa *ISA) {
			gemm(isa, g, f(g, M*K), K, packed(g, isa), f(g, M*N), N, &Epilogue{Residual: f(g, M*N), LDR: -1})
		}},
		{name: "GemmPacked/C short", call: func(g *guardPages, isa *ISA) {
			b := packed(g, isa)
			isa.GemmPacked(new(Scratch), slicePacker{f(g, M*K), K}, b, f(g, M*N-1), N, nil, 0, M, 0, b.Panels())
		}},
		{name: "GemmPacked/packed B short", call: func(g *guardPages, isa *ISA) {
			b := packed(g, isa)
			b.Data = b.Data[:len(b.Data)-1]
			isa.GemmPacked(new(Scratch), slicePacker{f(g, M*K), K}, b, f(g, M*N), N, nil, 0, M, 0, b.Panels())
		}},
		{name: "GemmPacked/negative ldc", start: true, call: func(g *guardPages, isa *ISA) {
			b := packed(g, isa)
			isa.GemmPacked(new(Scratch), slicePacker{f(g, M*K), K}, b, f(g, M*N), -1, nil, 0, M, 0, b.Panels())
		}},
	}
	// Indirect GEMM: 3 segments of 3, so B's K = 9.
	igemm := func(isa *ISA, g *guardPages, in []float32, rows, segs []int64, b *PackedB, c []float32, ldc int, ep *Epilogue) {
		if !isa.Indirect() {
			panic("kernels: skip")
		}
		isa.GemmIndirect(new(ConvScratch), in, rows, segs, 3, b, c, ldc, ep, 0, b.Panels())
	}
	rowOffs := func(g *guardPages) []int64 { return i64(g, 0, 4, 8, 40, 12, 16, 20) }
	segOffs := func(g *guardPages) []int64 { return i64(g, 0, 20, 40) }
	cases = append(cases,
		badArgs{name: "GemmIndirect/input short", call: func(g *guardPages, isa *ISA) {
			igemm(isa, g, f(g, 10+10+3-1), rowOffs(g), segOffs(g), packed(g, isa), f(g, M*N), N, nil)
		}},
		badArgs{name: "GemmIndirect/offsets overflowing", call: func(g *guardPages, isa *ISA) {
			huge := int64(math.MaxInt64/16) * 12 // a multiple of 4; two of them overflow int64
			igemm(isa, g, f(g, 100), i64(g, 0, 0, 0, 0, 0, 0, huge), i64(g, 0, 0, huge), packed(g, isa), f(g, M*N), N, nil)
		}},
		badArgs{name: "GemmIndirect/C short", call: func(g *guardPages, isa *ISA) {
			igemm(isa, g, f(g, 100), rowOffs(g), segOffs(g), packed(g, isa), f(g, M*N-1), N, nil)
		}},
		badArgs{name: "GemmIndirect/negative ldc", start: true, call: func(g *guardPages, isa *ISA) {
			igemm(isa, g, f(g, 100), rowOffs(g), segOffs(g), packed(g, isa), f(g, M*N), -1, nil)
		}},
		badArgs{name: "GemmIndirect/negative residual stride", start: true, call: func(g *guardPages, isa *ISA) {
			igemm(isa, g, f(g, 100), rowOffs(g), segOffs(g), packed(g, isa), f(g, M*N), N, &Epilogue{Residual: f(g, M*N), LDR: -1})
		}},
		badArgs{name: "GemmIndirect/B packed for another ISA", call: func(g *guardPages, isa *ISA) {
			o := other(isa)
			if o == nil {
				o = &ISA{NR: isa.NR * 2, MR: isa.MR, Name: "wider"}
			}
			igemm(isa, g, f(g, 100), rowOffs(g), segOffs(g), packed(g, o), f(g, M*N), N, nil)
		}},
	)
	// Depthwise and pooling over 4 pixels × 2 taps, C channels, the input
	// holding 3 pixels: one offset (pixel 3) one float past it.
	const C = 17
	dwOffs := func(g *guardPages, last int64) []int64 { return i64(g, 0, -1, C*4, 0, 2*C*4, C*4, -1, last) }
	dw := func(isa *ISA, g *guardPages, out []float32, outStride int, in []float32, offs []int64) {
		isa.Depthwise(new(Scratch), out, outStride, in, offs, 2, f(g, 2*C), C, f(g, C), guardCopy(g, make([]float32, C)), Activation{}, 0, 4)
	}
	pool := func(isa *ISA, g *guardPages, out []float32, outStride int, in []float32, offs []int64) {
		isa.Pool(out, outStride, in, offs, 2, C, f(g, 4), 0, 4)
	}
	for _, k := range []struct {
		name string
		run  func(*ISA, *guardPages, []float32, int, []float32, []int64)
	}{{"Depthwise", dw}, {"Pool", pool}} {
		cases = append(cases,
			badArgs{name: k.name + "/offset past the input", call: func(g *guardPages, isa *ISA) {
				k.run(isa, g, f(g, 4*C), C, f(g, 3*C), dwOffs(g, 2*C*4+4))
			}},
			badArgs{name: k.name + "/input short", call: func(g *guardPages, isa *ISA) {
				k.run(isa, g, f(g, 4*C), C, f(g, 3*C-1), dwOffs(g, 2*C*4))
			}},
			badArgs{name: k.name + "/offset overflowing", call: func(g *guardPages, isa *ISA) {
				k.run(isa, g, f(g, 4*C), C, f(g, 3*C), dwOffs(g, math.MaxInt64-3))
			}},
			badArgs{name: k.name + "/out short", call: func(g *guardPages, isa *ISA) {
				k.run(isa, g, f(g, 4*C-1), C, f(g, 3*C), dwOffs(g, 2*C*4))
			}},
			badArgs{name: k.name + "/negative out stride", start: true, call: func(g *guardPages, isa *ISA) {
				k.run(isa, g, f(g, 4*C), -1, f(g, 3*C), dwOffs(g, 2*C*4))
			}},
		)
	}
	// The row kernels: 5 pixels of kw 3, stride 2, over 2 rows (span 11 pixels).
	dwRow := func(isa *ISA, g *guardPages, out, in []float32, inOff, rowStride int, w, bias []float32) {
		if !isa.HasDepthwiseRow(3, 2) {
			panic("kernels: skip")
		}
		isa.DepthwiseRow(out, in, inOff, rowStride, 5, 2, 3, 2, w, C, bias, Activation{})
	}
	stem := func(isa *ISA, g *guardPages, out []float32, ldo int, in []float32, rowStride int) {
		if !isa.HasStem() {
			panic("kernels: skip")
		}
		isa.Stem(out, ldo, in, 0, rowStride, 5, 2, f(g, 32*27), 32, f(g, 32), Activation{})
	}
	cases = append(cases,
		badArgs{name: "DepthwiseRow/input short", call: func(g *guardPages, isa *ISA) {
			dwRow(isa, g, f(g, 5*C), f(g, 22*C-1), 0, 11*C, f(g, 6*C), f(g, C))
		}},
		badArgs{name: "DepthwiseRow/row stride short", call: func(g *guardPages, isa *ISA) {
			dwRow(isa, g, f(g, 5*C), f(g, 22*C), 0, 11*C-1, f(g, 6*C), f(g, C))
		}},
		badArgs{name: "DepthwiseRow/out short", call: func(g *guardPages, isa *ISA) {
			dwRow(isa, g, f(g, 5*C-1), f(g, 22*C), 0, 11*C, f(g, 6*C), f(g, C))
		}},
		badArgs{name: "DepthwiseRow/weights short", call: func(g *guardPages, isa *ISA) {
			dwRow(isa, g, f(g, 5*C), f(g, 22*C), 0, 11*C, f(g, 6*C-1), f(g, C))
		}},
		badArgs{name: "DepthwiseRow/negative input offset", start: true, call: func(g *guardPages, isa *ISA) {
			dwRow(isa, g, f(g, 5*C), f(g, 22*C), -1, 11*C, f(g, 6*C), f(g, C))
		}},
		badArgs{name: "Stem/input short", call: func(g *guardPages, isa *ISA) { stem(isa, g, f(g, 5*32), 32, f(g, 3*33-1), 33) }},
		badArgs{name: "Stem/out short", call: func(g *guardPages, isa *ISA) { stem(isa, g, f(g, 5*32-1), 32, f(g, 3*33), 33) }},
		badArgs{name: "Stem/negative out stride", start: true, call: func(g *guardPages, isa *ISA) { stem(isa, g, f(g, 5*32), -1, f(g, 3*33), 33) }},
	)
	for _, isa := range paths(t) {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s", isa.Name, c.name), func(t *testing.T) {
				g := newGuard(t, c.start)
				defer g.free()
				r := catch(func() { c.call(g, isa) })
				if r == "kernels: skip" {
					t.Skipf("%s has no such kernel", isa.Name)
				}
				addr, fault := faultAddr(r)
				require.False(t, fault, "the kernel touched memory outside its buffers (fault at %#x): the wrapper must refuse this call", addr)
				require.NotNil(t, r, "the call was accepted: the wrapper must refuse it")
				msg := fmt.Sprint(r)
				t.Log(msg)
				require.Regexp(t, `^kernels: |index out of range|slice bounds out of range`, msg)
			})
		}
	}
}
