package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestPoolArgsLayout(t *testing.T) {
	var p poolArgs
	// The offsets the generator in _asm/pool.go addresses.
	require.Equal(t, []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64},
		[]uintptr{unsafe.Offsetof(p.Out), unsafe.Offsetof(p.In), unsafe.Offsetof(p.Offs), unsafe.Offsetof(p.Pixels),
			unsafe.Offsetof(p.Taps), unsafe.Offsetof(p.C), unsafe.Offsetof(p.OutStride), unsafe.Offsetof(p.Scales),
			unsafe.Offsetof(p.NegInf)})
	require.Equal(t, uintptr(72), unsafe.Sizeof(p))
}

// TestPool checks max and average pooling (3×3 stride 2 pad 1 over a 5×5
// NHWC image, every channel count's vector, masked and Go tails) against
// the window written out in float64, with NaNs planted in the input: a
// window holding one must give NaN whichever tap it is.
func TestPool(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, isa := range paths(t) {
		for _, C := range []int{1, 7, 8, 16, 24, 37, 64, 130, 1100} { // 1100: two calls of poolChannels
			for _, avg := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/C%d/avg=%v", isa.Name, C, avg), func(t *testing.T) {
					H, W, k, s := 5, 5, 3, 2
					OH, OW := 3, 3
					in := randSlice(r, H*W*C)
					nan := float32(math.NaN())
					// The centre pixel is output (1, 1)'s middle tap, valid taps
					// after it (the NaN must stay); the corner is output (2, 2)'s
					// middle tap, after valid ones (the NaN must replace them).
					in[(2*W+2)*C+C/2] = nan
					in[(4*W+4)*C] = nan
					offs := make([]int64, OH*OW*k*k)
					scales := make([]float32, OH*OW)
					for oy := 0; oy < OH; oy++ {
						for ox := 0; ox < OW; ox++ {
							n := 0
							for ky := 0; ky < k; ky++ {
								for kx := 0; kx < k; kx++ {
									iy, ix := oy*s-1+ky, ox*s-1+kx
									o := int64(-1)
									if iy >= 0 && iy < H && ix >= 0 && ix < W {
										o = int64((iy*W + ix) * C * 4)
										n++
									}
									offs[(oy*OW+ox)*k*k+ky*k+kx] = o
								}
							}
							scales[oy*OW+ox] = 1 / float32(n)
						}
					}
					var sc []float32
					if avg {
						sc = scales
					}
					out := make([]float32, OH*OW*C)
					isa.Pool(out, C, in, offs, k*k, C, sc, 0, 4)
					isa.Pool(out, C, in, offs, k*k, C, sc, 4, OH*OW)
					for p := 0; p < OH*OW; p++ {
						for c := 0; c < C; c++ {
							want := math.Inf(-1)
							if avg {
								want = 0
							}
							for tp := 0; tp < k*k; tp++ {
								o := offs[p*k*k+tp]
								if o < 0 {
									continue
								}
								v := float64(in[int(o/4)+c])
								switch {
								case avg:
									want += v
								case math.IsNaN(v) || math.IsNaN(want):
									want = math.NaN()
								default:
									want = math.Max(want, v)
								}
							}
							if avg {
								want *= float64(scales[p])
							}
							got := float64(out[p*C+c])
							if math.IsNaN(want) {
								require.True(t, math.IsNaN(got), "pixel %d channel %d: want NaN, got %v", p, c, got)
								continue
							}
							require.InDelta(t, want, got, 1e-6, "pixel %d channel %d", p, c)
						}
					}
				})
			}
		}
	}
}
