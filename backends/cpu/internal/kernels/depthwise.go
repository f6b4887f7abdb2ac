package kernels

import "unsafe"

// dwArgs is what a depthwise kernel reads; the assembly addresses fields by
// offset (TestDwArgsLayout checks them).
type dwArgs struct {
	Out       *float32 // first output pixel's channel 0
	In        *float32 // base the offsets are relative to
	Offs      *int64   // Pixels×Taps byte offsets into In; negative: padding
	Pixels    int
	Taps      int
	W         *float32 // Taps×C weights, tap-major
	C         int      // channels, in bytes
	Bias      *float32 // C biases
	Zero      *float32 // at least C zeros, read by padding taps
	OutStride int      // bytes between output pixels
	Flags     int      // flagClamp
	Min, Max  float32
	WStride   int // bytes between taps of W
}

func (p *dwArgs) raw() *[13]uint64 { return (*[13]uint64)(unsafe.Pointer(p)) }

// DWChunk bounds the pixels of one depthwise assembly call.
const DWChunk = 64

// dwWeightBytes is the most weight bytes (taps × channels) one pass over
// the pixels keeps hot.
const dwWeightBytes = 16 << 10

// Depthwise computes, for output pixels [pixLo, pixHi), channel-vectorised
// depthwise convolution: out[p][c] = bias[c] + Σ_t in[offs[p][t]/4 + c]·w[t][c],
// where offs holds byte offsets into in (negative: padding, reads 0), then
// the activation. Output pixel p is at out[p·outStride:] (elements).
// zero must hold at least C zeros; bias must hold C values.
func (isa *ISA) Depthwise(sc *Scratch, out []float32, outStride int, in []float32, offs []int64, taps int, w []float32, C int, bias, zero []float32, act Activation, pixLo, pixHi int) {
	if pixLo >= pixHi || C == 0 {
		return
	}
	nonNegative("Depthwise", "output pixel stride", outStride)
	_ = out[(pixHi-1)*outStride+C-1]
	_ = offs[pixHi*taps-1]
	checkOffsets("Depthwise", offs[pixLo*taps:pixHi*taps], len(in), C)
	_ = w[taps*C-1]
	_ = bias[C-1]
	_ = zero[C-1]
	clamp, lo, hi := act.clamp()
	vecC := 0
	if isa.dw != nil && len(in) > 0 {
		vecC = C - C%isa.dwStep
	}
	if vecC > 0 {
		// checkOffsets saw every read stay inside in; the assembly cannot
		// check that itself.
		a := &sc.dw
		*a = dwArgs{}
		a.In, a.Taps, a.W, a.C, a.WStride = &in[0], taps, &w[0], vecC*4, C*4
		a.Bias, a.Zero, a.OutStride = &bias[0], &zero[0], outStride*4
		if clamp {
			a.Flags, a.Min, a.Max = flagClamp, lo, hi
		}
		// Channels in slices whose taps' weights fit in half of L1, each
		// slice over every pixel: wide layers (960 channels, or 7×7 taps)
		// would otherwise stream all weights from L2 for every pixel.
		// Slices are whole 4-vector blocks (64 channels on AVX-512) and
		// balanced; 128 channels or fewer stay whole (thinner slices cost
		// more per pixel than the weights' misses).
		cs := vecC
		if taps*vecC*4 > dwWeightBytes && vecC > 128 {
			cs = max(64, dwWeightBytes/(taps*4)/64*64)
			slices := (vecC + cs - 1) / cs
			cs = ((vecC+slices-1)/slices + 63) / 64 * 64
		}
		for c0 := 0; c0 < vecC; c0 += cs {
			a.C = min(cs, vecC-c0) * 4
			a.In, a.W, a.Bias, a.Zero = &in[c0], &w[c0], &bias[c0], &zero[c0]
			for p0 := pixLo; p0 < pixHi; p0 += DWChunk {
				n := min(DWChunk, pixHi-p0)
				a.Out, a.Offs, a.Pixels = &out[p0*outStride+c0], &offs[p0*taps], n
				isa.dw(a)
			}
		}
	}
	if vecC < C || isa.dw == nil {
		depthwiseGo(out, outStride, in, offs, taps, w, C, bias, vecC, clamp, lo, hi, pixLo, pixHi)
	}
	if act.post() {
		for p := pixLo; p < pixHi; p++ {
			isa.ApplyAct(act, out[p*outStride:p*outStride+C])
		}
	}
}

// depthwiseGo does channels [c0, C) in Go.
func depthwiseGo(out []float32, outStride int, in []float32, offs []int64, taps int, w []float32, C int, bias []float32, c0 int, clamp bool, lo, hi float32, pixLo, pixHi int) {
	for p := pixLo; p < pixHi; p++ {
		o := out[p*outStride+c0 : p*outStride+C]
		copy(o, bias[c0:C])
		for t := 0; t < taps; t++ {
			off := offs[p*taps+t]
			if off < 0 {
				continue
			}
			x := in[int(off/4)+c0 : int(off/4)+C]
			wt := w[t*C+c0 : t*C+C]
			for c := range o {
				o[c] += x[c] * wt[c]
			}
		}
		if clamp {
			clampTo(o, lo, hi)
		}
	}
}
