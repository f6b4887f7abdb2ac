package kernels

import "fmt"

// The checks the exported wrappers run before any kernel call: the
// kernels (assembly, and the generic tile through unsafe) only get
// pointers and strides, so a buffer one element short, a negative stride or
// an offset past the input would be read or written outside the buffer
// without a word. Each check panics with a message naming the kernel and
// the argument; callers (the plan) are expected never to trip them.

// badArg panics with a message naming the kernel and what is wrong.
func badArg(kernel, format string, args ...any) {
	panic(fmt.Sprintf("kernels: %s: ", kernel) + fmt.Sprintf(format, args...))
}

// nonNegative panics if the named stride (in elements) is negative: rows
// would then run backwards, before the start of the buffer the single
// bounds check covers.
func nonNegative(kernel, name string, v int) {
	if v < 0 {
		badArg(kernel, "negative %s (%d)", name, v)
	}
}

// checkPacked panics unless b was packed for isa (same panel width) and
// holds every panel in full: the micro-kernels read K·NR floats per panel.
func (isa *ISA) checkPacked(kernel string, b *PackedB) {
	if b.NR != isa.NR {
		badArg(kernel, "B is packed in panels of %d columns, the %s kernels read %d", b.NR, isa.Name, isa.NR)
	}
	if b.K < 0 || b.N < 0 {
		badArg(kernel, "packed B has K=%d, N=%d", b.K, b.N)
	}
	if need := b.Panels() * b.K * b.NR; len(b.Data) < need {
		badArg(kernel, "packed B holds %d floats, its %d×%d panels need %d", len(b.Data), b.K, b.N, need)
	}
}

// checkOffsets panics unless every non-negative byte offset in offs (the
// rest are padding, never read) leaves c floats inside an input of n
// floats. One branch-free pass with four running maxima (a few percent of
// a depthwise call at 144 channels, less at more).
func checkOffsets(kernel string, offs []int64, n, c int) {
	h0, h1, h2, h3 := int64(-1), int64(-1), int64(-1), int64(-1)
	i := 0
	for ; i+4 <= len(offs); i += 4 {
		o := offs[i : i+4 : i+4]
		h0, h1, h2, h3 = max(h0, o[0]), max(h1, o[1]), max(h2, o[2]), max(h3, o[3])
	}
	for _, o := range offs[i:] {
		h0 = max(h0, o)
	}
	hi := max(h0, h1, h2, h3)
	if hi >= 0 && (n < c || hi > int64(n-c)*4) {
		badArg(kernel, "an offset of %d bytes plus %d floats reads past an input of %d floats", hi, c, n)
	}
}

// checkGemm is checkPacked plus C's and the residual's row strides.
func (isa *ISA) checkGemm(kernel string, b *PackedB, ldc int, ep *Epilogue) {
	isa.checkPacked(kernel, b)
	nonNegative(kernel, "row stride of C", ldc)
	if ep != nil && ep.Residual != nil {
		nonNegative(kernel, "row stride of the residual", ep.LDR)
	}
}
