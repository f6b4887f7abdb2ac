package runtime

import (
	"errors"
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Plan is a structurally checked artifact with its nodes in execution order.
// Backends build on it: the order is fixed once, and InferTypes gives every
// value's type for a concrete input signature.
type Plan struct {
	Artifact *Artifact
	// Order lists node indices so that every node comes after the producers of its inputs.
	Order []int
}

// Validate checks the whole artifact: structure (unique names, no dangling
// edges, no cycles, known ops), attributes, and shape and dtype inference over
// the whole graph with every symbolic dimension bound to 1. The error is an
// *Error of kind ErrInvalidArtifact naming the model, node, op and input at fault.
func (a *Artifact) Validate() error {
	if a.IsTemplate() {
		return a.validateTemplate()
	}
	p, err := a.Plan()
	if err != nil {
		return err
	}
	_, err = p.InferTypes(a.InputTypes(nil))
	return err
}

// Plan checks the artifact's structure and orders its nodes. It does not run
// shape inference; see Validate.
func (a *Artifact) Plan() (*Plan, error) {
	fail := func(node, op, input string, format string, args ...any) error {
		return &Error{Kind: ErrInvalidArtifact, Model: a.Name, Node: node, Op: op, Input: input,
			Err: fmt.Errorf(format, args...)}
	}
	if a.Name == "" {
		return nil, fail("", "", "", "artifact has no name")
	}
	if a.IsTemplate() {
		return nil, fail("", "", "", "artifact is a template: its graph is made per input signature (load it, or specialize it, to run it)")
	}
	if len(a.Outputs) == 0 {
		return nil, fail("", "", "", "artifact declares no outputs")
	}
	if err := checkGraphLimits(a); err != nil {
		return nil, err
	}
	producer := map[string]int{} // value name -> node index, or -1 for graph inputs and initializers
	define := func(name string, by int) error {
		if name == "" {
			return errors.New("empty value name")
		}
		if _, dup := producer[name]; dup {
			return fmt.Errorf("value %q is defined more than once", name)
		}
		producer[name] = by
		return nil
	}
	inputTypes := a.InputTypes(nil)
	for i, in := range a.Inputs {
		if err := define(in.Name, -1); err != nil {
			return nil, fail("", "", in.Name, "graph input: %v", err)
		}
		if !in.DType.Valid() {
			return nil, fail("", "", in.Name, "graph input has invalid dtype %v", in.DType)
		}
		if err := inputTypes[i].Shape.Validate(); err != nil {
			return nil, fail("", "", in.Name, "graph input: %w", err)
		}
	}
	for name, t := range a.Initializers {
		if err := define(name, -1); err != nil {
			return nil, fail("", "", name, "initializer: %v", err)
		}
		if t == nil || !t.DType().Valid() {
			return nil, fail("", "", name, "initializer is nil or has no dtype")
		}
	}
	nodeNames := map[string]bool{}
	for i, n := range a.Nodes {
		if n.Name == "" {
			return nil, fail(fmt.Sprintf("#%d", i), n.Op, "", "node has no name")
		}
		if nodeNames[n.Name] {
			return nil, fail(n.Name, n.Op, "", "node name is used more than once")
		}
		nodeNames[n.Name] = true
		if _, ok := ops.Lookup(n.Op); !ok {
			return nil, &Error{Kind: ErrInvalidArtifact, Model: a.Name, Node: n.Name, Op: n.Op,
				Err: &ops.Error{Op: n.Op, Input: -1, Kind: ops.ErrUnknownOp, Msg: "not in the op catalog"}}
		}
		if len(n.Outputs) == 0 {
			return nil, fail(n.Name, n.Op, "", "node has no outputs")
		}
		for _, out := range n.Outputs {
			if err := define(out, i); err != nil {
				return nil, fail(n.Name, n.Op, out, "output: %v", err)
			}
		}
	}
	for _, n := range a.Nodes {
		for _, in := range n.Inputs {
			if _, ok := producer[in]; !ok && in != "" {
				return nil, fail(n.Name, n.Op, in, "input %q is not a graph input, initializer or node output", in)
			}
		}
	}
	outNames := map[string]bool{}
	for _, out := range a.Outputs {
		if _, ok := producer[out.Name]; !ok {
			return nil, fail("", "", out.Name, "graph output %q is never defined", out.Name)
		}
		if outNames[out.Name] {
			return nil, fail("", "", out.Name, "graph output %q is listed twice", out.Name)
		}
		outNames[out.Name] = true
	}
	order, err := a.topoOrder(producer)
	if err != nil {
		return nil, err
	}
	return &Plan{Artifact: a, Order: order}, nil
}

// topoOrder sorts nodes with Kahn's algorithm, keeping the artifact's order
// among nodes that are ready together, and names a node on a cycle if any.
func (a *Artifact) topoOrder(producer map[string]int) ([]int, error) {
	pending := make([]int, len(a.Nodes))     // inputs not yet produced, per node
	consumers := make([][]int, len(a.Nodes)) // node -> nodes that read one of its outputs
	for i, n := range a.Nodes {
		for _, in := range n.Inputs {
			if p, ok := producer[in]; ok && p >= 0 {
				pending[i]++
				consumers[p] = append(consumers[p], i)
			}
		}
	}
	order := make([]int, 0, len(a.Nodes))
	for i := range a.Nodes {
		if pending[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, c := range consumers[order[k]] {
			if pending[c]--; pending[c] == 0 {
				order = append(order, c)
			}
		}
	}
	if len(order) < len(a.Nodes) {
		for i, p := range pending {
			if p > 0 {
				n := a.Nodes[i]
				return nil, &Error{Kind: ErrInvalidArtifact, Model: a.Name, Node: n.Name, Op: n.Op,
					Err: errors.New("node is on a cycle (its inputs depend on its own outputs)")}
			}
		}
	}
	return order, nil
}

// InferTypes runs shape and dtype inference for concrete graph-input types
// (in the order of Artifact.Inputs) and returns the type of every value:
// inputs, initializers and node outputs.
func (p *Plan) InferTypes(inputs []ops.Type) (map[string]ops.Type, error) {
	a := p.Artifact
	if len(inputs) != len(a.Inputs) {
		return nil, &Error{Kind: ErrInvalidInput, Model: a.Name,
			Err: fmt.Errorf("got %d input types, model has %d inputs", len(inputs), len(a.Inputs))}
	}
	types := make(map[string]ops.Type, len(a.Inputs)+len(a.Initializers)+len(a.Nodes))
	for i, in := range a.Inputs {
		types[in.Name] = inputs[i]
	}
	for name, t := range a.Initializers {
		types[name] = ops.TypeOf(t)
	}
	var inTypes []ops.Type
	for _, idx := range p.Order {
		n := &a.Nodes[idx]
		inTypes = inTypes[:0]
		for _, in := range n.Inputs {
			inTypes = append(inTypes, types[in]) // "" gives the zero Type: an omitted input
		}
		out, err := ops.Infer(n.Op, inTypes, n.Attrs)
		if err != nil {
			return nil, nodeError(a.Name, n, err)
		}
		if len(out) != len(n.Outputs) {
			return nil, &Error{Kind: ErrInvalidArtifact, Model: a.Name, Node: n.Name, Op: n.Op,
				Err: fmt.Errorf("node lists %d outputs, op %s produces %d", len(n.Outputs), n.Op, len(out))}
		}
		for i, name := range n.Outputs {
			types[name] = out[i]
		}
	}
	for _, out := range a.Outputs {
		if err := checkDeclared(out, types[out.Name]); err != nil {
			return nil, &Error{Kind: ErrInvalidArtifact, Model: a.Name, Input: out.Name, Err: err}
		}
	}
	return types, nil
}

// nodeError wraps an ops error with the node's context, naming the value
// behind the input index the op complained about.
func nodeError(model string, n *Node, err error) error {
	e := &Error{Kind: ErrInvalidArtifact, Model: model, Node: n.Name, Op: n.Op, Err: err}
	var oe *ops.Error
	if errors.As(err, &oe) && oe.Input >= 0 && oe.Input < len(n.Inputs) {
		e.Input = n.Inputs[oe.Input]
	}
	return e
}

// checkDeclared compares an output's declared type (if any) with the inferred one.
func checkDeclared(decl ValueInfo, got ops.Type) error {
	if decl.DType == tensor.Invalid {
		return nil
	}
	if decl.DType != got.DType {
		return fmt.Errorf("output declared %v, inferred %v", decl.DType, got.DType)
	}
	if decl.Dims == nil {
		return nil
	}
	if len(decl.Dims) != len(got.Shape) {
		return fmt.Errorf("output declared rank %d, inferred shape %v", len(decl.Dims), got.Shape)
	}
	for i, d := range decl.Dims {
		if !d.IsSymbolic() && d.Size != got.Shape[i] {
			return fmt.Errorf("output declared dims %v, inferred shape %v", decl.Dims, got.Shape)
		}
	}
	return nil
}

// LargestValueBytes is the size in bytes of the plan's largest value
// (input, initializer or node output) for concrete graph-input types. Backends
// use it to decide whether work done outside any request (a warm-up in
// Prepare, which no memory budget has been charged for) is small enough.
func (p *Plan) LargestValueBytes(inputs []ops.Type) (int64, error) {
	all, err := p.InferTypes(inputs)
	if err != nil {
		return 0, err
	}
	var largest int64
	for _, t := range all {
		n := int64(t.Shape.NumElements())
		if n < 0 {
			return 0, fmt.Errorf("value of %v elements", t.Shape)
		}
		size := int64(max(t.DType.Size(), 1))
		if n > math.MaxInt64/size {
			return math.MaxInt64, nil
		}
		largest = max(largest, n*size)
	}
	return largest, nil
}
