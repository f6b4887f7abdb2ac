package kernels

import (
	"math"
	"unsafe"
)

// poolArgs is what a pooling kernel reads; the assembly addresses fields
// by offset (TestPoolArgsLayout checks them).
type poolArgs struct {
	Out       *float32 // first output pixel's channel 0
	In        *float32 // base the offsets are relative to
	Offs      *int64   // Pixels×Taps byte offsets into In; negative: padding, skipped
	Pixels    int
	Taps      int
	C         int      // channels, in bytes
	OutStride int      // bytes between output pixels
	Scales    *float32 // average: per pixel, the factor (1/divisor)
	NegInf    *float32 // max: a vector of −∞
}

func (p *poolArgs) raw() *[9]uint64 { return (*[9]uint64)(unsafe.Pointer(p)) }

// poolChannels bounds the channels of one pooling call (a multiple of
// every ISA's vector).
const poolChannels = 1024

var negInf = func() (v [16]float32) {
	for i := range v {
		v[i] = float32(math.Inf(-1))
	}
	return v
}()

// poolVecStep is the channels a pooling kernel handles in one go on isa
// (the rest are done in Go): 1 for a masked tail, else the vector width;
// 0 when the ISA has no pooling kernel.
func (isa *ISA) poolVecStep() int {
	switch isa.Name {
	case "avx512":
		return 1
	case "avx2":
		return 8
	}
	return 0
}

// Pool computes max pooling (scales nil) or average pooling for output
// pixels [pixLo, pixHi) over an indirection buffer: out[p][c] is the
// maximum (NaN wins) or scales[p]·sum of in[offs[p][t]/4 + c] over the taps
// t whose offset is not negative (padding). Output pixel p is at
// out[p·outStride:]. Every pixel must have at least one tap inside the
// input (the max of no values would be −∞).
func (isa *ISA) Pool(out []float32, outStride int, in []float32, offs []int64, taps, C int, scales []float32, pixLo, pixHi int) {
	if pixLo >= pixHi || C == 0 || taps == 0 {
		return
	}
	nonNegative("Pool", "output pixel stride", outStride)
	_ = out[(pixHi-1)*outStride+C-1]
	_ = offs[pixHi*taps-1]
	checkOffsets("Pool", offs[pixLo*taps:pixHi*taps], len(in), C)
	if scales != nil {
		_ = scales[pixHi-1]
	}
	vecC := 0
	if st := isa.poolVecStep(); st > 0 && len(in) > 0 {
		vecC = C - C%st
	}
	if vecC > 0 {
		// checkOffsets saw every read stay inside in; the assembly cannot
		// check that itself.
		a := poolArgs{Taps: taps, OutStride: outStride * 4, NegInf: &negInf[0]}
		// Calls bounded to DWChunk pixels × poolChannels channels.
		for c0 := 0; c0 < vecC; c0 += poolChannels {
			a.In, a.C = &in[c0], min(poolChannels, vecC-c0)*4
			for p0 := pixLo; p0 < pixHi; p0 += DWChunk {
				a.Out, a.Offs, a.Pixels = &out[p0*outStride+c0], &offs[p0*taps], min(DWChunk, pixHi-p0)
				if scales != nil {
					a.Scales = &scales[p0]
				}
				poolAsm(isa.Name, &a, scales != nil)
			}
		}
	}
	if vecC < C {
		poolGo(out, outStride, in, offs, taps, C, scales, vecC, pixLo, pixHi)
	}
}

// poolGo does channels [c0, C) in Go.
func poolGo(out []float32, outStride int, in []float32, offs []int64, taps, C int, scales []float32, c0, pixLo, pixHi int) {
	for p := pixLo; p < pixHi; p++ {
		o := out[p*outStride+c0 : p*outStride+C]
		first := true
		for t := 0; t < taps; t++ {
			off := offs[p*taps+t]
			if off < 0 {
				continue
			}
			x := in[int(off/4)+c0 : int(off/4)+C]
			switch {
			case first:
				copy(o, x)
				first = false
			case scales != nil:
				for c, v := range x {
					o[c] += v
				}
			default:
				for c, v := range x {
					o[c] = max(o[c], v) // NaN wins, as in ref
				}
			}
		}
		if first {
			clear(o)
		}
		if scales != nil {
			s := scales[p]
			for c := range o {
				o[c] *= s
			}
		}
	}
}

// HasPool reports whether the ISA has vector pooling kernels (Pool runs
// on every ISA; without them it is scalar Go).
func (isa *ISA) HasPool() bool { return isa.poolVecStep() > 0 }
