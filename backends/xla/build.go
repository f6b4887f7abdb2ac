package xla

import (
	"fmt"
	"strings"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// The driver: lowers an artifact, for one input signature, into a compiled
// GoMLX graph.

// outputSource says where one artifact output comes from.
type outputSource struct {
	graphOut int    // index among the graph's outputs, or -1
	input    int    // graph input passed through, or -1
	weight   string // initializer passed through, or ""
	empty    bool   // no elements: made on the host, never read from the engine
	typ      ops.Type
}

// program is the compiled graph for one input signature.
type program struct {
	g       *graph.Graph // nil when every output is passed through
	inputs  []int        // artifact inputs uploaded as parameters, in order
	outputs []outputSource
	checks  []runCheck // data-dependent conditions, the graph's last outputs
}

// free releases the compiled executable.
func (p *program) free() {
	if p != nil && p.g != nil {
		p.g.Finalize()
	}
}

// layout is what is fixed per artifact, whatever the signature: which graph
// inputs and weights become graph parameters, in order.
//
// Values without elements never cross between backplane and the engine:
// they carry no data, and go-xla v0.1.4 cannot transfer them (its
// BufferFromHost indexes element 0 of the flat slice and panics on an empty
// one). A zero-size input or weight becomes a constant of its shape in the
// graph, a zero-size output is made on the host from its inferred type.
type layout struct {
	plan         *runtime.Plan
	paramInputs  []int    // artifact input indices read by some node
	paramWeights []string // initializer names with elements read by some node, sorted
	emptyWeights []string // initializer names without elements read by some node
}

func newLayout(plan *runtime.Plan) *layout {
	a := plan.Artifact
	read := map[string]bool{}
	for _, n := range a.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	l := &layout{plan: plan}
	for i, in := range a.Inputs {
		if read[in.Name] {
			l.paramInputs = append(l.paramInputs, i)
		}
	}
	for _, name := range sortedKeys(a.Initializers) {
		switch {
		case !read[name]:
		case a.Initializers[name].NumElements() == 0:
			l.emptyWeights = append(l.emptyWeights, name)
		default:
			l.paramWeights = append(l.paramWeights, name)
		}
	}
	return l
}

// signature is the executable-cache key of n input shapes: the dims of each,
// "x"-separated, inputs ";"-separated (dtypes are fixed by the artifact).
func signature(n int, shape func(i int) tensor.Shape) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(';')
		}
		for j, d := range shape(i) {
			if j > 0 {
				b.WriteByte('x')
			}
			fmt.Fprint(&b, d)
		}
	}
	return b.String()
}

// build lowers and compiles the artifact for the given input types. Errors
// are *runtime.Error of mode ModeCompile naming the node at fault.
func (l *layout) build(eng *engine, be gobackends.Backend, inTypes []ops.Type) (prog *program, err error) {
	a := l.plan.Artifact
	types, err := l.plan.InferTypes(inTypes)
	if err != nil {
		return nil, err
	}
	fail := func(n *runtime.Node, err error) error {
		e := &runtime.Error{Kind: runtime.ErrBackend, Model: a.Name, Backend: eng.name, Mode: runtime.ModeCompile, Err: err}
		if n != nil {
			e.Node, e.Op = n.Name, n.Op
		}
		return e
	}
	var current *runtime.Node // the node being lowered, for a recovered panic
	g := graph.NewGraph(be, a.Name)
	defer func() {
		if r := recover(); r != nil {
			g.Finalize()
			prog, err = nil, fail(current, fmt.Errorf("GoMLX: %v", r))
		}
	}()
	vals := map[string]*graph.Node{}
	prog = &program{}
	// bfloat16 and float16 values are float32 inside the pure-Go engine
	// (narrow.go): bfloat16 widens in the graph, float16 on the host.
	carry := eng.carries(tensor.BFloat16)
	widen := func(name string) {
		if carry && types[name].DType == tensor.BFloat16 {
			vals[name] = graph.ConvertDType(vals[name], dtypes.Float32)
		}
	}
	paramShape := func(d tensor.DType, s tensor.Shape) (shapes.Shape, error) {
		if carry && d == tensor.Float16 {
			d = tensor.Float32
		}
		return toGoMLXShape(d, s)
	}
	for _, i := range l.paramInputs {
		in := a.Inputs[i]
		shape, err := paramShape(in.DType, types[in.Name].Shape)
		if err != nil {
			return nil, fail(nil, fmt.Errorf("input %q: %w", in.Name, err))
		}
		if shape.Size() == 0 {
			vals[in.Name] = graph.Zeros(g, shape)
			widen(in.Name)
			continue
		}
		vals[in.Name] = graph.Parameter(g, "input:"+in.Name, shape)
		widen(in.Name)
		prog.inputs = append(prog.inputs, i)
	}
	for _, name := range append(append([]string(nil), l.paramWeights...), l.emptyWeights...) {
		t := types[name]
		shape, err := paramShape(t.DType, t.Shape)
		if err != nil {
			return nil, fail(nil, fmt.Errorf("weight %q: %w", name, err))
		}
		if shape.Size() == 0 {
			vals[name] = graph.Zeros(g, shape)
			widen(name)
			continue
		}
		vals[name] = graph.Parameter(g, "weight:"+name, shape)
		widen(name)
	}
	var checks []runCheck
	for _, idx := range l.plan.Order {
		n := &a.Nodes[idx]
		current = n
		c := &nodeCtx{Node: n, Engine: eng.name, g: g}
		in := make([]*graph.Node, len(n.Inputs))
		for i, name := range n.Inputs {
			c.In = append(c.In, types[name]) // "" gives the zero Type
			if name != "" {
				in[i] = vals[name]
			}
		}
		for _, name := range n.Outputs {
			c.Out = append(c.Out, types[name])
		}
		lower, ok := lowerings[n.Op]
		if !ok {
			return nil, fail(n, fmt.Errorf("no lowering for op %s", n.Op))
		}
		var narrow []tensor.DType // per output: the dtype carried as float32, or Invalid
		if carry {
			lower, narrow = carryLowering(c, lower)
		}
		var outs []*graph.Node
		if allEmpty(c.Out) {
			// Values without elements carry no data: any lowering would give
			// the same result, and engines disagree on broadcasting and
			// reducing zero-size dims, so zero-size outputs are built directly.
			for _, t := range c.Out {
				shape, err := toGoMLXShape(t.DType, t.Shape)
				if err != nil {
					return nil, fail(n, err)
				}
				outs = append(outs, graph.Zeros(g, shape))
			}
		} else if outs, err = lower(c, in); err != nil {
			return nil, fail(n, err)
		}
		if err := checkLowered(outs, c.Out); err != nil {
			return nil, fail(n, err)
		}
		for i, d := range narrow {
			if d != tensor.Invalid && !narrowExact[n.Op] && !allEmpty(c.Out[i:i+1]) {
				outs[i] = roundTo(outs[i], d)
			}
		}
		for i, name := range n.Outputs {
			vals[name] = outs[i]
		}
		checks = append(checks, c.checks...)
	}
	current = nil
	prog.checks = checks
	var graphOuts []*graph.Node
	for _, o := range a.Outputs {
		src := outputSource{graphOut: -1, input: -1, typ: types[o.Name]}
		switch {
		case a.Initializers[o.Name] != nil:
			src.weight = o.Name
		case inputIndex(a, o.Name) >= 0:
			src.input = inputIndex(a, o.Name)
		case src.typ.Shape.NumElements() == 0:
			src.empty = true
		default:
			src.graphOut = len(graphOuts)
			v := vals[o.Name]
			if carry && src.typ.DType == tensor.BFloat16 {
				v = graph.ConvertDType(v, dtypes.BFloat16) // exact: v holds bfloat16 numbers
			} // float16 narrows on the host (download)
			graphOuts = append(graphOuts, v)
		}
		prog.outputs = append(prog.outputs, src)
	}
	for _, c := range checks {
		graphOuts = append(graphOuts, c.ok)
	}
	if len(graphOuts) == 0 {
		g.Finalize()
		return prog, nil
	}
	g.Compile(graphOuts...)
	prog.g = g
	return prog, nil
}

// checkLowered compares a lowering's results with the inferred output types.
func checkLowered(outs []*graph.Node, want []ops.Type) error {
	if len(outs) != len(want) {
		return fmt.Errorf("lowering returned %d outputs, the op has %d", len(outs), len(want))
	}
	for i, o := range outs {
		if o == nil {
			return fmt.Errorf("lowering returned no node for output %d", i)
		}
		shape, err := toGoMLXShape(want[i].DType, want[i].Shape)
		if err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
		if !o.Shape().Equal(shape) {
			return fmt.Errorf("lowering bug: output %d is %s, inference says %s", i, o.Shape(), shape)
		}
	}
	return nil
}

// allEmpty reports whether every type has zero elements.
func allEmpty(types []ops.Type) bool {
	for _, t := range types {
		if t.Shape.NumElements() != 0 {
			return false
		}
	}
	return true
}

func inputIndex(a *runtime.Artifact, name string) int {
	for i, in := range a.Inputs {
		if in.Name == name {
			return i
		}
	}
	return -1
}
