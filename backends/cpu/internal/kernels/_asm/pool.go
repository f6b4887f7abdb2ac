package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of kernels.poolArgs; TestPoolArgsLayout checks them.
const (
	plOut       = 0
	plIn        = 8
	plOffs      = 16 // Pixels×Taps byte offsets into In; negative: padding, skipped
	plPixels    = 24
	plTaps      = 32
	plC         = 40 // channels, in bytes
	plOutStride = 48 // bytes between output pixels
	plScales    = 56 // avg: per pixel, 1/divisor
	plNegInf    = 64 // max: at least one vector of −∞ (the empty maximum)
)

// poolKernel generates max or average pooling over an indirection buffer
// (one byte offset per output pixel and tap, as for depthwise): for each
// output pixel, the channel-wise maximum (NaN wins, as in ref: a NaN input
// is blended in after each VMAXPS, which keeps its accumulator's NaN) or
// sum of its non-padding taps, the sum times the pixel's scale. Channels go
// 4 vectors at a time, then 1; AVX-512 masks the last C mod 16, the AVX2
// caller does the last C mod 8 in Go.
func poolKernel(name string, zmm, avg bool) {
	TEXT(name, NOSPLIT, "func(p *[9]uint64)")
	Pragma("noescape")
	what := "max"
	if avg {
		what = "average"
	}
	Doc(fmt.Sprintf("%s runs %s pooling through an indirection buffer (see poolArgs).", name, what))
	p := Mem{Base: Load(Param("p"), GP64())}
	vec := func() VecVirtual { return newVec(zmm) }
	width := 4 * lanes(zmm)
	out, offs, npix, scale := GP64(), GP64(), GP64(), GP64()
	MOVQ(p.Offset(plOut), out)
	MOVQ(p.Offset(plOffs), offs)
	MOVQ(p.Offset(plPixels), npix)
	MOVQ(p.Offset(plScales), scale)
	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	cOff, rem := GP64(), GP64()
	tapPtr, tcnt, ptr := GP64(), GP64(), GP64()
	init := vec()
	if avg {
		VXORPS(init, init, init)
	} else {
		neg := GP64()
		MOVQ(p.Offset(plNegInf), neg)
		VMOVUPS(Mem{Base: neg}, init)
	}

	Label(name + "_pixel")
	XORQ(cOff, cOff)

	block := func(label string, nv int, masked bool) {
		next := label + "_end"
		kr := channelBlock(label, p, plC, cOff, rem, nv*width, masked)
		acc := make([]VecVirtual, nv)
		for v := range acc {
			acc[v] = vec()
			VMOVAPS(init, acc[v])
		}
		MOVQ(offs, tapPtr)
		MOVQ(p.Offset(plTaps), tcnt)
		Label(label + "_tap")
		MOVQ(Mem{Base: tapPtr}, ptr)
		TESTQ(ptr, ptr)
		JS(LabelRef(label + "_skip"))
		ADDQ(p.Offset(plIn), ptr)
		ADDQ(cOff, ptr)
		xv := vec()
		var nan Op
		if !avg {
			if zmm {
				nan = K()
			} else {
				nan = vec()
			}
		}
		for v := range acc {
			src := Mem{Base: ptr, Disp: v * width}
			switch {
			case masked:
				VMOVUPS_Z(src, kr, xv)
			default:
				VMOVUPS(src, xv)
			}
			if avg {
				VADDPS(xv, acc[v], acc[v])
				continue
			}
			// acc = max(x, acc) keeps a NaN already in acc; then a NaN in
			// x replaces acc.
			VMAXPS(acc[v], xv, acc[v])
			if zmm {
				VCMPPS(U8(3), xv, xv, nan) // unordered: x is NaN
				VMOVAPS(xv, nan, acc[v])
			} else {
				VCMPPS(U8(3), xv, xv, nan)
				VBLENDVPS(nan, xv, acc[v], acc[v])
			}
		}
		Label(label + "_skip")
		ADDQ(U8(8), tapPtr)
		DECQ(tcnt)
		JNZ(LabelRef(label + "_tap"))
		if avg {
			s := vec()
			VBROADCASTSS(Mem{Base: scale}, s)
			for v := range acc {
				VMULPS(s, acc[v], acc[v])
			}
		}
		for v := range acc {
			dst := Mem{Base: out, Index: cOff, Scale: 1, Disp: v * width}
			if masked {
				VMOVUPS(acc[v], kr, dst)
			} else {
				VMOVUPS(acc[v], dst)
			}
		}
		if !masked {
			ADDQ(U32(nv*width), cOff)
			JMP(LabelRef(label))
		}
		Label(next)
	}
	block(name+"_c4", 4, false)
	block(name+"_c1", 1, false)
	if zmm {
		block(name+"_tail", 1, true)
	}
	ADDQ(p.Offset(plOutStride), out)
	ADDQ(U8(4), scale)
	MOVQ(p.Offset(plTaps), rem)
	LEAQ(Mem{Base: offs, Index: rem, Scale: 8}, offs)
	DECQ(npix)
	JNZ(LabelRef(name + "_pixel"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
