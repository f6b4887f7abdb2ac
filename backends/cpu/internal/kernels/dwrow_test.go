package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestDwRowArgsLayout(t *testing.T) {
	var p dwRowArgs
	// The offsets the generator in _asm/dwrow.go addresses.
	require.Equal(t, []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 92},
		[]uintptr{unsafe.Offsetof(p.In), unsafe.Offsetof(p.Out), unsafe.Offsetof(p.W), unsafe.Offsetof(p.Bias),
			unsafe.Offsetof(p.Pixels), unsafe.Offsetof(p.C), unsafe.Offsetof(p.RowStride), unsafe.Offsetof(p.PixStride),
			unsafe.Offsetof(p.WStride), unsafe.Offsetof(p.KH), unsafe.Offsetof(p.Flags), unsafe.Offsetof(p.Min),
			unsafe.Offsetof(p.Max)})
	require.Equal(t, uintptr(96), unsafe.Sizeof(p))
}

// TestDepthwiseRow checks the row kernel against the sum written out in
// float64: kernel widths 3, 5, 7 and heights, strides 1 and 2, pixel counts that leave
// 0–3 pixels after the groups of four, channel counts hitting every block
// and tail, a window row not at the buffer's start, and the epilogues.
func TestDepthwiseRow(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	ran := false
	for _, isa := range paths(t) {
		for _, kw := range []int{3, 5, 7} {
			for _, sw := range []int{1, 2} {
				if !isa.HasDepthwiseRow(kw, sw) {
					continue
				}
				ran = true
				for _, C := range []int{1, 8, 16, 24, 37, 48, 96, 130, 600} { // 600: two calls of dwRowChannels
					for _, pixels := range []int{1, 4, 7, 14, 70} { // 70: two calls of DWChunk
						if C*pixels > 5000 {
							continue // the big channel and pixel counts one at a time
						}
						for _, act := range []Activation{{}, {Kind: ActClip, A: 0, B: 6}, {Kind: ActGelu}} {
							kh := kw - 2 + pixels%3
							t.Run(fmt.Sprintf("%s/k%dx%d/s%d/C%d/px%d/act%d", isa.Name, kh, kw, sw, C, pixels, act.Kind), func(t *testing.T) {
								rowStride := ((pixels-1)*sw+kw)*C + 5*C // a wider row
								inOff := 2*C + 3
								in := randSlice(r, inOff+kh*rowStride)
								w := randSlice(r, kh*kw*C)
								bias := randSlice(r, C)
								out := randSlice(r, pixels*C) // garbage the kernel must overwrite
								isa.DepthwiseRow(out, in, inOff, rowStride, pixels, kh, kw, sw, w, C, bias, act)
								for ox := 0; ox < pixels; ox++ {
									for c := 0; c < C; c++ {
										want := float64(bias[c])
										for ky := 0; ky < kh; ky++ {
											for kx := 0; kx < kw; kx++ {
												want += float64(in[inOff+ky*rowStride+(ox*sw+kx)*C+c]) * float64(w[(ky*kw+kx)*C+c])
											}
										}
										want = refAct(act, want)
										require.InDelta(t, want, float64(out[ox*C+c]), 1e-5, "pixel %d channel %d", ox, c)
									}
								}
							})
						}
					}
				}
			}
		}
	}
	if !ran {
		t.Log("no kernel path here has a row-depthwise kernel")
	}
}
