package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The max and min row kernels of reduce_max and reduce_min. They keep
// vectors of running extremes, with NaN propagating as ref's does (a NaN
// accumulator lane stays NaN; a NaN input replaces its lane), and store them
// for Go to fold, so the lanes' NaNs survive the horizontal step. The sums
// of reduce_sum and reduce_mean are rows.go's sumF64 kernels.

// reduceKernels generates the max and min kernels for one vector width.
func reduceKernels(zmm bool) {
	isa := map[bool]string{true: "AVX512", false: "AVX2"}[zmm]
	extremeKernel("lanesMax"+isa, true, zmm)
	extremeKernel("lanesMin"+isa, false, zmm)
}

// extremeAccs is how many accumulators (independent dependency chains) the
// max and min kernels keep; all are stored for Go to fold.
const extremeAccs = 4

func extremeKernel(name string, isMax bool, zmm bool) {
	TEXT(name, NOSPLIT, "func(x *float32, n int, out *float32)")
	Pragma("noescape")
	what := map[bool]string{true: "largest", false: "smallest"}[isMax]
	Doc(fmt.Sprintf("%s stores at out %d vectors whose lanes hold the %s of the floats they saw over n floats (n a positive multiple of the vector width), NaN wherever a NaN was.", name, extremeAccs, what))
	width := 4 * lanes(zmm)
	x := Load(Param("x"), GP64())
	n := loopHead(name, zmm)
	out := Load(Param("out"), GP64())
	acc := make([]VecVirtual, extremeAccs)
	for j := range acc {
		acc[j] = newVec(zmm)
		VMOVUPS(Mem{Base: x}, acc[j]) // the first vector seeds every chain
	}
	// fold: acc = op(v, acc) keeps a NaN already in acc (the second source
	// is returned when either is NaN); then a NaN in v replaces acc.
	fold := func(m Mem, acc VecVirtual) {
		v := newVec(zmm)
		VMOVUPS(m, v)
		if isMax {
			VMAXPS(acc, v, acc)
		} else {
			VMINPS(acc, v, acc)
		}
		if zmm {
			k := K()
			VCMPPS(U8(3), v, v, k) // unordered: v is NaN
			VMOVAPS(v, k, acc)
		} else {
			nan := newVec(zmm)
			VCMPPS(U8(3), v, v, nan)
			VBLENDVPS(nan, v, acc, acc)
		}
	}
	CMPQ(n, U8(extremeAccs))
	JL(LabelRef(name + "_single"))
	Label(name + "_group")
	for j := range acc {
		fold(Mem{Base: x, Disp: j * width}, acc[j])
	}
	ADDQ(U32(extremeAccs*width), x)
	SUBQ(U8(extremeAccs), n)
	CMPQ(n, U8(extremeAccs))
	JGE(LabelRef(name + "_group"))
	Label(name + "_single")
	TESTQ(n, n)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop")
	fold(Mem{Base: x}, acc[0])
	ADDQ(U32(width), x)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_store")
	for j := range acc {
		VMOVUPS(acc[j], Mem{Base: out, Disp: j * width})
	}
	VZEROUPPER()
	RET()
}
