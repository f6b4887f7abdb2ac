package cpu

import "github.com/backplane-ml/backplane/tensor"

// native compiles node n into a native step if it has one for these types,
// reporting whether it did; the caller falls back to the reference kernel.
func (c *compiler) native(n int) bool {
	nd := &c.a.Nodes[n]
	switch nd.Op {
	case "conv":
		return c.compileConv(n)
	case "matmul":
		return c.compileMatmul(n)
	case "add":
		return c.compileBinary(n, opAdd)
	case "sub":
		return c.compileBinary(n, opSub)
	case "mul":
		return c.compileBinary(n, opMul)
	case "div":
		return c.compileBinary(n, opDiv)
	case "relu", "clip", "sigmoid", "tanh", "gelu":
		act, ok := activationOf(nd)
		return ok && c.compileUnary(n, act)
	case "batch_norm":
		return c.compileBatchNorm(n)
	case "softmax":
		return c.compileSoftmax(n, false)
	case "log_softmax":
		return c.compileSoftmax(n, true)
	case "layer_norm":
		return c.compileLayerNorm(n)
	case "max_pool":
		return c.compilePool(n, false)
	case "avg_pool":
		return c.compilePool(n, true)
	case "global_avg_pool":
		return c.compileVecGlobalAvg(n) || c.compileGlobalAvg(n)
	case "reshape", "identity":
		return c.compileReshape(n)
	case "transpose":
		return c.compileTranspose(n)
	case "reduce_sum":
		return c.compileReduce(n, redSum)
	case "reduce_mean":
		return c.compileReduce(n, redMean)
	case "reduce_max":
		return c.compileReduce(n, redMax)
	case "reduce_min":
		return c.compileReduce(n, redMin)
	}
	return false
}

// compileReshape makes the output share the input's arena storage (the
// logical NCHW data is unchanged), or copies a value the plan does not own.
func (c *compiler) compileReshape(n int) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	if !c.isF32(x) || len(nd.Outputs) != 1 {
		return false
	}
	src := c.nchw(x)
	v := c.pl.vals[src]
	shape := c.types[nd.Outputs[0]].Shape
	if v.where == inArena {
		id := c.arena(nd.Outputs[0], shape, false)
		c.pl.vals[id].alias = src
		c.ids[nd.Outputs[0]] = id
		return true
	}
	id := c.arena(nd.Outputs[0], shape, false)
	c.ids[nd.Outputs[0]] = id
	c.emit(&copyStep{n: nd, src: src, dst: id})
	return true
}

func (c *compiler) compileTranspose(n int) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	if !c.isF32(x) || len(nd.Outputs) != 1 {
		return false
	}
	in := c.types[x].Shape
	r := len(in)
	if r == 0 {
		return false
	}
	perm := permOf(nd, r)
	st := in.Strides()
	s := &transposeStep{n: nd, in: in, out: c.types[nd.Outputs[0]].Shape, stride: make([]int, r)}
	for i, p := range perm {
		s.stride[i] = st[p]
	}
	if s.out.NumElements() == 0 {
		return false
	}
	s.src = c.nchw(x)
	if u, ok := c.soleUser(nd.Outputs[0]); ok && !c.fused[u] {
		if _, _, _, _, ok := c.batchedShapes(&c.a.Nodes[u]); ok {
			// A batched matmul alone reads it: it reads the input through
			// the transposed strides instead (materialize makes the
			// transpose after all if anything else asks for the value).
			c.lazy[nd.Outputs[0]] = s
			return true
		}
	}
	c.emitTranspose(s)
	return true
}

// emitTranspose gives transpose s its output value and emits it.
func (c *compiler) emitTranspose(s *transposeStep) {
	s.dst = c.arena(s.n.Outputs[0], s.out, false)
	c.ids[s.n.Outputs[0]] = s.dst
	c.emit(s)
}

// materialize emits a transpose left pending as a view, if name is one.
func (c *compiler) materialize(name string) {
	if s, ok := c.lazy[name]; ok {
		delete(c.lazy, name)
		c.emitTranspose(s)
	}
}

var _ = tensor.Float32
