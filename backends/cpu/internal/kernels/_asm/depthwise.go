package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of kernels.dwArgs; TestDwArgsLayout checks them.
const (
	dwOut       = 0
	dwIn        = 8
	dwOffs      = 16
	dwPixels    = 24
	dwTaps      = 32
	dwW         = 40
	dwC         = 48 // channels, in bytes
	dwBias      = 56
	dwZero      = 64
	dwOutStride = 72
	dwFlags     = 80
	dwMin       = 88
	dwMax       = 92
	dwWStride   = 96 // bytes between taps of W
)

// depthwiseKernel generates a depthwise convolution over an indirection
// buffer: for each output pixel, Taps byte offsets into In (negative: the
// tap is padding and reads Zero), each tap's C channels multiplied by that
// tap's weights and summed onto the bias, then clamped if Flags asks.
// Channels go 4 vectors at a time, then 1; AVX-512 finishes the last C mod 16
// with a mask, the AVX2 caller does the last C mod 8 in Go.
func depthwiseKernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(p *[13]uint64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs a depthwise convolution through an indirection buffer (see dwArgs).", name))
	p := Mem{Base: Load(Param("p"), GP64())}
	vec := func() VecVirtual { return newVec(zmm) }
	width := 4 * lanes(zmm)
	out, offs, npix := GP64(), GP64(), GP64()
	MOVQ(p.Offset(dwOut), out)
	MOVQ(p.Offset(dwOffs), offs)
	MOVQ(p.Offset(dwPixels), npix)
	TESTQ(npix, npix)
	JZ(LabelRef(name + "_done"))
	lo, hi := vec(), vec()
	VBROADCASTSS(p.Offset(dwMin), lo)
	VBROADCASTSS(p.Offset(dwMax), hi)
	cOff, rem := GP64(), GP64()
	tapPtr, wPtr, tcnt, ptr := GP64(), GP64(), GP64(), GP64()

	Label(name + "_pixel")
	XORQ(cOff, cOff)

	block := func(label string, nv int, masked bool) {
		next := label + "_end"
		kr := channelBlock(label, p, dwC, cOff, rem, nv*width, masked)
		acc := make([]VecVirtual, nv)
		bias := GP64()
		MOVQ(p.Offset(dwBias), bias)
		for v := range acc {
			acc[v] = vec()
			if masked {
				VMOVUPS_Z(Mem{Base: bias, Index: cOff, Scale: 1, Disp: v * width}, kr, acc[v])
			} else {
				VMOVUPS(Mem{Base: bias, Index: cOff, Scale: 1, Disp: v * width}, acc[v])
			}
		}
		MOVQ(offs, tapPtr)
		MOVQ(p.Offset(dwW), wPtr)
		ADDQ(cOff, wPtr)
		MOVQ(p.Offset(dwTaps), tcnt)
		Label(label + "_tap")
		off := GP64()
		MOVQ(Mem{Base: tapPtr}, off)
		MOVQ(p.Offset(dwIn), ptr)
		ADDQ(off, ptr)
		TESTQ(off, off)
		CMOVQLT(p.Offset(dwZero), ptr)
		ADDQ(cOff, ptr)
		wv, xv := vec(), vec()
		for v := range acc {
			if masked {
				VMOVUPS_Z(Mem{Base: wPtr, Disp: v * width}, kr, wv)
				VMOVUPS_Z(Mem{Base: ptr, Disp: v * width}, kr, xv)
				VFMADD231PS(xv, wv, acc[v])
			} else {
				VMOVUPS(Mem{Base: wPtr, Disp: v * width}, wv)
				VFMADD231PS(Mem{Base: ptr, Disp: v * width}, wv, acc[v])
			}
		}
		ADDQ(U8(8), tapPtr)
		ADDQ(p.Offset(dwWStride), wPtr)
		DECQ(tcnt)
		JNZ(LabelRef(label + "_tap"))
		TESTQ(U32(flagClamp), p.Offset(dwFlags))
		JZ(LabelRef(label + "_store"))
		for v := range acc {
			VMAXPS(acc[v], lo, acc[v])
			VMINPS(acc[v], hi, acc[v])
		}
		Label(label + "_store")
		for v := range acc {
			if masked {
				VMOVUPS(acc[v], kr, Mem{Base: out, Index: cOff, Scale: 1, Disp: v * width})
			} else {
				VMOVUPS(acc[v], Mem{Base: out, Index: cOff, Scale: 1, Disp: v * width})
			}
		}
		if !masked {
			ADDQ(U32(nv*width), cOff)
			JMP(LabelRef(label))
		}
		Label(next)
	}
	block(name+"_c8", 8, false)
	block(name+"_c4", 4, false)
	block(name+"_c1", 1, false)
	if zmm {
		block(name+"_tail", 1, true)
	}
	ADDQ(p.Offset(dwOutStride), out)
	MOVQ(p.Offset(dwTaps), rem)
	LEAQ(Mem{Base: offs, Index: rem, Scale: 8}, offs)
	DECQ(npix)
	JNZ(LabelRef(name + "_pixel"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
