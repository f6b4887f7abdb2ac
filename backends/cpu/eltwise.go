package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/ops"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// unaryStep applies an activation to a float32 value, in either layout.
type unaryStep struct {
	n        *bpruntime.Node
	src, dst int
	act      kernels.Activation
	size     int
	isa      *kernels.ISA
}

func (s *unaryStep) node() *bpruntime.Node { return s.n }
func (s *unaryStep) reads() []int          { return []int{s.src} }
func (s *unaryStep) writes() []int         { return []int{s.dst} }

const elemChunk = 4096

func (s *unaryStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, (s.size+elemChunk-1)/elemChunk, threadsFor(s.size*4, pl.p.threads))
	return nil
}

func (s *unaryStep) do(rs *runState, _, lo, hi int) {
	a, b := lo*elemChunk, min(hi*elemChunk, s.size)
	d := rs.f32[s.dst][a:b]
	copy(d, rs.f32[s.src][a:b])
	s.isa.ApplyAct(s.act, d)
}

func (c *compiler) compileUnary(n int, act kernels.Activation) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	if !c.isF32(x) || len(nd.Outputs) != 1 {
		return false
	}
	src := c.id(x)
	v := c.pl.vals[src]
	dst := c.arena(nd.Outputs[0], v.typ.Shape, v.nhwc)
	c.ids[nd.Outputs[0]] = dst
	c.emit(&unaryStep{n: nd, src: src, dst: dst, act: act, size: v.typ.Shape.NumElements(), isa: c.pl.p.isa})
	return true
}

// Binary arithmetic, numbered as kernels.BinOp.
const (
	opAdd = int(kernels.BinAdd)
	opSub = int(kernels.BinSub)
	opMul = int(kernels.BinMul)
	opDiv = int(kernels.BinDiv)
)

// binaryStep is a broadcasting float32 add, sub, mul or div over physical
// shapes (so an NHWC tensor and a per-channel N×C×1×1 one combine without
// reorders), with an activation fused after it.
type binaryStep struct {
	n          *bpruntime.Node
	a, b, dst  int
	op         int
	act        kernels.Activation
	out        []int // physical output shape
	sa, sb     []int // per output axis: input stride, 0 where broadcast
	rows, last int
	isa        *kernels.ISA
}

func (s *binaryStep) node() *bpruntime.Node { return s.n }
func (s *binaryStep) reads() []int          { return []int{s.a, s.b} }
func (s *binaryStep) writes() []int         { return []int{s.dst} }

// physical returns the shape of value id as stored, aligned to rank r.
func (c *compiler) physical(id, r int) []int {
	v := c.pl.vals[id]
	s := v.typ.Shape
	if v.nhwc {
		s = tensor.Shape{s[0], s[2], s[3], s[1]}
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	copy(out[r-len(s):], s)
	return out
}

func (c *compiler) compileBinary(n int, op int) bool {
	nd := &c.a.Nodes[n]
	an, bn := nd.Inputs[0], nd.Inputs[1]
	if !c.isF32(an) || !c.isF32(bn) || len(nd.Outputs) != 1 {
		return false
	}
	outT := c.types[nd.Outputs[0]].Shape
	r := len(outT)
	if r == 0 {
		return false
	}
	// Work in NHWC when an operand is already NHWC and the other is either the
	// same shape or broadcast over H and W (e.g. per channel).
	nhwc := false
	if r == 4 {
		for _, x := range []string{an, bn} {
			if c.pl.vals[c.id(x)].nhwc {
				nhwc = true
			}
		}
	}
	var ia, ib int
	if nhwc {
		ia, ib = c.layoutFor(an, outT), c.layoutFor(bn, outT)
	} else {
		ia, ib = c.nchw(an), c.nchw(bn)
	}
	f := fusion{out: nd.Outputs[0]}
	if u, ok := c.soleUser(f.out); ok && !c.fused[u] {
		if act, ok := activationOf(&c.a.Nodes[u]); ok && c.isF32(c.a.Nodes[u].Outputs[0]) {
			f.act, f.out = act, c.a.Nodes[u].Outputs[0]
			c.fused[u] = true
		}
	}
	dst := c.arena(f.out, outT, nhwc)
	c.ids[f.out] = dst
	s := &binaryStep{n: nd, a: ia, b: ib, dst: dst, op: op, act: f.act, isa: c.pl.p.isa}
	s.out = c.physical(dst, r)
	pa, pb := c.physical(ia, r), c.physical(ib, r)
	s.sa, s.sb = strides(pa, s.out), strides(pb, s.out)
	s.last = s.out[r-1]
	s.rows = 1
	for _, d := range s.out[:r-1] {
		s.rows *= d
	}
	c.emit(s)
	return true
}

// layoutFor returns x in NHWC when that is the same data as its broadcast
// against out (same shape, or H = W = 1), else in NCHW (NHWC is then made).
func (c *compiler) layoutFor(x string, out tensor.Shape) int {
	s := c.types[x].Shape
	full := make([]int, 4)
	for i := range full {
		full[i] = 1
	}
	copy(full[4-len(s):], s)
	if full[2] == 1 && full[3] == 1 && len(s) == 4 {
		id := c.own(c.id(x))
		v := c.pl.vals[id]
		if v.nhwc {
			return id
		}
		// N×C×1×1 stored NCHW is byte for byte its NHWC form.
		alias := c.add(&value{name: x, typ: v.typ, nhwc: true, where: v.where, input: v.input, t: v.t, f32: v.f32,
			size: v.size, off: v.off})
		if v.where == inArena {
			c.pl.vals[alias].alias = id
		}
		return alias
	}
	if len(s) == 4 && tensor.Shape(full).Equal(out) {
		return c.nhwc(x)
	}
	if len(s) < 4 && full[0] == 1 && full[2] == 1 && full[3] == 1 { // (C,1,1) and the like: (1,1,1,C) in NHWC
		return c.channelVector(x)
	}
	return c.nhwc(c.broadcastTo4(x))
}

// strides returns, per axis of out, in's row-major stride or 0 where in broadcasts.
func strides(in, out []int) []int {
	st := make([]int, len(out))
	acc := 1
	for i := len(out) - 1; i >= 0; i-- {
		if in[i] != 1 {
			st[i] = acc
		}
		acc *= in[i]
	}
	return st
}

func (s *binaryStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.rows, threadsFor(s.rows*s.last/4, pl.p.threads))
	return nil
}

func (s *binaryStep) do(rs *runState, _, lo, hi int) {
	a, b, d := rs.f32[s.a], rs.f32[s.b], rs.f32[s.dst]
	r := len(s.out)
	la, lb := s.sa[r-1], s.sb[r-1]
	for row := lo; row < hi; row++ {
		oa, ob, rem := 0, 0, row
		for ax := r - 2; ax >= 0; ax-- {
			i := rem % s.out[ax]
			rem /= s.out[ax]
			oa += i * s.sa[ax]
			ob += i * s.sb[ax]
		}
		dr := d[row*s.last : (row+1)*s.last]
		op := kernels.BinOp(s.op)
		switch {
		case la == 1 && lb == 1:
			s.isa.Binary(op, dr, a[oa:oa+s.last], b[ob:ob+s.last])
		case la == 1 && lb == 0: // b is one value along the row
			s.isa.BinaryScalar(op, dr, a[oa:oa+s.last], b[ob], false)
		case la == 0 && lb == 1:
			s.isa.BinaryScalar(op, dr, b[ob:ob+s.last], a[oa], true)
		default:
			for i := range dr {
				dr[i] = binOp(s.op, a[oa+i*la], b[ob+i*lb])
			}
		}
		if s.act.Kind != kernels.ActNone {
			s.isa.ApplyAct(s.act, dr)
		}
	}
}

func binOp(op int, x, y float32) float32 {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	}
	return x / y
}

// channelVector returns a rank < 4 value of shape (1…, C, 1, 1) viewed as
// NHWC (1, 1, 1, C): the same data.
func (c *compiler) channelVector(x string) int {
	id := c.id(x)
	id = c.own(id)
	v := c.pl.vals[id]
	s := v.typ.Shape
	full := tensor.Shape{1, 1, 1, 1}
	copy(full[4-len(s):], s)
	alias := c.add(&value{name: x, typ: ops4(full), nhwc: true, where: v.where, input: v.input, t: v.t, f32: v.f32,
		size: v.size, off: v.off})
	if v.where == inArena {
		c.pl.vals[alias].alias = id
	}
	return alias
}

// broadcastTo4 handles the remaining rank < 4 operands by viewing them as
// rank 4 (leading ones): same data, NCHW.
func (c *compiler) broadcastTo4(x string) string {
	id := c.id(x)
	id = c.own(id)
	v := c.pl.vals[id]
	s := v.typ.Shape
	if len(s) == 4 {
		return x
	}
	full := tensor.Shape{1, 1, 1, 1}
	copy(full[4-len(s):], s)
	name := x + "·rank4"
	if _, ok := c.ids[name]; ok {
		return name
	}
	alias := c.add(&value{name: name, typ: ops4(full), where: v.where, input: v.input, t: v.t, f32: v.f32,
		size: v.size, off: v.off})
	if v.where == inArena {
		c.pl.vals[alias].alias = id
	}
	c.ids[name] = alias
	c.types[name] = c.pl.vals[alias].typ
	return name
}

// affineStep is a batch_norm that could not be folded: y = x·scale[c] + shift[c].
type affineStep struct {
	n            *bpruntime.Node
	src, dst     int
	scale, shift []float32
	nhwc         bool
	N, C, inner  int // NCHW: inner = H·W
	act          kernels.Activation
	isa          *kernels.ISA
}

func (s *affineStep) node() *bpruntime.Node { return s.n }
func (s *affineStep) reads() []int          { return []int{s.src} }
func (s *affineStep) writes() []int         { return []int{s.dst} }

func (c *compiler) compileBatchNorm(n int) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	scale, shift, ok := c.bnParams(nd)
	if !c.isF32(x) || !ok {
		return false
	}
	src := c.id(x)
	v := c.pl.vals[src]
	sh := v.typ.Shape
	if len(sh) < 2 {
		return false
	}
	s := &affineStep{n: nd, src: src, nhwc: v.nhwc, isa: c.pl.p.isa, N: sh[0], C: sh[1], inner: sh.NumElements() / max(1, sh[0]*sh[1])}
	s.scale, s.shift = make([]float32, len(scale)), make([]float32, len(shift))
	for i := range scale {
		s.scale[i], s.shift[i] = float32(scale[i]), float32(shift[i])
	}
	f := c.fuseAfter(nd.Outputs[0], false, -1) // only an activation can follow (no bias of width -1)
	if f.residual != "" {                      // keep it simple: a residual after a lone batch_norm is its own add
		return false
	}
	s.act = f.act
	s.dst = c.arena(f.out, sh, v.nhwc)
	c.ids[f.out] = s.dst
	c.emit(s)
	return true
}

func (s *affineStep) run(pl *plan, rs *runState) error {
	s.do(rs, 0, 0, 1)
	return nil
}

func (s *affineStep) do(rs *runState, _, _, _ int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	if s.nhwc {
		for p := 0; p < s.N*s.inner; p++ {
			xr, yr := x[p*s.C:(p+1)*s.C], y[p*s.C:(p+1)*s.C]
			for c := range yr {
				yr[c] = xr[c]*s.scale[c] + s.shift[c]
			}
			s.isa.ApplyAct(s.act, yr)
		}
		return
	}
	for b := 0; b < s.N; b++ {
		for c := 0; c < s.C; c++ {
			o := (b*s.C + c) * s.inner
			xr, yr := x[o:o+s.inner], y[o:o+s.inner]
			sc, sh := s.scale[c], s.shift[c]
			for i := range yr {
				yr[i] = xr[i]*sc + sh
			}
			s.isa.ApplyAct(s.act, yr)
		}
	}
}

func ops4(s tensor.Shape) ops.Type { return ops.Type{DType: tensor.Float32, Shape: s} }

// own returns a value whose storage the plan can view in another layout: a
// tensor made during the run (by a fallback step) is first copied into the
// arena.
func (c *compiler) own(id int) int {
	v := c.pl.vals[id]
	if v.where != inTensor || v.typ.DType != tensor.Float32 {
		return id
	}
	if o, ok := c.owned[id]; ok {
		return o
	}
	o := c.arena(v.name, v.typ.Shape, v.nhwc)
	c.emit(&copyStep{src: id, dst: o})
	c.owned[id] = o
	return o
}
