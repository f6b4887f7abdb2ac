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

// BenchmarkDepthwiseRow reports single-thread GFLOP/s of the row depthwise
// kernel (what the plan runs for 3/5/7-wide kernels at stride 1 or 2) on
// MobileNetV2's 3×3 and FastViT's 7×7 layers, over a zero-bordered input.
func BenchmarkDepthwiseRow(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, s := range []struct{ hw, c, k, stride int }{{56, 144, 3, 1}, {56, 144, 3, 2}, {14, 384, 3, 1}, {7, 960, 3, 1}, {32, 96, 7, 1}, {16, 192, 7, 1}} {
		for _, isa := range Available() {
			if !isa.HasDepthwiseRow(s.k, s.stride) {
				continue
			}
			b.Run(fmt.Sprintf("%dx%dx%d_k%d_s%d/%s", s.hw, s.hw, s.c, s.k, s.stride, isa.Name), func(b *testing.B) {
				OH, OW := (s.hw-1)/s.stride+1, (s.hw-1)/s.stride+1
				Wp := (OW-1)*s.stride + s.k
				Hp := (OH-1)*s.stride + s.k
				in := randSlice(r, Hp*Wp*s.c)
				w := randSlice(r, s.k*s.k*s.c)
				bias := randSlice(r, s.c)
				out := make([]float32, OH*OW*s.c)
				act := Activation{Kind: ActClip, A: 0, B: 6}
				b.ResetTimer()
				for b.Loop() {
					for oy := 0; oy < OH; oy++ {
						isa.DepthwiseRow(out[oy*OW*s.c:(oy+1)*OW*s.c], in, oy*s.stride*Wp*s.c, Wp*s.c, OW, s.k, s.k, s.stride, w, s.c, bias, act)
					}
				}
				b.ReportMetric(float64(2*OH*OW*s.c*s.k*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkStem reports single-thread GFLOP/s of the direct 3×3×3 stem
// kernel on the small CNN's first conv (3→16 at 32×32) and MobileNetV2's
// and FastViT's stems (stride 2).
func BenchmarkStem(b *testing.B) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, s := range []struct{ hw, stride, m int }{{32, 1, 16}, {112, 2, 32}, {128, 2, 48}} {
		for _, isa := range Available() {
			if !isa.HasStem() {
				continue
			}
			b.Run(fmt.Sprintf("%dx%d_s%d_3to%d/%s", s.hw, s.hw, s.stride, s.m, isa.Name), func(b *testing.B) {
				W := (s.hw-1)*s.stride + 3
				H := W
				in := randSlice(r, H*W*3)
				w := PackStem(s.m, func(k, n int) float32 { return float32(k+n) / 1e3 })
				bias := randSlice(r, s.m)
				out := make([]float32, s.hw*s.hw*s.m)
				b.ResetTimer()
				for b.Loop() {
					for oy := 0; oy < s.hw; oy++ {
						isa.Stem(out[oy*s.hw*s.m:], s.m, in, oy*s.stride*W*3, W*3, s.hw, s.stride, w, s.m, bias, Activation{Kind: ActRelu})
					}
				}
				b.ReportMetric(float64(2*s.hw*s.hw*s.m*27)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
