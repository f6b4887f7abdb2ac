package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestStemArgsLayout(t *testing.T) {
	var p stemArgs
	// The offsets the generator in _asm/stem.go addresses.
	require.Equal(t, []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 76},
		[]uintptr{unsafe.Offsetof(p.In), unsafe.Offsetof(p.Out), unsafe.Offsetof(p.W), unsafe.Offsetof(p.Bias),
			unsafe.Offsetof(p.Pixels), unsafe.Offsetof(p.RowStride), unsafe.Offsetof(p.InStride),
			unsafe.Offsetof(p.OutStride), unsafe.Offsetof(p.Flags), unsafe.Offsetof(p.Min), unsafe.Offsetof(p.Max)})
	require.Equal(t, uintptr(80), unsafe.Sizeof(p))
}

// TestStem checks the stem kernel against the sum written out in float64:
// strides 1 and 2, pixel counts around the groups of four and DWChunk,
// 16 to 48 output channels, an output row stride wider than the channels,
// the clamp, and a NaN input that must survive the clamp.
func TestStem(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	ran := false
	for _, isa := range paths(t) {
		if !isa.HasStem() {
			continue
		}
		ran = true
		for _, sw := range []int{1, 2} {
			for _, pixels := range []int{1, 3, 4, 9, 70} {
				for _, m := range []int{16, 48} {
					for _, act := range []Activation{{}, {Kind: ActRelu}, {Kind: ActClip, A: 0, B: 6}} {
						t.Run(fmt.Sprintf("s%d/px%d/m%d/act%d", sw, pixels, m, act.Kind), func(t *testing.T) {
							rowStride := ((pixels-1)*sw+3)*3 + 7
							inOff := 5
							in := randSlice(r, inOff+3*rowStride)
							in[inOff+rowStride+3*sw+4] = float32(math.NaN()) // pixel 1 (and 0 at stride 1) read it
							wt := randSlice(r, m*27)                         // [n][k]
							w := PackStem(m, func(k, n int) float32 { return wt[n*27+k] })
							bias := randSlice(r, m)
							ldo := m + 3
							out := randSlice(r, pixels*ldo)
							isa.Stem(out, ldo, in, inOff, rowStride, pixels, sw, w, m, bias, act)
							for ox := 0; ox < pixels; ox++ {
								for n := 0; n < m; n++ {
									want := float64(bias[n])
									for ky := 0; ky < 3; ky++ {
										for kx := 0; kx < 3; kx++ {
											for ci := 0; ci < 3; ci++ {
												want += float64(in[inOff+ky*rowStride+(ox*sw+kx)*3+ci]) * float64(wt[n*27+(ky*3+kx)*3+ci])
											}
										}
									}
									got := float64(out[ox*ldo+n])
									if math.IsNaN(want) {
										require.True(t, math.IsNaN(got), "pixel %d channel %d: want NaN, got %v", ox, n, got)
										continue
									}
									want = refAct(act, want)
									require.InDelta(t, want, got, 1e-5, "pixel %d channel %d", ox, n)
								}
							}
						})
					}
				}
			}
		}
	}
	if !ran {
		t.Log("no kernel path here has the stem kernel")
	}
}
