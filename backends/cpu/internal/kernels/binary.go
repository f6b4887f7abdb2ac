package kernels

// BinOp is an elementwise binary operation.
type BinOp int

// The binary operations, in the order the cpu backend numbers them.
const (
	BinAdd BinOp = iota
	BinSub
	BinMul
	BinDiv
	numBinOps
)

type (
	binVV func(d, a, b *float32, n int)
	binVS func(d, a *float32, s float32, n int)
)

// binKernels are an ISA's vector kernels for the binary operations (nil:
// none, Go does it). vs is a op s, sv s op a; masked: they take any n ≥ 1,
// else n a positive multiple of lanes.
type binKernels struct {
	vv     [numBinOps]binVV
	vs, sv [numBinOps]binVS
	masked bool
}

// binChunk bounds the floats one binary-kernel call handles (a multiple of
// every vector width): a few µs per call.
const binChunk = 1 << 12

// binPart is how much of n floats the binary kernels take.
func (isa *ISA) binPart(n int) int {
	if isa.bin.masked {
		return n
	}
	if n < isa.lanes {
		return 0
	}
	return n - n%isa.lanes
}

// Binary sets d = a op b elementwise (a and b at least as long as d).
func (isa *ISA) Binary(op BinOp, d, a, b []float32) {
	n := len(d)
	a, b = a[:n], b[:n]
	v := 0
	if f := isa.bin.vv[op]; f != nil {
		v = isa.binPart(n)
		for c := 0; c < v; c += binChunk {
			f(&d[c], &a[c], &b[c], min(binChunk, v-c))
		}
	}
	binaryGo(op, d[v:], a[v:], b[v:])
}

// BinaryScalar sets d = a op s elementwise, or d = s op a when scalarFirst
// (a at least as long as d).
func (isa *ISA) BinaryScalar(op BinOp, d, a []float32, s float32, scalarFirst bool) {
	n := len(d)
	a = a[:n]
	f := isa.bin.vs[op]
	if scalarFirst && (op == BinSub || op == BinDiv) {
		f = isa.bin.sv[op]
	}
	v := 0
	if f != nil {
		v = isa.binPart(n)
		for c := 0; c < v; c += binChunk {
			f(&d[c], &a[c], s, min(binChunk, v-c))
		}
	}
	binaryScalarGo(op, d[v:], a[v:], s, scalarFirst)
}

// binaryGo is the generic path of Binary.
func binaryGo(op BinOp, d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case BinAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case BinSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case BinMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	default:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	}
}

// binaryScalarGo is the generic path of BinaryScalar.
func binaryScalarGo(op BinOp, d, a []float32, s float32, scalarFirst bool) {
	a = a[:len(d)]
	switch {
	case op == BinAdd:
		for i := range d {
			d[i] = a[i] + s
		}
	case op == BinMul:
		for i := range d {
			d[i] = a[i] * s
		}
	case op == BinSub && !scalarFirst:
		for i := range d {
			d[i] = a[i] - s
		}
	case op == BinSub:
		for i := range d {
			d[i] = s - a[i]
		}
	case !scalarFirst:
		for i := range d {
			d[i] = a[i] / s
		}
	default:
		for i := range d {
			d[i] = s / a[i]
		}
	}
}
