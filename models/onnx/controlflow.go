package onnx

import (
	"errors"
	"fmt"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Control flow folded at import: an If whose condition is known (a
// constant, computed from static shapes, or from a value input of a
// template's signature) becomes the branch it takes, and one whose condition
// is computed from data runs both branches and selects with where (when
// their outputs agree in shape); a Loop whose trip
// count and condition are known is unrolled, and so is a Scan (its
// iteration count is a static dim; Scan-8 per batch element). The graph handed to a backend keeps its
// static shapes; control flow whose decisions depend on data is refused,
// naming the node.

// maxUnrolledNodes bounds the nodes a Loop or Scan may add when unrolled.
const maxUnrolledNodes = 1 << 16

// maxUnrolledSteps bounds the body copies one import makes in all (nested
// loops multiply), and maxImportNodes the nodes of an imported graph, so a
// hostile model cannot make the importer allocate without bound.
const (
	maxUnrolledSteps = 1 << 14
	maxImportNodes   = 1 << 20
)

// unrollStep counts one more copy of a loop body against maxUnrolledSteps.
func (c *converter) unrollStep() error {
	c.unrolled++
	if c.unrolled > maxUnrolledSteps {
		return c.errorf(ErrUnsupported, "unrolling control flow and recurrence would copy loop bodies more than %d times", maxUnrolledSteps)
	}
	return nil
}

func init() {
	register("If", ctrlIf)
	register("Loop", ctrlLoop)
	register("Scan", ctrlScan)
}

// attrGraph returns the required graph attribute name of the current node.
func (c *converter) attrGraph(name string) (*onnxpb.Graph, error) {
	a, err := c.attr(name, onnxpb.AttrGraph)
	if err != nil {
		return nil, err
	}
	if a == nil || a.G == nil {
		return nil, c.errorf(ErrInvalidModel, "required graph attribute %q is missing", name)
	}
	return a.G, nil
}

// knownScalar returns input i as a one-element tensor known at import.
func (c *converter) knownScalar(i int, what string) (*tensor.Tensor, error) {
	t, ok := c.constant(c.in(i))
	if !ok {
		return nil, c.notKnown(i, what+" must be known at import time (a constant, computed from static shapes, "+
			"or from a small input); control flow decided by data is not supported")
	}
	if t.NumElements() != 1 {
		return nil, c.inputErrorf(i, ErrInvalidModel, "%s must have one element, has shape %v", what, t.Shape())
	}
	return t, nil
}

// ctrlIf maps If by inlining the branch its known condition takes.
func ctrlIf(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	then, err := c.attrGraph("then_branch")
	if err != nil {
		return err
	}
	els, err := c.attrGraph("else_branch")
	if err != nil {
		return err
	}
	cond, err := c.knownScalar(0, "If's condition")
	if errors.Is(err, errNeedsValue) {
		return err // known per input signature: a template takes one branch
	}
	if err != nil {
		return c.ifOnData(then, els, err)
	}
	branch := els
	if cond.Float64s()[0] != 0 {
		branch = then
	}
	if len(branch.Outputs) != len(n.Outputs) {
		return c.errorf(ErrInvalidModel, "the branch taken has %d outputs, the node %d", len(branch.Outputs), len(n.Outputs))
	}
	outs, err := c.inlineGraph(branch, c.nodeName+"/", nil)
	if err != nil {
		return err
	}
	return c.bindOutputs(outs, n.Outputs)
}

// ifOnData maps an If whose condition is computed from data: both branches
// are inlined and each output selects between them with where, which needs
// the branches' outputs to agree in dtype and shape. why is the error kept
// when they do not.
func (c *converter) ifOnData(then, els *onnxpb.Graph, why error) error {
	n := c.node
	if len(then.Outputs) != len(n.Outputs) || len(els.Outputs) != len(n.Outputs) {
		return c.errorf(ErrInvalidModel, "the branches have %d and %d outputs, the node %d", len(then.Outputs), len(els.Outputs), len(n.Outputs))
	}
	ct := c.typeOf(c.in(0))
	if ct.dtype != tensor.Bool || !ct.static() || ct.a.NumElements() != 1 {
		return c.inputErrorf(0, ErrInvalidModel, "If's condition is %v%v, want a one-element bool", ct.dtype, ct.a)
	}
	thenOuts, err := c.inlineGraph(then, c.nodeName+"/then/", nil)
	if err != nil {
		return err
	}
	elseOuts, err := c.inlineGraph(els, c.nodeName+"/else/", nil)
	if err != nil {
		return err
	}
	cond := c.tmp()
	if err := c.emit("reshape", ops.Attrs{"shape": []int64{}}, []string{c.in(0)}, cond); err != nil {
		return err
	}
	for i, o := range n.Outputs {
		if o == "" {
			continue
		}
		a, b := c.typeOf(thenOuts[i]), c.typeOf(elseOuts[i])
		if a.dtype != b.dtype || !a.a.Equal(b.a) || !a.b.Equal(b.b) {
			return c.errorf(ErrUnsupported, "output %d is %v%v in one branch and %v%v in the other, so the branch "+
				"cannot be chosen after computing both: %w", i, a.dtype, shapeDims(a.a, a.b), b.dtype, shapeDims(b.a, b.b), why)
		}
		if err := c.emit("where", nil, []string{cond, thenOuts[i], elseOuts[i]}, o); err != nil {
			return err
		}
	}
	return nil
}

// bindOutputs makes each named node output the value of the inlined one.
func (c *converter) bindOutputs(values, outputs []string) error {
	for i, o := range outputs {
		if o == "" {
			continue
		}
		if err := c.emit("identity", nil, []string{values[i]}, o); err != nil {
			return err
		}
	}
	return nil
}

// ctrlLoop unrolls Loop: the trip count M (input 0) and the condition
// (input 1, then the body's first output after each iteration) must be
// known at import. Loop-carried values flow from one copy of the body to
// the next; scan outputs are stacked along a new first axis.
func ctrlLoop(c *converter, n *onnxpb.Node) error {
	if len(n.Inputs) < 2 {
		return c.errorf(ErrInvalidModel, "has %d inputs, want M, cond and the loop-carried values", len(n.Inputs))
	}
	body, err := c.attrGraph("body")
	if err != nil {
		return err
	}
	carried := n.Inputs[2:]
	if len(body.Inputs) != 2+len(carried) {
		return c.errorf(ErrInvalidModel, "the body takes %d inputs, want 2 + %d loop-carried", len(body.Inputs), len(carried))
	}
	nScan := len(body.Outputs) - 1 - len(carried)
	if nScan < 0 || len(n.Outputs) > len(carried)+nScan {
		return c.errorf(ErrInvalidModel, "the body has %d outputs for %d loop-carried values; the node has %d outputs",
			len(body.Outputs), len(carried), len(n.Outputs))
	}
	trips := -1 // no trip count: the condition alone ends the loop
	if c.in(0) != "" {
		t, err := c.knownScalar(0, "Loop's trip count M")
		if err != nil {
			return err
		}
		trips = int(max(min(t.Int64s()[0], int64(maxUnrolledNodes)+1), 0))
	}
	cond := true
	if c.in(1) != "" {
		t, err := c.knownScalar(1, "Loop's condition")
		if err != nil {
			return err
		}
		cond = t.Float64s()[0] != 0
	}
	if trips < 0 && c.in(1) == "" {
		return c.errorf(ErrInvalidModel, "Loop has neither a trip count nor a condition: it never ends")
	}
	state := append([]string(nil), carried...)
	scans := make([][]string, nScan)
	for i := 0; cond && (trips < 0 || i < trips); i++ {
		if (i+1)*max(len(body.Nodes), 1) > maxUnrolledNodes {
			return c.errorf(ErrUnsupported, "unrolling Loop past %d iterations would add more than %d nodes", i, maxUnrolledNodes)
		}
		if err := c.unrollStep(); err != nil {
			return err
		}
		bind := map[string]string{
			body.Inputs[0].Name: c.addConst(tensor.Scalar(int64(i))),
			body.Inputs[1].Name: c.addConst(tensor.Scalar(cond)),
		}
		for j, v := range state {
			bind[body.Inputs[2+j].Name] = v
		}
		outs, err := c.inlineGraph(body, fmt.Sprintf("%s/iter%d/", c.nodeName, i), bind)
		if err != nil {
			return err
		}
		t, ok := c.constant(outs[0])
		if !ok {
			return c.errorf(ErrUnsupported, "Loop's condition after iteration %d is computed from data; only loops "+
				"whose condition is known at import are supported", i)
		}
		cond = t.NumElements() == 1 && t.Float64s()[0] != 0
		state = outs[1 : 1+len(carried)]
		for k := range scans {
			scans[k] = append(scans[k], outs[1+len(carried)+k])
		}
	}
	final := append(state, make([]string, nScan)...)
	for k, vals := range scans {
		if len(carried)+k >= len(n.Outputs) || n.Outputs[len(carried)+k] == "" {
			continue
		}
		if len(vals) == 0 {
			return c.errorf(ErrUnsupported, "Loop ran no iteration, so the shape of scan output %d is unknown", k)
		}
		stacked, err := c.stack(vals, 0)
		if err != nil {
			return err
		}
		final[len(carried)+k] = stacked
	}
	return c.bindOutputs(final[:len(n.Outputs)], n.Outputs)
}

// stack joins values of one shape along a new axis.
func (c *converter) stack(vals []string, axis int) (string, error) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		vt := c.typeOf(v)
		if !vt.static() {
			return "", c.errorf(ErrUnsupported, "stacking values whose shape depends on symbolic dims: %w", errNeedsDims)
		}
		shape := make([]int64, 0, len(vt.a)+1)
		for _, d := range vt.a[:axis] {
			shape = append(shape, int64(d))
		}
		shape = append(shape, 1)
		for _, d := range vt.a[axis:] {
			shape = append(shape, int64(d))
		}
		parts[i] = c.tmp()
		if err := c.emit("reshape", ops.Attrs{"shape": shape}, []string{v}, parts[i]); err != nil {
			return "", err
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	out := c.tmp()
	return out, c.emit("concat", ops.Attrs{"axis": int64(axis)}, parts, out)
}

// inlineGraph converts the nodes of subgraph g into the graph being built:
// bind maps g's inputs to values of the enclosing graph, g's initializers
// and node outputs are renamed with prefix, and names g does not define are
// the enclosing scope's. It returns the names g's outputs got.
func (c *converter) inlineGraph(g *onnxpb.Graph, prefix string, bind map[string]string) ([]string, error) {
	node, nodeName, used := c.node, c.nodeName, c.used
	defer func() { c.node, c.nodeName, c.used = node, nodeName, used }()
	if g.SparseInitializers > 0 {
		return nil, c.errorf(ErrUnsupported, "sparse initializers in a subgraph")
	}
	rename := map[string]string{}
	for k, v := range bind {
		rename[k] = v
	}
	for _, in := range g.Inputs {
		if _, ok := rename[in.Name]; !ok {
			return nil, c.errorf(ErrInvalidModel, "subgraph input %q is not bound", in.Name)
		}
	}
	for i := range g.Initializers {
		init := &g.Initializers[i]
		t, err := onnxpb.ToTensor(init, c.opt.External)
		if err != nil {
			return nil, &Error{Model: c.name, Node: nodeName, Input: init.Name, Kind: kindOf(err), Err: err}
		}
		rename[init.Name] = prefix + init.Name
		c.setConst(prefix+init.Name, t)
	}
	plan, err := c.planGraph(g)
	if err != nil {
		return nil, err
	}
	r := func(name string) string {
		if v, ok := rename[name]; ok {
			return v
		}
		return name
	}
	for _, i := range plan.order {
		src := &g.Nodes[i]
		nn := *src
		nn.Name = prefix + nodeLabel(g, i)
		nn.Inputs = make([]string, len(src.Inputs))
		for j, in := range src.Inputs {
			if in != "" {
				nn.Inputs[j] = r(in)
				c.consumed[nn.Inputs[j]] = true
			}
		}
		nn.Outputs = make([]string, len(src.Outputs))
		for j, out := range src.Outputs {
			if out != "" {
				rename[out] = prefix + out
				nn.Outputs[j] = prefix + out
			}
		}
		nn.Attributes = renameNested(src.Attributes, rename)
		if err := c.convertNode(i, &nn); err != nil {
			return nil, err
		}
	}
	outs := make([]string, len(g.Outputs))
	for i, o := range g.Outputs {
		outs[i] = r(o.Name)
		if _, ok := c.types[outs[i]]; !ok {
			return nil, &Error{Model: c.name, Node: nodeName, Input: o.Name, Kind: ErrInvalidModel,
				Err: errors.New("subgraph output is never defined")}
		}
	}
	return outs, nil
}

// renameNested copies attributes, renaming in nested subgraphs the values
// they read from the enclosing scope that the inlining renamed.
func renameNested(attrs []onnxpb.Attribute, rename map[string]string) []onnxpb.Attribute {
	var out []onnxpb.Attribute
	for i := range attrs {
		a := attrs[i]
		if a.G == nil && len(a.Graphs) == 0 {
			continue
		}
		if out == nil {
			out = append([]onnxpb.Attribute(nil), attrs...)
		}
		if a.G != nil {
			out[i].G = renameGraph(a.G, rename)
		}
		if len(a.Graphs) > 0 {
			out[i].Graphs = make([]onnxpb.Graph, len(a.Graphs))
			for j := range a.Graphs {
				out[i].Graphs[j] = *renameGraph(&a.Graphs[j], rename)
			}
		}
	}
	if out == nil {
		return attrs
	}
	return out
}

func renameGraph(g *onnxpb.Graph, rename map[string]string) *onnxpb.Graph {
	defined := map[string]bool{}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for _, t := range g.Initializers {
		defined[t.Name] = true
	}
	for i := range g.Nodes {
		for _, o := range g.Nodes[i].Outputs {
			defined[o] = true
		}
	}
	inner := map[string]string{}
	for k, v := range rename {
		if !defined[k] {
			inner[k] = v
		}
	}
	cp := *g
	cp.Nodes = make([]onnxpb.Node, len(g.Nodes))
	for i, n := range g.Nodes {
		n.Inputs = append([]string(nil), n.Inputs...)
		for j, in := range n.Inputs {
			if v, ok := inner[in]; ok {
				n.Inputs[j] = v
			}
		}
		n.Attributes = renameNested(n.Attributes, inner)
		cp.Nodes[i] = n
	}
	return &cp
}
