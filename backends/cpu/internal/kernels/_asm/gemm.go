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
	vec := func() VecVirtual { return newVec(zmm) }
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
	outputStep(name, p, acc, vecs, zmm, offFlags, offC, offLDC, offMask, offBias, offR, offLDR, offMin, offMax)
}

// newVec allocates a virtual vector register: a ZMM for the AVX-512
// kernels, a YMM for the AVX2 ones.
func newVec(zmm bool) VecVirtual {
	if zmm {
		return ZMM()
	}
	return YMM()
}

// tailMask returns an opmask with the low rem/4 bits set: the lanes of the
// rem bytes (fewer than one vector's) left at the end of a channel row.
// rem is clobbered.
func tailMask(rem Register) Op {
	SHRQ(U8(2), rem)
	m := GP64()
	MOVQ(U32(1), m)
	SHLXQ(rem, m, m) // BMI2, present on every AVX-512 CPU
	DECQ(m)
	k := K()
	KMOVW(m.As32(), k)
	return k
}

// channelBlock opens a block of channels at label: rem = C − cOff (C at
// offset offC of the arguments p), then a jump to label+"_end" unless a
// whole block of blockBytes remains or, masked, any channel does. A masked
// block returns the tail's opmask, an unmasked one nil.
func channelBlock(label string, p Mem, offC int, cOff, rem Register, blockBytes int, masked bool) Op {
	Label(label)
	MOVQ(p.Offset(offC), rem)
	SUBQ(cOff, rem)
	if masked {
		JLE(LabelRef(label + "_end"))
		return tailMask(rem)
	}
	CMPQ(rem, U32(blockBytes))
	JL(LabelRef(label + "_end"))
	return nil
}

func lanes(zmm bool) int {
	if zmm {
		return 16
	}
	return 8
}

func fmtName(prefix string, rows int) string { return fmt.Sprintf("%s%d", prefix, rows) }
