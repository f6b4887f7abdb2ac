package cpu

import (
	"sort"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/reference"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// maxFoldElements bounds a constant folded at compile time.
const maxFoldElements = 1 << 24

// compiler turns the graph into steps for one input signature.
type compiler struct {
	pl    *plan
	a     *bpruntime.Artifact
	types map[string]ops.Type
	ids   map[string]int // value name → id in its produced layout
	other map[int]int    // id → the same value in the other layout, once made
	uses  map[string]int // readers of each value (graph outputs count as one)
	users map[string][]int
	fused []bool      // nodes folded into an earlier step
	owned map[int]int // run-made tensor → its arena copy
	// lazy holds transposes not emitted yet: their only reader reads the
	// input through strides (see compileTranspose).
	lazy map[string]*transposeStep
}

func compile(p *prepared, inputs []*tensor.Tensor) (*plan, error) {
	a := p.a
	pl := &plan{p: p, inputs: make([]tensor.Shape, len(inputs))}
	in := make([]ops.Type, len(inputs))
	for i, t := range inputs {
		pl.inputs[i] = t.Shape().Clone()
		in[i] = ops.TypeOf(t)
	}
	order, err := a.Plan()
	if err != nil {
		return nil, err
	}
	types, err := order.InferTypes(in)
	if err != nil {
		return nil, err
	}
	c := &compiler{pl: pl, a: a, types: types, ids: map[string]int{}, other: map[int]int{},
		uses: map[string]int{}, users: map[string][]int{}, owned: map[int]int{}, fused: make([]bool, len(a.Nodes)),
		lazy: map[string]*transposeStep{}}
	for i, v := range a.Inputs {
		c.ids[v.Name] = c.add(&value{name: v.Name, typ: in[i], where: inInput, input: i})
	}
	for _, n := range order.Order {
		for _, name := range a.Nodes[n].Inputs {
			if name != "" {
				c.uses[name]++
				c.users[name] = append(c.users[name], n)
			}
		}
	}
	for _, o := range a.Outputs {
		c.uses[o.Name]++
	}
	for _, n := range order.Order {
		if c.fused[n] {
			continue
		}
		if err := c.node(n); err != nil {
			return nil, err
		}
	}
	for _, o := range a.Outputs {
		pl.outputs = append(pl.outputs, c.nchw(o.Name))
	}
	c.liveness()
	return pl, nil
}

func (c *compiler) add(v *value) int {
	v.alias = -1
	v.def = -1
	c.pl.vals = append(c.pl.vals, v)
	return len(c.pl.vals) - 1
}

// arena adds a float32 value computed into the arena.
func (c *compiler) arena(name string, shape tensor.Shape, nhwc bool) int {
	return c.add(&value{name: name, typ: ops.Type{DType: tensor.Float32, Shape: shape.Clone()}, nhwc: nhwc,
		where: inArena, size: shape.NumElements()})
}

func (c *compiler) emit(s step) { c.pl.steps = append(c.pl.steps, s) }

// constant returns the tensor of a weight or folded constant, or nil.
func (c *compiler) constant(name string) *tensor.Tensor {
	if name == "" {
		return nil
	}
	if id, ok := c.ids[name]; ok {
		if v := c.pl.vals[id]; v.where == inConst {
			return v.t
		}
		return nil
	}
	if t, ok := c.a.Initializers[name]; ok {
		c.ids[name] = c.constValue(name, t)
		return t
	}
	return nil
}

func (c *compiler) constValue(name string, t *tensor.Tensor) int {
	v := &value{name: name, typ: ops.TypeOf(t), where: inConst, t: t}
	if t.DType() == tensor.Float32 {
		v.f32 = tensor.MustView[float32](t)
	}
	return c.add(v)
}

// id returns the value of name in whatever layout it was produced.
func (c *compiler) id(name string) int {
	if id, ok := c.ids[name]; ok {
		return id
	}
	if t := c.constant(name); t != nil {
		return c.ids[name]
	}
	if _, ok := c.lazy[name]; ok {
		c.materialize(name)
		return c.ids[name]
	}
	panic("cpu: value " + name + " used before it is defined") // Validate rules this out
}

// nchw returns name's value in the logical (NCHW) layout, adding a reorder
// step the first time an NHWC value is needed that way.
func (c *compiler) nchw(name string) int {
	id := c.id(name)
	v := c.pl.vals[id]
	if !v.nhwc {
		return id
	}
	if o, ok := c.other[id]; ok {
		return o
	}
	o := c.arena(name, v.typ.Shape, false)
	c.emit(&reorderStep{src: id, dst: o, toNHWC: false, shape: v.typ.Shape})
	c.other[id], c.other[o] = o, id
	return o
}

// nhwc returns name's value stored as NHWC (it must be rank-4 float32).
func (c *compiler) nhwc(name string) int {
	id := c.id(name)
	v := c.pl.vals[id]
	if v.nhwc {
		return id
	}
	if o, ok := c.other[id]; ok {
		return o
	}
	o := c.arena(name, v.typ.Shape, true)
	c.emit(&reorderStep{src: id, dst: o, toNHWC: true, shape: v.typ.Shape})
	c.other[id], c.other[o] = o, id
	return o
}

// soleUser returns the node that is the only reader of value name, if any.
func (c *compiler) soleUser(name string) (int, bool) {
	if c.uses[name] != 1 || len(c.users[name]) != 1 {
		return 0, false
	}
	return c.users[name][0], true
}

func (c *compiler) isF32(name string) bool {
	return name != "" && c.types[name].DType == tensor.Float32
}

// node compiles node n: folded if constant, a native step if there is one,
// else the reference kernel.
func (c *compiler) node(n int) error {
	nd := &c.a.Nodes[n]
	if done, err := c.fold(nd); done || err != nil {
		return err
	}
	if c.native(n) {
		return nil
	}
	c.fallback(nd)
	return nil
}

// fold evaluates a node whose inputs are all constants, once.
func (c *compiler) fold(nd *bpruntime.Node) (bool, error) {
	args := make([]*tensor.Tensor, len(nd.Inputs))
	for i, name := range nd.Inputs {
		if name == "" {
			continue
		}
		if args[i] = c.constant(name); args[i] == nil {
			return false, nil
		}
	}
	for _, o := range nd.Outputs {
		if c.types[o].Shape.NumElements() > maxFoldElements {
			return false, nil
		}
	}
	out, err := reference.Eval(nd.Op, nd.Attrs, args...)
	if err != nil {
		return true, c.pl.errorf(nd, "folding a constant: %v", err)
	}
	for i, o := range nd.Outputs {
		c.ids[o] = c.constValue(o, out[i])
	}
	return true, nil
}

// fallback runs the node through its reference kernel (ops/reference).
func (c *compiler) fallback(nd *bpruntime.Node) {
	s := &fallbackStep{n: nd}
	for _, name := range nd.Inputs {
		id := -1
		if name != "" {
			id = c.nchw(name)
		}
		s.in = append(s.in, id)
	}
	for _, o := range nd.Outputs {
		id := c.add(&value{name: o, typ: c.types[o], where: inTensor})
		c.ids[o] = id
		s.out = append(s.out, id)
	}
	c.emit(s)
}

// fallbackStep runs one node with its reference kernel (float64 accumulation).
type fallbackStep struct {
	n   *bpruntime.Node
	in  []int // -1: omitted optional input
	out []int
}

func (s *fallbackStep) node() *bpruntime.Node { return s.n }
func (s *fallbackStep) reads() []int          { return s.in }
func (s *fallbackStep) writes() []int         { return s.out }

func (s *fallbackStep) run(pl *plan, rs *runState) error {
	args := rs.args[:0]
	for _, id := range s.in {
		if id < 0 {
			args = append(args, nil)
			continue
		}
		t := rs.tens[id]
		if t == nil { // an arena value: wrap it
			var err error
			if t, err = tensor.FromSlice(rs.f32[id], pl.vals[id].typ.Shape...); err != nil {
				return err
			}
		}
		args = append(args, t)
	}
	rs.args = args
	out, err := reference.Eval(s.n.Op, s.n.Attrs, args...)
	for i := range args {
		args[i] = nil
	}
	if err != nil {
		return err
	}
	for i, id := range s.out {
		rs.tens[id] = out[i]
		if out[i].DType() == tensor.Float32 {
			rs.f32[id] = tensor.MustView[float32](out[i])
		}
	}
	return nil
}

// liveness assigns arena offsets: values whose lifetimes overlap never
// share memory; the rest reuse it (greedy, largest first).
func (c *compiler) liveness() {
	pl := c.pl
	for _, v := range pl.vals {
		v.def, v.last = -1, -1
	}
	root := func(id int) int {
		for pl.vals[id].alias >= 0 {
			id = pl.vals[id].alias
		}
		return id
	}
	touch := func(id, at int) {
		v := pl.vals[root(id)]
		if v.def < 0 || at < v.def {
			v.def = at
		}
		if at > v.last {
			v.last = at
		}
	}
	for i, s := range pl.steps {
		for _, id := range s.writes() {
			touch(id, i)
		}
		for _, id := range s.reads() {
			if id >= 0 {
				touch(id, i)
			}
		}
	}
	for _, id := range pl.outputs {
		touch(id, len(pl.steps))
	}
	var live []*value
	for _, v := range pl.vals {
		if v.where == inArena && v.alias < 0 {
			live = append(live, v)
		}
	}
	sort.SliceStable(live, func(i, j int) bool { return live[i].size > live[j].size })
	var placed []*value
	for _, v := range live {
		off := 0
		for moved := true; moved; {
			moved = false
			for _, o := range placed {
				if o.last < v.def || v.last < o.def { // lifetimes apart
					continue
				}
				if off < o.off+o.size && o.off < off+v.size {
					off = o.off + o.size
					moved = true
				}
			}
		}
		v.off = off
		placed = append(placed, v)
		pl.arena = max(pl.arena, off+v.size)
	}
	for _, v := range pl.vals {
		if v.where == inArena && v.alias >= 0 {
			r := pl.vals[root(v.alias)]
			v.off = r.off
		}
	}
}
