package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of kernels.igemmArgs; kernels' TestIgemmArgsLayout
// checks that the Go struct still has them.
const (
	igRows  = 0  // *int64: per tile row, the byte offset of its window in In
	igIn    = 8  // *float32
	igSegs  = 16 // *int64: per segment, its byte offset within a window
	igNSeg  = 24 // segments in this call (≥ 1)
	igSegK  = 32 // k steps per segment (≥ 1)
	igB     = 40 // packed panel at the first segment's first k
	igC     = 48
	igLDC   = 56
	igFlags = 64
	igBias  = 72
	igR     = 80
	igLDR   = 88
	igMask  = 96
	igMin   = 104
	igMax   = 108
)

// igemmKernel generates an indirect-GEMM micro-kernel for convolutions: a
// rows×(vecs·lanes) tile of C where tile row r (an output pixel) reads, for
// segment s and step k, In[Rows[r] + Segs[s] + 4k] (bytes), and B is the
// packed panel walked straight through (segment s covers B's rows
// s·SegK … s·SegK+SegK−1 of this call). The tile's rows need not be
// neighbours in any sense, so a tile may cross output rows and images; the
// whole K of the call stays in registers. Then the output step of gemmArgs.
func igemmKernel(name string, rows, vecs int, zmm bool) {
	TEXT(name, NOSPLIT, "func(p *[14]uint64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of an indirect convolution GEMM (see igemmArgs).", name, rows, vecs*lanes(zmm)))
	p := Mem{Base: Load(Param("p"), GP64())}
	vec := func() VecVirtual { return newVec(zmm) }
	width := 4 * lanes(zmm)

	// Row pointers: In + Rows[r].
	rowPtr := make([]GPVirtual, rows)
	{
		in, offs := GP64(), GP64()
		MOVQ(p.Offset(igIn), in)
		MOVQ(p.Offset(igRows), offs)
		for r := range rowPtr {
			rowPtr[r] = GP64()
			MOVQ(Mem{Base: offs, Disp: 8 * r}, rowPtr[r])
			ADDQ(in, rowPtr[r])
		}
	}
	acc := make([][]VecVirtual, rows)
	for r := range acc {
		acc[r] = make([]VecVirtual, vecs)
		for v := range acc[r] {
			acc[r][v] = vec()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	bv := make([]VecVirtual, vecs)
	for v := range bv {
		bv[v] = vec()
	}
	var bc VecVirtual
	if !zmm {
		bc = vec()
	}
	b, segPtr, nseg, off, cnt := GP64(), GP64(), GP64(), GP64(), GP64()
	MOVQ(p.Offset(igB), b)
	MOVQ(p.Offset(igSegs), segPtr)
	MOVQ(p.Offset(igNSeg), nseg)

	step := func(aOff, bOff int) {
		for v := range bv {
			VMOVUPS(Mem{Base: b, Disp: bOff + v*width}, bv[v])
		}
		for r := 0; r < rows; r++ {
			m := Mem{Base: rowPtr[r], Index: off, Scale: 1, Disp: aOff}
			if zmm {
				for v := range bv {
					VFMADD231PS_BCST(m, bv[v], acc[r][v])
				}
			} else {
				VBROADCASTSS(m, bc)
				for v := range bv {
					VFMADD231PS(bv[v], bc, acc[r][v])
				}
			}
		}
	}
	const unroll = 4
	Comment("Per segment: its offset, then SegK rank-1 updates of the tile.")
	Label(name + "_seg")
	MOVQ(Mem{Base: segPtr}, off)
	MOVQ(p.Offset(igSegK), cnt)
	SHRQ(U8(2), cnt)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop4")
	for u := 0; u < unroll; u++ {
		step(4*u, u*vecs*width)
	}
	ADDQ(U8(4*unroll), off)
	ADDQ(U32(unroll*vecs*width), b)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop4"))
	Label(name + "_tail")
	MOVQ(p.Offset(igSegK), cnt)
	ANDQ(U8(unroll-1), cnt)
	JZ(LabelRef(name + "_next"))
	Label(name + "_loop")
	step(0, 0)
	ADDQ(U8(4), off)
	ADDQ(U32(vecs*width), b)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_next")
	ADDQ(U8(8), segPtr)
	DECQ(nseg)
	JNZ(LabelRef(name + "_seg"))

	outputStep(name, p, acc, vecs, zmm, igFlags, igC, igLDC, igMask, igBias, igR, igLDR, igMin, igMax)
}

// outputStep is the epilogue of a tile held in acc: accumulate onto C,
// bias, residual, clamp (each as Flags says), store. The field offsets
// name where the arguments struct keeps each input.
func outputStep(name string, p Mem, acc [][]VecVirtual, vecs int, zmm bool, fFlags, fC, fLDC, fMask, fBias, fR, fLDR, fMin, fMax int) {
	rows := len(acc)
	vec := func() VecVirtual { return newVec(zmm) }
	width := 4 * lanes(zmm)
	flags := GP64()
	MOVQ(p.Offset(fFlags), flags)
	c, ldc := GP64(), GP64()
	MOVQ(p.Offset(fC), c)
	MOVQ(p.Offset(fLDC), ldc)
	var masks []Op
	if zmm {
		m := GP64()
		MOVQ(p.Offset(fMask), m)
		masks = make([]Op, vecs)
		for v := range masks {
			kr := K()
			KMOVW(m.As32(), kr)
			SHRQ(U8(16), m)
			masks[v] = kr
		}
	}
	load := func(src Mem, v int, dst VecVirtual) {
		if zmm {
			VMOVUPS_Z(src, masks[v], dst)
		} else {
			VMOVUPS(src, dst)
		}
	}
	tmp := vec()
	rowPtr := GP64()

	TESTQ(U32(flagAccumulate), flags)
	JZ(LabelRef(name + "_bias"))
	MOVQ(c, rowPtr)
	for r := 0; r < rows; r++ {
		for v := 0; v < vecs; v++ {
			load(Mem{Base: rowPtr, Disp: v * width}, v, tmp)
			VADDPS(tmp, acc[r][v], acc[r][v])
		}
		if r+1 < rows {
			ADDQ(ldc, rowPtr)
		}
	}
	Label(name + "_bias")
	TESTQ(U32(flagBias), flags)
	JZ(LabelRef(name + "_residual"))
	bias := GP64()
	MOVQ(p.Offset(fBias), bias)
	for v := 0; v < vecs; v++ {
		load(Mem{Base: bias, Disp: v * width}, v, tmp)
		for r := 0; r < rows; r++ {
			VADDPS(tmp, acc[r][v], acc[r][v])
		}
	}
	Label(name + "_residual")
	TESTQ(U32(flagResidual), flags)
	JZ(LabelRef(name + "_clamp"))
	ldr := GP64()
	MOVQ(p.Offset(fR), rowPtr)
	MOVQ(p.Offset(fLDR), ldr)
	for r := 0; r < rows; r++ {
		for v := 0; v < vecs; v++ {
			load(Mem{Base: rowPtr, Disp: v * width}, v, tmp)
			VADDPS(tmp, acc[r][v], acc[r][v])
		}
		if r+1 < rows {
			ADDQ(ldr, rowPtr)
		}
	}
	Label(name + "_clamp")
	TESTQ(U32(flagClamp), flags)
	JZ(LabelRef(name + "_store"))
	lo, hi := vec(), vec()
	VBROADCASTSS(p.Offset(fMin), lo)
	VBROADCASTSS(p.Offset(fMax), hi)
	for r := 0; r < rows; r++ {
		for v := 0; v < vecs; v++ {
			// Operand order keeps a NaN in acc (MAXPS returns its second source on NaN).
			VMAXPS(acc[r][v], lo, acc[r][v])
			VMINPS(acc[r][v], hi, acc[r][v])
		}
	}
	Label(name + "_store")
	for r := 0; r < rows; r++ {
		for v := 0; v < vecs; v++ {
			dst := Mem{Base: c, Disp: v * width}
			if zmm {
				VMOVUPS(acc[r][v], masks[v], dst)
			} else {
				VMOVUPS(acc[r][v], dst)
			}
		}
		if r+1 < rows {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// convKernels generates the convolution and pooling kernels (igemm*,
// pool*), kept apart from the GEMM kernels of gemm.go.
func convKernels() {
	for rows := 1; rows <= 6; rows++ {
		igemmKernel(fmtName("igemmAVX512x32r", rows), rows, 2, true)
	}
	for rows := 1; rows <= 6; rows++ {
		igemmKernel(fmtName("igemmAVX2x16r", rows), rows, 2, false)
	}
	poolKernel("maxPoolAVX512Raw", true, false)
	poolKernel("maxPoolAVX2Raw", false, false)
	poolKernel("avgPoolAVX512Raw", true, true)
	poolKernel("avgPoolAVX2Raw", false, true)
	stemKernel("stem3x3c3AVX512")
	for _, sw := range []int{1, 2} {
		for _, kw := range []int{3, 5, 7} {
			dwRowKernel(fmt.Sprintf("dwRowAVX512k%ds%d", kw, sw), kw, sw, true)
			dwRowKernel(fmt.Sprintf("dwRowAVX2k%ds%d", kw, sw), kw, sw, false)
		}
	}
}
