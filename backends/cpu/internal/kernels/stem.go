package kernels

import "unsafe"

// stemArgs is what the stem kernel reads; the assembly addresses fields by
// offset (TestStemArgsLayout checks them).
type stemArgs struct {
	In        *float32 // window row 0 of output pixel 0 (zero-bordered NHWC input, 3 channels)
	Out       *float32 // output pixel 0, the block's first channel
	W         *float32 // 27 vectors of 16 weights, (ky, kx, ci) order
	Bias      *float32 // 16 biases
	Pixels    int
	RowStride int // bytes between input rows
	InStride  int // bytes between output pixels' windows
	OutStride int // bytes between output pixels
	Flags     int // flagClamp
	Min, Max  float32
}

func (p *stemArgs) raw() *[10]uint64 { return (*[10]uint64)(unsafe.Pointer(p)) }

// StemBlock is the output channels one stem-kernel pass computes.
const StemBlock = 16

// HasStem reports whether the ISA has the direct kernel for 3×3 convs over
// 3 input channels (Stem).
func (isa *ISA) HasStem() bool { return haveStem && isa.Name == "avx512" }

// PackStem lays out the weights of a 3×3 conv over 3 channels with m output
// channels (m a multiple of StemBlock) for Stem: per block of 16 output
// channels, 27 vectors in (ky, kx, ci) order. at(k, n) is the weight of
// output channel n at k = (ky·3 + kx)·3 + ci.
func PackStem(m int, at func(k, n int) float32) []float32 {
	const K = 27
	out := make([]float32, m*K)
	for b := 0; b < m/StemBlock; b++ {
		for k := 0; k < K; k++ {
			for j := 0; j < StemBlock; j++ {
				out[(b*K+k)*StemBlock+j] = at(k, b*StemBlock+j)
			}
		}
	}
	return out
}

// Stem computes output pixels [0, pixels) of one output row of a 3×3 conv
// over a 3-channel NHWC input whose windows lie inside it (a zero-bordered
// copy): for each block of 16 output channels, out[ox][c] = bias[c] +
// Σ_{ky,kx,ci} in[inOff + ky·rowStride + ox·sw·3 + kx·3 + ci]·w[c][ky][kx][ci],
// clamped as act says (a post-kernel activation is the caller's). Output
// pixel ox is at out[ox·ldo:]; m (a multiple of 16) output channels; w from
// PackStem. Offsets and strides in elements. Only for ISAs with HasStem.
func (isa *ISA) Stem(out []float32, ldo int, in []float32, inOff, rowStride, pixels, sw int, w []float32, m int, bias []float32, act Activation) {
	if pixels <= 0 || m <= 0 {
		return
	}
	if !isa.HasStem() || m%StemBlock != 0 {
		panic("kernels: Stem: no stem kernel for this ISA or channel count")
	}
	if inOff < 0 || sw <= 0 || rowStride < ((pixels-1)*sw+3)*3 {
		panic("kernels: Stem: bad input offset, stride or row stride")
	}
	nonNegative("Stem", "output pixel stride", ldo)
	_ = in[inOff+2*rowStride+((pixels-1)*sw+3)*3-1]
	_ = out[(pixels-1)*ldo+m-1]
	_ = w[m*27-1]
	_ = bias[m-1]
	clamp, lo, hi := act.clamp()
	a := stemArgs{RowStride: rowStride * 4, InStride: sw * 3 * 4, OutStride: ldo * 4}
	if clamp {
		a.Flags, a.Min, a.Max = flagClamp, lo, hi
	}
	for b := 0; b < m/StemBlock; b++ {
		a.W, a.Bias = &w[b*27*StemBlock], &bias[b*StemBlock]
		for p0 := 0; p0 < pixels; p0 += DWChunk {
			a.In, a.Out, a.Pixels = &in[inOff+p0*sw*3], &out[p0*ldo+b*StemBlock], min(DWChunk, pixels-p0)
			stemAsm(&a)
		}
	}
}
