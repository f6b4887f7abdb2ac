package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkDepthwise reports single-thread GFLOP/s of the depthwise kernel
// on MobileNetV2's 3×3 layers (NHWC, pad 1), offsets built as the plan does.
func BenchmarkDepthwise(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range []struct{ hw, c, stride int }{{56, 144, 1}, {56, 144, 2}, {14, 384, 1}, {7, 960, 1}} {
		for _, isa := range Available() {
			b.Run(fmt.Sprintf("%dx%dx%d_s%d/%s", s.hw, s.hw, s.c, s.stride, isa.Name), func(b *testing.B) {
				H, W, C, k := s.hw, s.hw, s.c, 3
				OH, OW := (H-1)/s.stride+1, (W-1)/s.stride+1
				in := randSlice(r, H*W*C)
				w := randSlice(r, k*k*C)
				bias := randSlice(r, C)
				zero := make([]float32, C)
				offs := make([]int64, OH*OW*k*k)
				for oy := 0; oy < OH; oy++ {
					for ox := 0; ox < OW; ox++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := oy*s.stride-1+ky, ox*s.stride-1+kx
								o := int64(-1)
								if iy >= 0 && iy < H && ix >= 0 && ix < W {
									o = int64((iy*W + ix) * C * 4)
								}
								offs[(oy*OW+ox)*k*k+ky*k+kx] = o
							}
						}
					}
				}
				out := make([]float32, OH*OW*C)
				sc := new(Scratch)
				act := Activation{Kind: ActClip, A: 0, B: 6}
				b.ResetTimer()
				for b.Loop() {
					isa.Depthwise(sc, out, C, in, offs, k*k, w, C, bias, zero, act, 0, OH*OW)
				}
				b.ReportMetric(float64(2*OH*OW*C*k*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmIndirect reports single-thread GFLOP/s of the indirect
// convolution GEMM on 3×3 stride-1 layers over a zero-bordered NHWC input:
// the small CNN's two (3→16 at 32×32, 16→32 at 16×16) and ResNet-50's
// 64→64 at 56×56 and 512→512 at 7×7.
func BenchmarkGemmIndirect(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, s := range []struct{ hw, c, m int }{{32, 3, 16}, {16, 16, 32}, {56, 64, 64}, {7, 512, 512}} {
		for _, isa := range Available() {
			if !isa.Indirect() {
				continue
			}
			isa := isa.ForWidth(s.m)
			b.Run(fmt.Sprintf("%dx%d_%dto%d/%s", s.hw, s.hw, s.c, s.m, isa.Name), func(b *testing.B) {
				H, W, C, k := s.hw+2, s.hw+2, s.c, 3
				in := randSlice(r, H*W*C)
				segOffs := []int64{0, int64(W*C) * 4, int64(2*W*C) * 4}
				pb := isa.PackB(k*k*C, s.m, func(k, n int) float32 { return float32(k+n) / 1e3 })
				rows := s.hw * s.hw
				rowOffs := make([]int64, rows)
				for p := range rowOffs {
					rowOffs[p] = int64((p/s.hw*W+p%s.hw)*C) * 4
				}
				out := make([]float32, rows*s.m)
				bias := randSlice(r, s.m)
				ep := &Epilogue{Bias: bias, Act: Activation{Kind: ActRelu}}
				cs := new(ConvScratch)
				b.ResetTimer()
				for b.Loop() {
					for r0 := 0; r0 < rows; r0 += MC {
						r1 := min(r0+MC, rows)
						isa.GemmIndirect(cs, in, rowOffs[r0:r1], segOffs, k*C, pb, out[r0*s.m:], s.m, ep, 0, pb.Panels())
					}
				}
				b.ReportMetric(float64(2*rows*s.m*k*k*C)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
