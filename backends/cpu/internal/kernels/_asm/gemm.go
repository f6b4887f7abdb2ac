package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of kernels.gemmArgs; kernels' TestGemmArgsLayout
// checks that the Go struct still has them.
// packedMR is the row count of a packed A step (kernels.packMR).
const packedMR = 6

const (
	offA     = 0
	offLDA   = 8
	offB     = 16
	offC     = 24
	offLDC   = 32
	offK     = 40
	offFlags = 48
	offBias  = 56
	offR     = 64
	offLDR   = 72
	offMask  = 80
	offMin   = 88
	offMax   = 92
)

// Flag bits of gemmArgs.Flags (kernels' flag constants mirror them).
const (
	flagAccumulate = 1 // add the C already in memory
	flagBias       = 2 // add Bias[j] to column j
	flagResidual   = 4 // add R[i][j]
	flagClamp      = 8 // clamp to [Min, Max] (relu, relu6, clip)
)

// gemmKernel generates one micro-kernel computing a rows×(vecs·lanes) tile
// of C from `rows` rows of A (row stride LDA bytes, K consecutive floats
// each) and a packed B panel (K rows of vecs·lanes floats), then applying
// the output step selected by Flags.
func gemmKernel(name string, rows, vecs int, zmm, packed bool) {
	TEXT(name, NOSPLIT, "func(p *[12]uint64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C (see gemmArgs).", name, rows, vecs*lanes(zmm)))
	p := Mem{Base: Load(Param("p"), GP64())}
	vec := func() VecVirtual {
		if zmm {
			return ZMM()
		}
		return YMM()
	}
	width := 4 * lanes(zmm)

	// Packed A: step k holds the tile's rows at A + k·24 + r·4 (MR = 6
	// floats per step whatever rows is), so the loads are sequential.
	// Unpacked A: row r at A + r·LDA, k consecutive floats (a0 and a3 =
	// a0 + 3·LDA address the six rows with scaled indexes).
	a0 := GP64()
	MOVQ(p.Offset(offA), a0)
	var a3, lda GPVirtual
	if !packed {
		a3, lda = GP64(), GP64()
		MOVQ(p.Offset(offLDA), lda)
		LEAQ(Mem{Base: a0, Index: lda, Scale: 2}, a3)
		ADDQ(lda, a3)
	}
	aStep := 4 * packedMR // bytes of A per step of k
	if !packed {
		aStep = 4
	}
	b, k := GP64(), GP64()
	MOVQ(p.Offset(offB), b)
	MOVQ(p.Offset(offK), k)

	acc := make([][]VecVirtual, rows)
	for r := range acc {
		acc[r] = make([]VecVirtual, vecs)
		for v := range acc[r] {
			acc[r][v] = vec()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	rowA := func(r int) Mem {
		if packed {
			return Mem{Base: a0, Disp: 4 * r}
		}
		switch r {
		case 0:
			return Mem{Base: a0}
		case 1:
			return Mem{Base: a0, Index: lda, Scale: 1}
		case 2:
			return Mem{Base: a0, Index: lda, Scale: 2}
		case 3:
			return Mem{Base: a3}
		case 4:
			return Mem{Base: a3, Index: lda, Scale: 1}
		}
		return Mem{Base: a3, Index: lda, Scale: 2}
	}
	advanceA := func(bytes int) {
		ADDQ(U32(bytes), a0)
		if !packed && rows > 3 {
			ADDQ(U32(bytes), a3)
		}
	}

	Comment("The K loop: one rank-1 update of the tile per step.")
	TESTQ(k, k)
	JZ(LabelRef(name + "_epilogue"))
	bv := make([]VecVirtual, vecs)
	for v := range bv {
		bv[v] = vec()
	}
	var bc VecVirtual
	if !zmm {
		bc = vec()
	}
	// One step of k at byte offset off into the current A and B.
	step := func(aOff, bOff int) {
		for v := range bv {
			VMOVUPS(Mem{Base: b, Disp: bOff + v*width}, bv[v])
		}
		for r := 0; r < rows; r++ {
			m := rowA(r)
			m.Disp += aOff
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
	// Four steps per iteration while at least four remain, then one at a time.
	const unroll = 4
	k4 := GP64()
	MOVQ(k, k4)
	SHRQ(U8(2), k4)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop4")
	for u := 0; u < unroll; u++ {
		step(u*aStep, u*vecs*width)
	}
	advanceA(unroll * aStep)
	ADDQ(U32(unroll*vecs*width), b)
	DECQ(k4)
	JNZ(LabelRef(name + "_loop4"))
	Label(name + "_tail")
	ANDQ(U8(unroll-1), k)
	JZ(LabelRef(name + "_epilogue"))
	Label(name + "_loop")
	step(0, 0)
	advanceA(aStep)
	ADDQ(U32(vecs*width), b)
	DECQ(k)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_epilogue")
	flags := GP64()
	MOVQ(p.Offset(offFlags), flags)
	c, ldc := GP64(), GP64()
	MOVQ(p.Offset(offC), c)
	MOVQ(p.Offset(offLDC), ldc)

	// Masks (AVX-512 only): K1 for the first vector of a row, K2 for the second.
	var masks []Op
	if zmm {
		m := GP64()
		MOVQ(p.Offset(offMask), m)
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
	store := func(src VecVirtual, v int, dst Mem) {
		if zmm {
			VMOVUPS(src, masks[v], dst)
		} else {
			VMOVUPS(src, dst)
		}
	}
	tmp := vec()
	rowPtr := GP64()

	Comment("Accumulate onto C from an earlier K block.")
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
	MOVQ(p.Offset(offBias), bias)
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
	MOVQ(p.Offset(offR), rowPtr)
	MOVQ(p.Offset(offLDR), ldr)
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
	VBROADCASTSS(p.Offset(offMin), lo)
	VBROADCASTSS(p.Offset(offMax), hi)
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
			store(acc[r][v], v, Mem{Base: c, Disp: v * width})
		}
		if r+1 < rows {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

func lanes(zmm bool) int {
	if zmm {
		return 16
	}
	return 8
}

func fmtName(prefix string, rows int) string { return fmt.Sprintf("%s%d", prefix, rows) }
