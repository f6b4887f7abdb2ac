//go:build amd64 && gc && !purego

package kernels

func init() {
	for _, isa := range candidates {
		switch isa.Name {
		case "avx512":
			isa.rows = rowKernels{max: rowMaxAVX512, expShiftSum: expShiftSumAVX512, scale: scaleRowAVX512,
				sum: sumF64AVX512, sqDev: sqDevF64AVX512, norm: normRowAVX512}
		case "avx2":
			isa.rows = rowKernels{max: rowMaxAVX2, expShiftSum: expShiftSumAVX2, scale: scaleRowAVX2,
				sum: sumF64AVX2, sqDev: sqDevF64AVX2, norm: normRowAVX2}
		}
	}
}
