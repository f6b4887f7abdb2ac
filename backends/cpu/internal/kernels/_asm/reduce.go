package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// The max and min row kernels of reduce_max and reduce_min. They keep one
// vector of running extremes, with NaN propagating as ref's does (a NaN
// accumulator lane stays NaN; a NaN input replaces its lane), and store it
// for Go to fold, so the lanes' NaNs survive the horizontal step. The sums
// of reduce_sum and reduce_mean are rows.go's sumF64 kernels.

// reduceKernels generates the max and min kernels for one vector width.
func reduceKernels(zmm bool) {
	isa := map[bool]string{true: "AVX512", false: "AVX2"}[zmm]
	extremeKernel("lanesMax"+isa, true, zmm)
	extremeKernel("lanesMin"+isa, false, zmm)
}

func extremeKernel(name string, isMax bool, zmm bool) {
	TEXT(name, NOSPLIT, "func(x *float32, n int, out *float32)")
	Pragma("noescape")
	what := map[bool]string{true: "largest", false: "smallest"}[isMax]
	Doc(fmt.Sprintf("%s stores at out the %s of each lane over n floats (n a positive multiple of the vector width), a NaN lane wherever a NaN was.", name, what))
	x := Load(Param("x"), GP64())
	n := loopHead(name, zmm)
	out := Load(Param("out"), GP64())
	acc := newVec(zmm)
	VMOVUPS(Mem{Base: x}, acc)
	Label(name + "_loop")
	v := newVec(zmm)
	VMOVUPS(Mem{Base: x}, v)
	// acc = op(v, acc) keeps a NaN already in acc (the second source is
	// returned when either is NaN); then a NaN in v replaces acc.
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
	ADDQ(U32(4*lanes(zmm)), x)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VMOVUPS(acc, Mem{Base: out})
	VZEROUPPER()
	RET()
}
