//go:build !amd64 || !gc || purego

package kernels

// haveDwRow: this build has no row-depthwise kernels.
const haveDwRow = false

// dwRowAsm is never called here (HasDepthwiseRow is false).
func dwRowAsm(isa string, _, _ int, _ *dwRowArgs) {
	panic("kernels: no row-depthwise kernel for " + isa)
}
