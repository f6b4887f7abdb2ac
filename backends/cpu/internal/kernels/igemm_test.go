package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestIgemmArgsLayout(t *testing.T) {
	var p igemmArgs
	// The offsets the generator in _asm/igemm.go addresses.
	require.Equal(t, []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 108},
		[]uintptr{unsafe.Offsetof(p.Rows), unsafe.Offsetof(p.In), unsafe.Offsetof(p.Segs), unsafe.Offsetof(p.NSeg),
			unsafe.Offsetof(p.SegK), unsafe.Offsetof(p.B), unsafe.Offsetof(p.C), unsafe.Offsetof(p.LDC),
			unsafe.Offsetof(p.Flags), unsafe.Offsetof(p.Bias), unsafe.Offsetof(p.R), unsafe.Offsetof(p.LDR),
			unsafe.Offsetof(p.Mask), unsafe.Offsetof(p.Min), unsafe.Offsetof(p.Max)})
	require.Equal(t, uintptr(112), unsafe.Sizeof(p))
}

// TestGemmIndirect checks the indirect GEMM against the sum written out in
// float64: rows at scattered offsets (tiles of any row count), segments
// grouped into one call or split over calls (segK·segments past IKC),
// partial panels, and every epilogue.
func TestGemmIndirect(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shapes := []struct{ rows, segs, segK, N int }{
		{1, 1, 1, 1}, {7, 3, 9, 16}, {13, 3, 48, 32}, {6, 9, 5, 40}, {20, 2, 600, 33}, {5, 7, 100, 5}, {49, 3, 4, 64}, {11, 1, 3, 17},
	}
	acts := []Activation{{}, {Kind: ActRelu}, {Kind: ActClip, A: 0, B: 6}, {Kind: ActSigmoid}, {Kind: ActGelu}}
	ran := false
	for _, isa := range paths(t) {
		if !isa.Indirect() {
			t.Logf("kernel path %s: no indirect GEMM (convolutions use the packed path)", isa.Name)
			continue
		}
		ran = true
		for _, s := range shapes {
			for ai, act := range acts {
				for _, withBias := range []bool{false, true} {
					for _, withRes := range []bool{false, true} {
						t.Run(fmt.Sprintf("%s/%dx%dx%dx%d/act%d/bias=%v/res=%v", isa.Name, s.rows, s.segs, s.segK, s.N, ai, withBias, withRes), func(t *testing.T) {
							K := s.segs * s.segK
							in := randSlice(r, 4000+s.segK*s.segs*3)
							rowOffs := make([]int64, s.rows)
							for i := range rowOffs {
								rowOffs[i] = int64(r.IntN(2000)) * 4
							}
							segOffs := make([]int64, s.segs)
							for i := range segOffs {
								segOffs[i] = int64(r.IntN(1000)) * 4
							}
							b := randSlice(r, K*s.N)
							ldc := s.N + 3
							c := randSlice(r, s.rows*ldc) // garbage the kernel must overwrite
							ep := &Epilogue{Act: act}
							if withBias {
								ep.Bias = randSlice(r, s.N)
							}
							if withRes {
								ep.LDR = s.N + 1
								ep.Residual = randSlice(r, s.rows*ep.LDR)
							}
							pb := isa.PackB(K, s.N, func(k, n int) float32 { return b[k*s.N+n] })
							// Two calls splitting the panels, as threads do.
							mid := pb.Panels() / 2
							isa.GemmIndirect(new(ConvScratch), in, rowOffs, segOffs, s.segK, pb, c, ldc, ep, 0, mid)
							isa.GemmIndirect(new(ConvScratch), in, rowOffs, segOffs, s.segK, pb, c, ldc, ep, mid, pb.Panels())
							for i := 0; i < s.rows; i++ {
								for j := 0; j < s.N; j++ {
									var want float64
									for sg := 0; sg < s.segs; sg++ {
										base := int(rowOffs[i]+segOffs[sg]) / 4
										for k := 0; k < s.segK; k++ {
											want += float64(in[base+k]) * float64(b[(sg*s.segK+k)*s.N+j])
										}
									}
									if withBias {
										want += float64(ep.Bias[j])
									}
									if withRes {
										want += float64(ep.Residual[i*ep.LDR+j])
									}
									want = refAct(act, want)
									tol := 1e-6 + float64(K+2)*6e-8*2
									require.InDelta(t, want, float64(c[i*ldc+j]), tol, "C[%d][%d]", i, j)
								}
							}
						})
					}
				}
			}
		}
	}
	if !ran {
		t.Log("no kernel path here has an indirect GEMM")
	}
}

func TestGemmIndirectBounds(t *testing.T) {
	for _, isa := range paths(t) {
		if !isa.Indirect() {
			continue
		}
		pb := isa.PackB(8, 4, func(k, n int) float32 { return 1 })
		c := make([]float32, 4)
		require.Panics(t, func() {
			isa.GemmIndirect(new(ConvScratch), make([]float32, 7), []int64{0}, []int64{0, 16}, 4, pb, c, 4, nil, 0, 1)
		}, "a window past the input must be refused before the assembly reads it")
	}
}
