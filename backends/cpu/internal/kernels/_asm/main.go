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
	for rows := 1; rows <= 6; rows++ {
		gemmKernel(fmtName("gemmAVX512x32r", rows), rows, 2, true)
	}
	for rows := 1; rows <= 6; rows++ {
		gemmKernel(fmtName("gemmAVX2x16r", rows), rows, 2, false)
	}
	declareActTable()
	actKernel("geluAVX512", "gelu", true)
	actKernel("geluAVX2", "gelu", false)
	actKernel("sigmoidAVX512", "sigmoid", true)
	actKernel("sigmoidAVX2", "sigmoid", false)
	actKernel("expNegAVX512", "exp", true)
	actKernel("expNegAVX2", "exp", false)
	depthwiseKernel("depthwiseAVX512Raw", true)
	depthwiseKernel("depthwiseAVX2Raw", false)
	Generate()
}
