//go:build amd64 && gc && !purego

package kernels

// poolAsm runs the pooling kernel of the named ISA (called directly, not
// through a func value, so the arguments stay on the caller's stack).
func poolAsm(isa string, p *poolArgs, avg bool) {
	switch {
	case isa == "avx512" && avg:
		avgPoolAVX512Raw(p.raw())
	case isa == "avx512":
		maxPoolAVX512Raw(p.raw())
	case isa == "avx2" && avg:
		avgPoolAVX2Raw(p.raw())
	case isa == "avx2":
		maxPoolAVX2Raw(p.raw())
	default:
		panic("kernels: no pooling kernel for " + isa)
	}
}
