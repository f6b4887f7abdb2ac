//go:build amd64 && gc && !purego

package kernels

// haveDwRow: this build has the row-depthwise kernels.
const haveDwRow = true

// dwRowAsm runs the named ISA's row-depthwise kernel for kw (called
// directly, not through a func value, so the arguments stay on the
// caller's stack).
func dwRowAsm(isa string, kw, sw int, p *dwRowArgs) {
	switch {
	case isa == "avx512" && sw == 1 && kw == 3:
		dwRowAVX512k3s1(p.raw())
	case isa == "avx512" && sw == 1 && kw == 5:
		dwRowAVX512k5s1(p.raw())
	case isa == "avx512" && sw == 1 && kw == 7:
		dwRowAVX512k7s1(p.raw())
	case isa == "avx512" && sw == 2 && kw == 3:
		dwRowAVX512k3s2(p.raw())
	case isa == "avx512" && sw == 2 && kw == 5:
		dwRowAVX512k5s2(p.raw())
	case isa == "avx512" && sw == 2 && kw == 7:
		dwRowAVX512k7s2(p.raw())
	case isa == "avx2" && sw == 1 && kw == 3:
		dwRowAVX2k3s1(p.raw())
	case isa == "avx2" && sw == 1 && kw == 5:
		dwRowAVX2k5s1(p.raw())
	case isa == "avx2" && sw == 1 && kw == 7:
		dwRowAVX2k7s1(p.raw())
	case isa == "avx2" && sw == 2 && kw == 3:
		dwRowAVX2k3s2(p.raw())
	case isa == "avx2" && sw == 2 && kw == 5:
		dwRowAVX2k5s2(p.raw())
	case isa == "avx2" && sw == 2 && kw == 7:
		dwRowAVX2k7s2(p.raw())
	default:
		panic("kernels: no row-depthwise kernel")
	}
}
