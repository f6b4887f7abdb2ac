//go:build amd64 && gc && !purego

package kernels

func init() {
	for _, isa := range candidates {
		switch isa.Name {
		case "avx512":
			isa.red = reduceKernels{max: lanesMaxAVX512, min: lanesMinAVX512}
		case "avx2":
			isa.red = reduceKernels{max: lanesMaxAVX2, min: lanesMinAVX2}
		}
	}
}
