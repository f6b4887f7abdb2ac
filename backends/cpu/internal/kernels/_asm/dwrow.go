package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of kernels.dwRowArgs; TestDwRowArgsLayout checks them.
const (
	drIn        = 0  // the window row of output pixel 0, ky = 0 (zero-bordered NHWC input)
	drOut       = 8  // output pixel 0, channel 0
	drW         = 16 // KH×KW taps × channels, tap-major
	drBias      = 24
	drPixels    = 32 // output pixels of the row
	drC         = 40 // channels to compute, in bytes
	drRowStride = 48 // bytes between input rows
	drPixStride = 56 // bytes between pixels (input and output)
	drWStride   = 64 // bytes between taps of W
	drKH        = 72
	drFlags     = 80
	drMin       = 88
	drMax       = 92
)

// dwRowPixels is the output pixels one pass of the row kernel computes.
const dwRowPixels = 4

// dwRowKernel generates a depthwise convolution along one output row for
// kernels kw wide at horizontal stride sw (the vertical stride is the
// caller's choice of rows): per block of channels, dwRowPixels adjacent
// output pixels at a time, each input vector loaded once and multiplied
// into every pixel whose window holds it (with that tap's weight, kept in
// registers per kernel row), so a 3-wide kernel loads 6 inputs and 3
// weights per 12 FMAs where the indirection kernel loads 24 (stride 2: 9
// inputs). The input is
// zero-bordered, so no tap is padding. Then the clamp of Flags. Channels go
// 2 vectors at a time (AVX-512; 1 for AVX2), then 1, then (AVX-512) a
// masked tail; pixels in fours, then one at a time.
func dwRowKernel(name string, kw, sw int, zmm bool) {
	TEXT(name, NOSPLIT, "func(p *[12]uint64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs a depthwise convolution %d taps wide, horizontal stride %d, along one output row (see dwRowArgs).", name, kw, sw))
	p := Mem{Base: Load(Param("p"), GP64())}
	vec := func() VecVirtual { return newVec(zmm) }
	width := 4 * lanes(zmm)
	lo, hi := vec(), vec()
	VBROADCASTSS(p.Offset(drMin), lo)
	VBROADCASTSS(p.Offset(drMax), hi)
	cOff, rem, pix := GP64(), GP64(), GP64()
	inPix, outPix := GP64(), GP64() // the current pixel group's input window row 0 and output
	XORQ(cOff, cOff)

	// channels runs one block of nv vectors (masked: one vector under a
	// mask) over every pixel of the row, looping while whole blocks remain.
	channels := func(label string, nv int, masked bool) {
		next := label + "_end"
		kr := channelBlock(label, p, drC, cOff, rem, nv*width, masked)
		load := func(src Mem, dst VecVirtual) {
			if masked {
				VMOVUPS_Z(src, kr, dst)
			} else {
				VMOVUPS(src, dst)
			}
		}
		MOVQ(p.Offset(drIn), inPix)
		ADDQ(cOff, inPix)
		MOVQ(p.Offset(drOut), outPix)
		ADDQ(cOff, outPix)
		MOVQ(p.Offset(drPixels), pix)

		// group computes px adjacent pixels starting at inPix/outPix.
		group := func(glabel string, px int) {
			acc := make([][]VecVirtual, px)
			bias := GP64()
			MOVQ(p.Offset(drBias), bias)
			for q := range acc {
				acc[q] = make([]VecVirtual, nv)
				for v := range acc[q] {
					acc[q][v] = vec()
					if q == 0 {
						load(Mem{Base: bias, Index: cOff, Scale: 1, Disp: v * width}, acc[q][v])
					} else {
						VMOVAPS(acc[0][v], acc[q][v])
					}
				}
			}
			row, wRow, ky, x := GP64(), GP64(), GP64(), GP64()
			MOVQ(inPix, row)
			MOVQ(p.Offset(drW), wRow)
			ADDQ(cOff, wRow)
			MOVQ(p.Offset(drKH), ky)
			ws := GP64()
			MOVQ(p.Offset(drWStride), ws)
			Label(glabel + "_ky")
			// This kernel row's kw weights, per vector.
			w := make([][]VecVirtual, kw)
			wp := GP64()
			MOVQ(wRow, wp)
			for kx := range w {
				w[kx] = make([]VecVirtual, nv)
				for v := range w[kx] {
					w[kx][v] = vec()
					load(Mem{Base: wp, Disp: v * width}, w[kx][v])
				}
				if kx+1 < kw {
					ADDQ(ws, wp)
				}
			}
			// Input pixels ix = 0 … (px−1)·sw+kw−1 of the row, each into
			// every output pixel q whose window holds it (tap ix−q·sw).
			MOVQ(row, x)
			xv := vec()
			nx := (px-1)*sw + kw
			for ix := 0; ix < nx; ix++ {
				for v := 0; v < nv; v++ {
					src := Mem{Base: x, Disp: v * width}
					qs := []int{}
					for q := 0; q < px; q++ {
						if t := ix - q*sw; t >= 0 && t < kw {
							qs = append(qs, q)
						}
					}
					if len(qs) == 1 && !masked {
						VFMADD231PS(src, w[ix-qs[0]*sw][v], acc[qs[0]][v])
						continue
					}
					load(src, xv)
					for _, q := range qs {
						VFMADD231PS(xv, w[ix-q*sw][v], acc[q][v])
					}
				}
				if ix+1 < nx {
					ADDQ(p.Offset(drPixStride), x)
				}
			}
			ADDQ(p.Offset(drRowStride), row)
			// Next kernel row of weights: kw taps on.
			for range kw {
				ADDQ(ws, wRow)
			}
			DECQ(ky)
			JNZ(LabelRef(glabel + "_ky"))
			TESTQ(U32(flagClamp), p.Offset(drFlags))
			JZ(LabelRef(glabel + "_store"))
			for q := range acc {
				for v := range acc[q] {
					VMAXPS(acc[q][v], lo, acc[q][v])
					VMINPS(acc[q][v], hi, acc[q][v])
				}
			}
			Label(glabel + "_store")
			o := GP64()
			MOVQ(outPix, o)
			for q := range acc {
				for v := range acc[q] {
					dst := Mem{Base: o, Disp: v * width}
					if masked {
						VMOVUPS(acc[q][v], kr, dst)
					} else {
						VMOVUPS(acc[q][v], dst)
					}
				}
				ADDQ(p.Offset(drPixStride), o)
			}
			MOVQ(o, outPix)
			for range px * sw {
				ADDQ(p.Offset(drPixStride), inPix)
			}
		}
		Label(label + "_quad")
		CMPQ(pix, U8(dwRowPixels))
		JL(LabelRef(label + "_single"))
		group(label+"_g4", dwRowPixels)
		SUBQ(U8(dwRowPixels), pix)
		JMP(LabelRef(label + "_quad"))
		Label(label + "_single")
		TESTQ(pix, pix)
		JZ(LabelRef(label + "_next"))
		group(label+"_g1", 1)
		DECQ(pix)
		JMP(LabelRef(label + "_single"))
		Label(label + "_next")
		if !masked {
			ADDQ(U32(nv*width), cOff)
			JMP(LabelRef(label))
		}
		Label(next)
	}
	if zmm {
		channels(name+"_c2", 2, false)
	}
	channels(name+"_c1", 1, false)
	if zmm {
		channels(name+"_tail", 1, true)
	}
	VZEROUPPER()
	RET()
}
