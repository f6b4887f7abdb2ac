package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The elementwise binary kernels of add, sub, mul and div: a row against a
// row of the same length (d = a op b) and a row against a scalar (d = a op s
// and d = s op a). The AVX-512 kernels take any n ≥ 1 and finish with a
// masked vector; the AVX2 ones take n a positive multiple of 8 (Go does the
// rest). Division is VDIVPS: IEEE, like Go's float32 division.

// binaryOps names the operations in the order of kernels.BinOp.
var binaryOps = []string{"Add", "Sub", "Mul", "Div"}

// binaryKernels generates every binary kernel for one vector width.
func binaryKernels(zmm bool) {
	isa := map[bool]string{true: "AVX512", false: "AVX2"}[zmm]
	for _, op := range binaryOps {
		binaryKernel("bin"+op+"VV"+isa, op, "vv", zmm)
		binaryKernel("bin"+op+"VS"+isa, op, "vs", zmm)
		if op == "Sub" || op == "Div" { // add and mul commute: s op a is a op s
			binaryKernel("bin"+op+"SV"+isa, op, "sv", zmm)
		}
	}
}

// binaryOp emits dst = x op y (y may be memory).
func binaryOp(op string, y Op, x, dst VecVirtual) {
	switch op {
	case "Add":
		VADDPS(y, x, dst)
	case "Sub":
		VSUBPS(y, x, dst)
	case "Mul":
		VMULPS(y, x, dst)
	default:
		VDIVPS(y, x, dst)
	}
}

// binaryKernel: form "vv" is d = a op b, "vs" d = a op s, "sv" d = s op a.
func binaryKernel(name, op, form string, zmm bool) {
	sig := "func(d, a, b *float32, n int)"
	what := "d = a " + op + " b over n floats"
	if form != "vv" {
		sig = "func(d, a *float32, s float32, n int)"
		what = map[string]string{"vs": "d = a " + op + " s", "sv": "d = s " + op + " a"}[form] + " over n floats"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if zmm {
		Doc(fmt.Sprintf("%s sets %s, n ≥ 1 (the last vector masked).", name, what))
	} else {
		Doc(fmt.Sprintf("%s sets %s, n a positive multiple of 8.", name, what))
	}
	width := 4 * lanes(zmm)
	d := Load(Param("d"), GP64())
	a := Load(Param("a"), GP64())
	var b Register
	var s VecVirtual
	if form == "vv" {
		b = Load(Param("b"), GP64())
	} else {
		sx := Load(Param("s"), XMM())
		s = newVec(zmm)
		VBROADCASTSS(sx, s)
	}
	n := Load(Param("n"), GP64())
	cnt := GP64()
	MOVQ(n, cnt)
	SHRQ(U8(widthShift(zmm)), cnt)
	JZ(LabelRef(name + "_tail"))
	// one vector of output from the vectors (or masked lanes) at a and b
	one := func(la, lb Op, load func(m Op, v VecVirtual)) VecVirtual {
		v := newVec(zmm)
		switch form {
		case "vv":
			load(la, v)
			if lb != nil {
				binaryOp(op, lb, v, v)
			}
		case "vs":
			load(la, v)
			binaryOp(op, s, v, v)
		default:
			x := newVec(zmm)
			load(la, x)
			binaryOp(op, x, s, v)
		}
		return v
	}
	Label(name + "_loop")
	var bm Op
	if form == "vv" {
		bm = Mem{Base: b}
	}
	v := one(Mem{Base: a}, bm, func(m Op, v VecVirtual) { VMOVUPS(m, v) })
	VMOVUPS(v, Mem{Base: d})
	ADDQ(U32(width), a)
	if form == "vv" {
		ADDQ(U32(width), b)
	}
	ADDQ(U32(width), d)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	if zmm {
		rem := GP64()
		MOVQ(n, rem)
		ANDQ(U32(15), rem)
		JZ(LabelRef(name + "_done"))
		SHLQ(U8(2), rem) // tailMask takes bytes
		k := tailMask(rem)
		load := func(m Op, v VecVirtual) { VMOVUPS_Z(m, k, v) }
		var v VecVirtual
		if form == "vv" {
			bv := newVec(zmm)
			load(Mem{Base: b}, bv)
			v = one(Mem{Base: a}, nil, load)
			binaryOp(op, bv, v, v)
		} else {
			v = one(Mem{Base: a}, nil, load)
		}
		VMOVUPS(v, k, Mem{Base: d})
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
