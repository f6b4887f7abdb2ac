package kernels

import "unsafe"

// dwRowArgs is what a row-depthwise kernel reads; the assembly addresses
// fields by offset (TestDwRowArgsLayout checks them).
type dwRowArgs struct {
	In        *float32 // window row 0 of output pixel 0 (zero-bordered NHWC input)
	Out       *float32 // output pixel 0, channel 0
	W         *float32 // taps × channels, tap-major
	Bias      *float32
	Pixels    int
	C         int // channels to compute, in bytes
	RowStride int // bytes between input rows
	PixStride int // bytes between pixels, input and output
	WStride   int // bytes between taps of W
	KH        int
	Flags     int // flagClamp
	Min, Max  float32
}

// dwRowChannels bounds the channels of one row-kernel call (a multiple of
// every ISA's vector).
const dwRowChannels = 512

func (p *dwRowArgs) raw() *[12]uint64 { return (*[12]uint64)(unsafe.Pointer(p)) }

// HasDepthwiseRow reports whether the ISA has a row kernel for depthwise
// convolutions kw taps wide at horizontal stride sw (DepthwiseRow).
func (isa *ISA) HasDepthwiseRow(kw, sw int) bool {
	return haveDwRow && (isa.Name == "avx512" || isa.Name == "avx2") && (kw == 3 || kw == 5 || kw == 7) && (sw == 1 || sw == 2)
}

// DepthwiseRow computes output pixels of one row of an undilated depthwise
// convolution of horizontal stride sw over an NHWC input with C channels,
// pixels whose windows lie inside the input (no tap is padding):
// out[ox][c] = bias[c] + Σ_{ky<kh, kx<kw} in[inOff + ky·rowStride +
// (ox·sw+kx)·C + c]·w[(ky·kw+kx)·C + c] for ox < pixels, then the
// activation. Offsets and strides are in elements; out holds the pixels·C
// values. Adjacent output pixels share their input loads (see the
// generator). Only for ISAs with HasDepthwiseRow(kw, sw).
func (isa *ISA) DepthwiseRow(out, in []float32, inOff, rowStride, pixels, kh, kw, sw int, w []float32, C int, bias []float32, act Activation) {
	if pixels <= 0 || C == 0 || kh <= 0 {
		return
	}
	if !isa.HasDepthwiseRow(kw, sw) {
		panic("kernels: DepthwiseRow: no row kernel for " + isa.Name)
	}
	// Bounds, checked once: the last tap of the last pixel, and the outputs.
	span := (pixels-1)*sw + kw // input pixels the row reads
	if inOff < 0 || rowStride < span*C {
		panic("kernels: DepthwiseRow: bad input offset or row stride")
	}
	_ = in[inOff+(kh-1)*rowStride+span*C-1]
	_ = out[pixels*C-1]
	_ = w[kh*kw*C-1]
	_ = bias[C-1]
	clamp, lo, hi := act.clamp()
	vecC := C
	if isa.Name == "avx2" {
		vecC = C - C%8
	}
	if vecC > 0 {
		a := dwRowArgs{RowStride: rowStride * 4, PixStride: C * 4, WStride: C * 4, KH: kh}
		if clamp {
			a.Flags, a.Min, a.Max = flagClamp, lo, hi
		}
		// Calls bounded to DWChunk pixels × dwRowChannels channels, so no
		// assembly call runs long whatever the layer's size.
		for c0 := 0; c0 < vecC; c0 += dwRowChannels {
			a.C = min(dwRowChannels, vecC-c0) * 4
			a.W, a.Bias = &w[c0], &bias[c0]
			for p0 := 0; p0 < pixels; p0 += DWChunk {
				a.In, a.Out, a.Pixels = &in[inOff+p0*sw*C+c0], &out[p0*C+c0], min(DWChunk, pixels-p0)
				dwRowAsm(isa.Name, kw, sw, &a)
			}
		}
	}
	if vecC < C {
		for ox := 0; ox < pixels; ox++ {
			o := out[ox*C+vecC : ox*C+C]
			copy(o, bias[vecC:C])
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					at := inOff + ky*rowStride + (ox*sw+kx)*C
					x := in[at+vecC : at+C]
					wt := w[(ky*kw+kx)*C+vecC : (ky*kw+kx)*C+C]
					for c := range o {
						o[c] += x[c] * wt[c]
					}
				}
			}
			if clamp {
				clampTo(o, lo, hi)
			}
		}
	}
	if act.post() {
		isa.ApplyAct(act, out[:pixels*C])
	}
}
