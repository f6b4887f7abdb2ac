//go:build !amd64 || !gc || purego

package kernels

// haveStem: this build has no stem kernel.
const haveStem = false

// stemAsm is never called here (HasStem is false).
func stemAsm(*stemArgs) { panic("kernels: no stem kernel") }
