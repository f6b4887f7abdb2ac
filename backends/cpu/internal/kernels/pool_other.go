//go:build !amd64 || !gc || purego

package kernels

// poolAsm is never called here: poolVecStep is 0 for every ISA of this build.
func poolAsm(isa string, _ *poolArgs, _ bool) { panic("kernels: no pooling kernel for " + isa) }
