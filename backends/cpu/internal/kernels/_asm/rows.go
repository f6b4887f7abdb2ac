package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The row kernels of softmax and layer_norm. Each takes n, a positive
// multiple of the vector width (the Go caller does the rest of a row), and
// keeps its sums in float64 lanes, so that a row's statistics are as close to
// ref's float64 as its order of summation allows.

// rowKernels generates every row kernel for one vector width.
func rowKernels(zmm bool) {
	isa := map[bool]string{true: "AVX512", false: "AVX2"}[zmm]
	rowMaxKernel("rowMax"+isa, zmm)
	expShiftSumKernel("expShiftSum"+isa, zmm)
	scaleRowKernel("scaleRow"+isa, zmm)
	sumF64Kernel("sumF64"+isa, zmm)
	sqDevF64Kernel("sqDevF64"+isa, zmm)
	normRowKernel("normRow"+isa, zmm)
}

// widthShift is log2 of the floats per vector.
func widthShift(zmm bool) uint8 {
	if zmm {
		return 4
	}
	return 3
}

// hsumPD adds the float64 lanes of acc into the low lane of an XMM register.
func hsumPD(acc VecVirtual, zmm bool) VecVirtual {
	y := acc
	if zmm {
		hi := YMM()
		VEXTRACTF64X4(U8(1), acc, hi)
		y = YMM()
		VADDPD(hi, acc.AsY(), y)
	}
	xhi := XMM()
	VEXTRACTF128(U8(1), y, xhi)
	x := XMM()
	VADDPD(xhi, y.AsX(), x)
	sw := XMM()
	VPERMILPD(U8(1), x, sw)
	VADDSD(sw, x, x)
	return x
}

// widen loads the floats at m (a half vector) as float64 lanes.
func widen(m Mem, zmm bool) VecVirtual {
	if zmm {
		d := ZMM()
		VCVTPS2PD(m, d)
		return d
	}
	d := YMM()
	VCVTPS2PD(m, d)
	return d
}

// loopHead loads n and turns it into a count of vectors.
func loopHead(name string, zmm bool) Register {
	n := Load(Param("n"), GP64())
	SHRQ(U8(widthShift(zmm)), n)
	return n
}

// rowMaxKernel: the largest of n floats (a NaN among them may or may not be
// returned; softmax turns a NaN row into NaNs either way).
func rowMaxKernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns the largest of n floats, n a positive multiple of the vector width.", name))
	g := vecGen{zmm: zmm}
	x := Load(Param("x"), GP64())
	n := loopHead(name, zmm)
	m := g.vec()
	VMOVUPS(Mem{Base: x}, m)
	Label(name + "_loop")
	v := g.vec()
	VMOVUPS(Mem{Base: x}, v)
	VMAXPS(v, m, m)
	ADDQ(U32(4*lanes(zmm)), x)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	y := m
	if zmm {
		hi := YMM()
		VEXTRACTF64X4(U8(1), m, hi)
		y = YMM()
		VMAXPS(hi, m.AsY(), y)
	}
	xhi := XMM()
	VEXTRACTF128(U8(1), y, xhi)
	r := XMM()
	VMAXPS(xhi, y.AsX(), r)
	sw := XMM()
	VPERMILPS(U8(0x4e), r, sw) // swap the 64-bit halves
	VMAXPS(sw, r, r)
	VPERMILPS(U8(0xb1), r, sw) // swap neighbours
	VMAXPS(sw, r, r)
	VZEROUPPER()
	Store(r, ReturnIndex(0))
	RET()
}

// expShiftSumKernel: y = e^(x − m) for x ≤ m, returning Σ y in float64.
func expShiftSumKernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(x, y *float32, n int, m float32) float64")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets y = exp(x − m) (x ≤ m) over n floats, n a positive multiple of the vector width, and returns their sum.", name))
	g := vecGen{zmm: zmm}
	x := Load(Param("x"), GP64())
	yp := Load(Param("y"), GP64())
	n := loopHead(name, zmm)
	mx := Load(Param("m"), XMM())
	m := g.vec()
	VBROADCASTSS(mx, m)
	acc := g.vec()
	VXORPD(acc, acc, acc)
	Label(name + "_loop")
	v := g.vec()
	VMOVUPS(Mem{Base: x}, v)
	VSUBPS(m, v, v)
	e := g.exp(v)
	VMOVUPS(e, Mem{Base: yp})
	// Widen both halves of e and add them in float64.
	lo, hi := g.vec(), g.vec()
	if zmm {
		VCVTPS2PD(e.AsY(), lo)
		eh := YMM()
		VEXTRACTF64X4(U8(1), e, eh)
		VCVTPS2PD(eh, hi)
	} else {
		VCVTPS2PD(e.AsX(), lo)
		eh := XMM()
		VEXTRACTF128(U8(1), e, eh)
		VCVTPS2PD(eh, hi)
	}
	VADDPD(lo, acc, acc)
	VADDPD(hi, acc, acc)
	ADDQ(U32(4*lanes(zmm)), x)
	ADDQ(U32(4*lanes(zmm)), yp)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	s := hsumPD(acc, zmm)
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// scaleRowKernel: y *= s.
func scaleRowKernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(y *float32, n int, s float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s multiplies n floats by s in place, n a positive multiple of the vector width.", name))
	g := vecGen{zmm: zmm}
	yp := Load(Param("y"), GP64())
	n := loopHead(name, zmm)
	sx := Load(Param("s"), XMM())
	s := g.vec()
	VBROADCASTSS(sx, s)
	Label(name + "_loop")
	v := g.vec()
	VMULPS(Mem{Base: yp}, s, v)
	VMOVUPS(v, Mem{Base: yp})
	ADDQ(U32(4*lanes(zmm)), yp)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}

// sumF64Kernel: Σ x in float64 lanes.
func sumF64Kernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(x *float32, n int) float64")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns the sum of n floats in float64, n a positive multiple of the vector width.", name))
	g := vecGen{zmm: zmm}
	x := Load(Param("x"), GP64())
	n := loopHead(name, zmm)
	a0, a1 := g.vec(), g.vec()
	VXORPD(a0, a0, a0)
	VXORPD(a1, a1, a1)
	half := 2 * lanes(zmm)
	Label(name + "_loop")
	VADDPD(widen(Mem{Base: x}, zmm), a0, a0)
	VADDPD(widen(Mem{Base: x, Disp: half}, zmm), a1, a1)
	ADDQ(U32(4*lanes(zmm)), x)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VADDPD(a1, a0, a0)
	s := hsumPD(a0, zmm)
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// sqDevF64Kernel: Σ (x − mean)² in float64 lanes.
func sqDevF64Kernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(x *float32, n int, mean float64) float64")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns the sum of (x − mean)² over n floats in float64, n a positive multiple of the vector width.", name))
	g := vecGen{zmm: zmm}
	x := Load(Param("x"), GP64())
	n := loopHead(name, zmm)
	mx := Load(Param("mean"), XMM())
	m := g.vec()
	VBROADCASTSD(mx, m)
	a0, a1 := g.vec(), g.vec()
	VXORPD(a0, a0, a0)
	VXORPD(a1, a1, a1)
	half := 2 * lanes(zmm)
	Label(name + "_loop")
	d0 := widen(Mem{Base: x}, zmm)
	VSUBPD(m, d0, d0)
	VFMADD231PD(d0, d0, a0)
	d1 := widen(Mem{Base: x, Disp: half}, zmm)
	VSUBPD(m, d1, d1)
	VFMADD231PD(d1, d1, a1)
	ADDQ(U32(4*lanes(zmm)), x)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VADDPD(a1, a0, a0)
	s := hsumPD(a0, zmm)
	VZEROUPPER()
	Store(s, ReturnIndex(0))
	RET()
}

// normRowKernel: y = (x − mean)·inv·g + b, in float64, rounded once.
func normRowKernel(name string, zmm bool) {
	TEXT(name, NOSPLIT, "func(x, y, gamma, beta *float32, n int, mean, inv float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets y = (x − mean)·inv·g + b over n floats (in float64, rounded once), n a positive multiple of the vector width.", name))
	vg := vecGen{zmm: zmm}
	x := Load(Param("x"), GP64())
	yp := Load(Param("y"), GP64())
	gp := Load(Param("gamma"), GP64())
	bp := Load(Param("beta"), GP64())
	n := loopHead(name, zmm)
	mx := Load(Param("mean"), XMM())
	ix := Load(Param("inv"), XMM())
	m, inv := vg.vec(), vg.vec()
	VBROADCASTSD(mx, m)
	VBROADCASTSD(ix, inv)
	half := 2 * lanes(zmm)
	Label(name + "_loop")
	for h := 0; h < 2; h++ {
		d := widen(Mem{Base: x, Disp: h * half}, zmm)
		VSUBPD(m, d, d)
		VMULPD(inv, d, d)
		VMULPD(widen(Mem{Base: gp, Disp: h * half}, zmm), d, d)
		VADDPD(widen(Mem{Base: bp, Disp: h * half}, zmm), d, d)
		if zmm {
			o := YMM()
			VCVTPD2PS(d, o)
			VMOVUPS(o, Mem{Base: yp, Disp: h * half})
		} else {
			o := XMM()
			VCVTPD2PSY(d, o)
			VMOVUPS(o, Mem{Base: yp, Disp: h * half})
		}
	}
	for _, r := range []Register{x, yp, gp, bp} {
		ADDQ(U32(4*lanes(zmm)), r)
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}
