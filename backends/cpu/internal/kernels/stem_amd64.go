//go:build amd64 && gc && !purego

package kernels

// haveStem: this build has the stem kernel.
const haveStem = true

func stemAsm(p *stemArgs) { stem3x3c3AVX512(p.raw()) }
