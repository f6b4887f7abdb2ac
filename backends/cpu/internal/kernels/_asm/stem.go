package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of kernels.stemArgs; TestStemArgsLayout checks them.
const (
	stIn        = 0  // window row 0 of output pixel 0 (zero-bordered NHWC input, stemC channels)
	stOut       = 8  // output pixel 0, the block's first channel
	stW         = 16 // stemK vectors of 16 weights, in (ky, kx, ci) order
	stBias      = 24 // 16 biases
	stPixels    = 32
	stRowStride = 40 // bytes between input rows
	stInStride  = 48 // bytes between output pixels' windows (stride · channels · 4)
	stOutStride = 56 // bytes between output pixels
	stFlags     = 64
	stMin       = 72
	stMax       = 76
)

// The stem kernel's shape: a 3×3 window over 3 channels (an RGB stem).
const (
	stemKH, stemKW, stemC = 3, 3, 3
	stemK                 = stemKH * stemKW * stemC
	stemPixels            = 4 // output pixels per pass
)

// stemKernel generates a direct convolution for RGB stems (AVX-512): a
// block of 16 output channels along one output row, its 27 weight vectors
// held in registers for the whole row, each input value broadcast straight
// into an FMA (one load per FMA, no packing, no epilogue per tile: the
// bias starts the sums, the clamp of Flags ends them). Four output pixels
// per pass, then one.
func stemKernel(name string) {
	TEXT(name, NOSPLIT, "func(p *[10]uint64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs a 3×3×3 direct convolution for 16 output channels along one output row (see stemArgs).", name))
	p := Mem{Base: Load(Param("p"), GP64())}
	wp := GP64()
	MOVQ(p.Offset(stW), wp)
	w := make([]VecVirtual, stemK)
	for k := range w {
		w[k] = ZMM()
		VMOVUPS(Mem{Base: wp, Disp: 64 * k}, w[k])
	}
	in, out, pix, rs, ps := GP64(), GP64(), GP64(), GP64(), GP64()
	MOVQ(p.Offset(stIn), in)
	MOVQ(p.Offset(stOut), out)
	MOVQ(p.Offset(stPixels), pix)
	MOVQ(p.Offset(stRowStride), rs)
	MOVQ(p.Offset(stInStride), ps)

	group := func(label string, px int) {
		acc := make([]VecVirtual, px)
		bias := GP64()
		MOVQ(p.Offset(stBias), bias)
		for q := range acc {
			acc[q] = ZMM()
			if q == 0 {
				VMOVUPS(Mem{Base: bias}, acc[q])
			} else {
				VMOVAPS(acc[0], acc[q])
			}
		}
		// Row ky of pixel q's window: a0 + q·ps (q < 3 by scaled index), a3 for q = 3.
		a0, a3 := GP64(), GP64()
		MOVQ(in, a0)
		for ky := 0; ky < stemKH; ky++ {
			if px > 3 {
				LEAQ(Mem{Base: a0, Index: ps, Scale: 2}, a3)
				ADDQ(ps, a3)
			}
			for kx := 0; kx < stemKW; kx++ {
				for ci := 0; ci < stemC; ci++ {
					k := (ky*stemKW+kx)*stemC + ci
					disp := 4 * (kx*stemC + ci)
					for q := range acc {
						var m Mem
						switch q {
						case 0:
							m = Mem{Base: a0, Disp: disp}
						case 1:
							m = Mem{Base: a0, Index: ps, Scale: 1, Disp: disp}
						case 2:
							m = Mem{Base: a0, Index: ps, Scale: 2, Disp: disp}
						default:
							m = Mem{Base: a3, Disp: disp}
						}
						VFMADD231PS_BCST(m, w[k], acc[q])
					}
				}
			}
			if ky+1 < stemKH {
				ADDQ(rs, a0)
			}
		}
		TESTQ(U32(flagClamp), p.Offset(stFlags))
		JZ(LabelRef(label + "_store"))
		// One bound at a time in a spare register; operand order keeps a
		// NaN in acc (MAXPS and MINPS return their second source on NaN).
		bound := ZMM()
		VBROADCASTSS(p.Offset(stMin), bound)
		for q := range acc {
			VMAXPS(acc[q], bound, acc[q])
		}
		VBROADCASTSS(p.Offset(stMax), bound)
		for q := range acc {
			VMINPS(acc[q], bound, acc[q])
		}
		Label(label + "_store")
		for q := range acc {
			VMOVUPS(acc[q], Mem{Base: out})
			ADDQ(p.Offset(stOutStride), out)
		}
		for range px {
			ADDQ(ps, in)
		}
	}
	Label(name + "_quad")
	CMPQ(pix, U8(stemPixels))
	JL(LabelRef(name + "_single"))
	group(name+"_g4", stemPixels)
	SUBQ(U8(stemPixels), pix)
	JMP(LabelRef(name + "_quad"))
	Label(name + "_single")
	TESTQ(pix, pix)
	JZ(LabelRef(name + "_done"))
	group(name+"_g1", 1)
	DECQ(pix)
	JMP(LabelRef(name + "_single"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
