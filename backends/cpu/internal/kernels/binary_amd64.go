//go:build amd64 && gc && !purego

package kernels

func init() {
	for _, isa := range candidates {
		switch isa.Name {
		case "avx512":
			isa.bin = binKernels{masked: true,
				vv: [numBinOps]binVV{binAddVVAVX512, binSubVVAVX512, binMulVVAVX512, binDivVVAVX512},
				vs: [numBinOps]binVS{binAddVSAVX512, binSubVSAVX512, binMulVSAVX512, binDivVSAVX512},
				sv: [numBinOps]binVS{binAddVSAVX512, binSubSVAVX512, binMulVSAVX512, binDivSVAVX512}}
		case "avx2":
			isa.bin = binKernels{
				vv: [numBinOps]binVV{binAddVVAVX2, binSubVVAVX2, binMulVVAVX2, binDivVVAVX2},
				vs: [numBinOps]binVS{binAddVSAVX2, binSubVSAVX2, binMulVSAVX2, binDivVSAVX2},
				sv: [numBinOps]binVS{binAddVSAVX2, binSubSVAVX2, binMulVSAVX2, binDivSVAVX2}}
		}
	}
}
