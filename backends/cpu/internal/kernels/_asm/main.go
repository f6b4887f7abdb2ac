// Command asm generates the amd64 kernels of package kernels with avo.
//
// Run it through `go generate ./backends/cpu/internal/kernels` (or
// `make cpu-asm`), which runs, from this directory:
//
//	go run . -out ../kernels_amd64.s -stubs ../kernels_amd64.go -pkg kernels
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	ConstraintExpr("amd64,gc,!purego")
	// Packed A (…r<rows>) and A read in place with a row stride (…u<rows>).
	for _, packed := range []bool{true, false} {
		suffix := map[bool]string{true: "r", false: "u"}[packed]
		for rows := 1; rows <= 6; rows++ {
			gemmKernel(fmtName("gemmAVX512x32"+suffix, rows), rows, 2, true, packed)
		}
		for rows := 1; rows <= 6; rows++ {
			gemmKernel(fmtName("gemmAVX2x16"+suffix, rows), rows, 2, false, packed)
		}
	}
	declareActTable()
	actKernel("geluAVX512", "gelu", true)
	actKernel("geluAVX2", "gelu", false)
	actKernel("sigmoidAVX512", "sigmoid", true)
	actKernel("sigmoidAVX2", "sigmoid", false)
	actKernel("expNegAVX512", "exp", true)
	actKernel("expNegAVX2", "exp", false)
	rowKernels(true)
	rowKernels(false)
	binaryKernels(true)
	binaryKernels(false)
	reduceKernels(true)
	reduceKernels(false)
	depthwiseKernel("depthwiseAVX512Raw", true)
	depthwiseKernel("depthwiseAVX2Raw", false)
	convKernels()
	Generate()
}
