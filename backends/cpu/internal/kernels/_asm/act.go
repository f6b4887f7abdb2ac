package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The constants of the vector activations, one float32 each in actTab.
var actConsts = []float32{}
var actIndex = map[string]int{}

func actConst(name string, v float32) {
	actIndex[name] = len(actConsts)
	actConsts = append(actConsts, v)
}

// erfcCoef are the coefficients (lowest first) of the Chebyshev fit in
// erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1+z/2), fractional error < 1.2e-7
// (Numerical Recipes' erfcc; the public-domain fit of W. J. Cody's form).
var erfcCoef = []float32{-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
	0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277}

func init() {
	actConst("one", 1)
	actConst("half", 0.5)
	actConst("absmask", math.Float32frombits(0x7fffffff))
	actConst("signmask", math.Float32frombits(0x80000000))
	actConst("invsqrt2", float32(1/math.Sqrt2))
	actConst("expmin", -87)
	actConst("log2e", float32(math.Log2E))
	actConst("magic", 12582912) // 1.5·2^23: adding it rounds to an integer held in the low bits
	actConst("ln2hi", 0.693359375)
	actConst("ln2lo", -2.12194440e-4)
	actConst("bias", math.Float32frombits(127)) // the int32 127, as bits
	for i, c := range []float64{1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040} {
		actConst(fmt.Sprintf("exp%d", i), float32(c))
	}
	for i, c := range erfcCoef {
		actConst(fmt.Sprintf("erfc%d", i), c)
	}
}

var actTab Mem

func declareActTable() {
	actTab = GLOBL("acttab", RODATA|NOPTR)
	for i, v := range actConsts {
		DATA(4*i, U32(math.Float32bits(v)))
	}
}

type vecGen struct {
	zmm bool
}

func (g vecGen) vec() VecVirtual {
	if g.zmm {
		return ZMM()
	}
	return YMM()
}

// c broadcasts constant name into a fresh register.
func (g vecGen) c(name string) VecVirtual {
	r := g.vec()
	VBROADCASTSS(actTab.Offset(4*actIndex[name]), r)
	return r
}

// exp returns e^y for y ≥ −87 (clamped): Cody–Waite reduction by ln 2 and a
// degree-7 polynomial, 2^n put in the exponent bits directly.
func (g vecGen) exp(y VecVirtual) VecVirtual {
	VMAXPS(y, g.c("expmin"), y) // a NaN y stays NaN (MAXPS returns its second source)
	v := g.vec()
	VMOVAPS(g.c("magic"), v)
	VFMADD231PS(g.c("log2e"), y, v) // v = y·log2e + magic
	n := g.vec()
	VSUBPS(g.c("magic"), v, n) // n = round(y·log2e)
	r := g.vec()
	VMOVAPS(y, r)
	VFNMADD231PS(g.c("ln2hi"), n, r) // r = y − n·ln2hi
	VFNMADD231PS(g.c("ln2lo"), n, r) // − n·ln2lo
	p := g.c("exp7")
	for i := 6; i >= 0; i-- {
		VFMADD213PS(g.c(fmt.Sprintf("exp%d", i)), r, p) // p = p·r + c_i
	}
	VPADDD(g.c("bias"), v, v)
	VPSLLD(U8(23), v, v) // 2^n
	VMULPS(v, p, p)
	return p
}

// actKernel generates f(p *float32, n int) applying kind in place to n
// floats, n a multiple of the vector width (Go does the tail).
func actKernel(name, kind string, zmm bool) {
	TEXT(name, NOSPLIT, "func(x *float32, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s applies %s in place to n floats, n a multiple of the vector width.", name, kind))
	g := vecGen{zmm: zmm}
	width := 32
	if zmm {
		width = 64
	}
	ptr := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(map[bool]uint8{true: 4, false: 3}[zmm]), n)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	x := g.vec()
	VMOVUPS(Mem{Base: ptr}, x)
	sign := g.vec()
	if kind != "exp" {
		VANDPS(g.c("signmask"), x, sign)
	}
	switch kind {
	case "gelu":
		// gelu(x) = x/2·(1 + erf(x/√2)); erf(x/√2) = s·(1 − erfc(|x|/√2)), s = sign(x).
		z := g.vec()
		VANDPS(g.c("absmask"), x, z)
		VMULPS(g.c("invsqrt2"), z, z)
		t := g.vec()
		VMOVAPS(g.c("half"), t)
		VFMADD213PS(g.c("one"), z, t) // 1 + z/2
		one := g.c("one")
		VDIVPS(t, one, t) // t = 1/(1+z/2)
		p := g.c(fmt.Sprintf("erfc%d", len(erfcCoef)-1))
		for i := len(erfcCoef) - 2; i >= 0; i-- {
			VFMADD213PS(g.c(fmt.Sprintf("erfc%d", i)), t, p)
		}
		VFNMADD231PS(z, z, p) // P(t) − z²
		e := g.exp(p)
		VMULPS(t, e, e) // erfc(|x|/√2)
		q := g.c("one")
		VSUBPS(e, q, q)          // erf(|x|/√2)
		VXORPS(sign, q, q)       // erf(x/√2)
		VADDPS(g.c("one"), q, q) // 1 + erf
		VMULPS(g.c("half"), x, x)
		VMULPS(q, x, x)
	case "exp":
		// e^x for x ≤ 0 (softmax after subtracting the maximum); below −87
		// it gives e^−87 ≈ 1.6e-38 instead of a smaller number.
		e := g.exp(x)
		VMOVAPS(e, x)
	case "sigmoid":
		// σ(x) = 1/2 + s·(1/(1+e^−|x|) − 1/2)
		y := g.vec()
		VANDPS(g.c("absmask"), x, y)
		VXORPS(g.c("signmask"), y, y) // −|x|
		e := g.exp(y)
		VADDPS(g.c("one"), e, e)
		one := g.c("one")
		VDIVPS(e, one, e)
		VSUBPS(g.c("half"), e, e)
		VXORPS(sign, e, e)
		VADDPS(g.c("half"), e, x)
	}
	VMOVUPS(x, Mem{Base: ptr})
	ADDQ(U32(width), ptr)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
