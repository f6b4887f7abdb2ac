package onnx

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// foldLimit bounds the element count of a value the importer computes at
// import time; larger constant subgraphs are kept as nodes.
const foldLimit = 1 << 22

// Symbolic dimensions are probed with two sizes: a dimension of any value
// that differs between the two is data- or batch-dependent, so it may not be
// folded into a constant. 1 is the most permissive size (it broadcasts);
// probeB is an arbitrary size no real model hard-codes as a batch.
const (
	probeA = 1
	probeB = 7
)

// valType is the type of a value under both probe bindings of the symbolic dims.
type valType struct {
	dtype tensor.DType
	a, b  tensor.Shape
}

// static reports whether no dimension depends on a symbolic dim.
func (v valType) static() bool { return v.a.Equal(v.b) }

// dynamic reports whether dimension i depends on a symbolic dim.
func (v valType) dynamic(i int) bool { return v.a[i] != v.b[i] }

// errProbe marks an inference failure that happens only under probe B: the
// graph works for one size of its symbolic dims but not for others.
var errProbe = errors.New("graph only works for particular sizes of its symbolic dimensions")

// mapper converts one ONNX node of a given op type.
type mapper func(c *converter, n *onnxpb.Node) error

var mappers = map[string]mapper{}

// register installs the mapper for an ONNX op type of the default domain.
func register(opType string, m mapper) {
	if _, dup := mappers[opType]; dup {
		panic("onnx: duplicate mapper for " + opType)
	}
	mappers[opType] = m
}

// lookupMapper returns the mapper of an ONNX op type.
func lookupMapper(opType string) (mapper, bool) {
	m, ok := mappers[opType]
	return m, ok
}

// SupportedOps returns the ONNX op types the importer maps, sorted.
func SupportedOps() []string {
	names := slices.Collect(maps.Keys(mappers))
	slices.Sort(names)
	return names
}

type converter struct {
	name  string
	opset int64
	opt   Options

	art     *runtime.Artifact
	types   map[string]valType
	consts  map[string]*tensor.Tensor // values known at import time
	emitted map[string]bool           // values defined by an emitted node or a graph input
	nodes   map[string]bool           // emitted node names
	// consumed holds every value some node or the graph output list reads;
	// a node may leave an optional output undefined when nothing reads it.
	consumed map[string]bool

	// Specialization (see specialize.go): known holds values computed from
	// constants and value inputs while their nodes are still emitted, so
	// shape-deciding inputs can be read without folding the data path;
	// specializable marks values that depend on nothing but constants, the
	// sizes of symbolic dims and value-input candidates.
	known         map[string]*tensor.Tensor
	specializable map[string]bool
	preInit       map[string]*tensor.Tensor // decoded initializers, when specializing a template
	unrolled      int                       // loop-body copies made, against maxUnrolledSteps

	node     *onnxpb.Node // the ONNX node being converted
	nodeName string
	used     map[string]bool // attributes of the current node read or deliberately ignored
	fresh    int

	mem importMemory // bytes held against Options.MemoryBudget

	// foldWeights lifts foldLimit while a DequantizeLinear of constant
	// inputs is composed (quant.go): its values are as many as the
	// quantized weight's, which the file holds, and the fold is charged to
	// the memory budget like any other.
	foldWeights bool
}

func newConverter(name string, opset int64, opt Options) *converter {
	return &converter{
		name: name, opset: opset, opt: opt,
		art: &runtime.Artifact{Name: name, Initializers: map[string]*tensor.Tensor{},
			Metadata: map[string]string{"source": "onnx", "onnx_opset": fmt.Sprint(opset)}},
		types: map[string]valType{}, consts: map[string]*tensor.Tensor{},
		emitted: map[string]bool{}, nodes: map[string]bool{}, consumed: map[string]bool{},
		known: map[string]*tensor.Tensor{}, specializable: map[string]bool{},
	}
}

// convert imports the graph. A graph whose shapes depend on the sizes of its
// unbound symbolic dims or on the values of small inputs becomes a template,
// specialized per input signature at run time (see specialize.go); nothing
// is guessed at import.
func (c *converter) convert(m *onnxpb.Model) (*runtime.Artifact, error) {
	art, err := c.convertGraph(m)
	if needsSpecialization(err) && !c.opt.noTemplate {
		return c.template(m, err)
	}
	return art, err
}

func (c *converter) convertGraph(m *onnxpb.Model) (*runtime.Artifact, error) {
	g := m.Graph
	if g.SparseInitializers > 0 {
		return nil, c.modelErr(ErrUnsupported, "sparse initializers")
	}
	for _, p := range m.Metadata {
		c.art.Metadata["onnx."+p.Key] = p.Value
	}
	if m.ProducerName != "" {
		c.art.Metadata["onnx_producer"] = m.ProducerName
	}
	for i := range g.Initializers {
		init := &g.Initializers[i]
		if _, dup := c.consts[init.Name]; dup || init.Name == "" {
			return nil, c.modelErr(ErrInvalidModel, "initializer %d has an empty or repeated name %q", i, init.Name)
		}
		var t *tensor.Tensor
		if c.preInit != nil {
			// A template's weights, decoded (and charged) when it was imported.
			if t = c.preInit[init.Name]; t == nil {
				return nil, &Error{Model: c.name, Input: init.Name, Kind: ErrInvalidModel, Err: errors.New("the template has no such initializer")}
			}
		} else {
			if err := c.chargeInitializer(init); err != nil {
				return nil, err
			}
			var err error
			if t, err = onnxpb.ToTensor(init, c.opt.External); err != nil {
				return nil, &Error{Model: c.name, Input: init.Name, Kind: kindOf(err), Err: err}
			}
		}
		c.setConst(init.Name, t)
	}
	for _, in := range g.Inputs {
		if _, isInit := c.consts[in.Name]; isInit {
			continue // old exporters list initializers among the inputs too
		}
		if err := c.addGraphInput(in); err != nil {
			return nil, err
		}
	}
	for _, out := range g.Outputs {
		if out.Type != nil && out.Type.Kind != "" && out.Type.Kind != "tensor" {
			return nil, &Error{Model: c.name, Input: out.Name, Kind: ErrUnsupported,
				Err: fmt.Errorf("graph output of %s type (only tensors are supported)", out.Type.Kind)}
		}
	}
	plan, err := c.planGraph(g)
	if err != nil {
		return nil, err
	}
	if len(plan.unused) > 0 {
		c.art.Metadata["onnx_unused"] = unusedSummary(plan.unused)
	}
	for _, i := range plan.order {
		for _, in := range g.Nodes[i].Inputs {
			c.consumed[in] = true
		}
	}
	for _, out := range g.Outputs {
		c.consumed[out.Name] = true
	}
	for i := range g.Nodes {
		if !plan.live[i] {
			// Nothing reads its outputs: converting it would only fold
			// constants nobody uses (a hostile file's cheap way to fill
			// memory). Its op must still be one the importer knows.
			if err := c.checkDeadNode(i, &g.Nodes[i]); err != nil {
				return nil, err
			}
		}
	}
	for _, i := range plan.order {
		if err := c.convertNode(i, &g.Nodes[i]); err != nil {
			return nil, err
		}
	}
	c.node, c.nodeName = nil, ""
	for _, out := range g.Outputs {
		if _, ok := c.types[out.Name]; !ok {
			return nil, &Error{Model: c.name, Input: out.Name, Kind: ErrInvalidModel, Err: errors.New("graph output is never defined")}
		}
		c.materialize(out.Name)
		c.art.Outputs = append(c.art.Outputs, c.outputInfo(out))
	}
	if err := c.art.Validate(); err != nil {
		return nil, &Error{Model: c.name, Kind: ErrInvalidModel, Err: err}
	}
	return c.art, nil
}

func kindOf(err error) error {
	if errors.Is(err, onnxpb.ErrUnsupported) {
		return ErrUnsupported
	}
	return ErrInvalidModel
}

// addGraphInput declares a graph input, keeping symbolic dims symbolic unless bound.
func (c *converter) addGraphInput(in onnxpb.ValueInfo) error {
	fail := func(kind error, format string, args ...any) error {
		return &Error{Model: c.name, Input: in.Name, Kind: kind, Err: fmt.Errorf(format, args...)}
	}
	if in.Type == nil || in.Type.Tensor == nil {
		kind := "untyped"
		if in.Type != nil {
			kind = in.Type.Kind
		}
		return fail(ErrUnsupported, "graph input of %s type (only tensors are supported)", kind)
	}
	d, err := dtypeOf(in.Type.Tensor.ElemType)
	if err != nil {
		return fail(ErrUnsupported, "%v", err)
	}
	if in.Type.Tensor.Shape == nil {
		return fail(ErrUnsupported, "graph input of unknown rank")
	}
	dims := make([]runtime.Dim, len(in.Type.Tensor.Shape.Dims))
	vt := valType{dtype: d, a: make(tensor.Shape, len(dims)), b: make(tensor.Shape, len(dims))}
	for i, dim := range in.Type.Tensor.Shape.Dims {
		name := dim.Param
		if !dim.HasValue && name == "" {
			name = DimName(in.Name, i) // an unknown dim is a symbolic dim of its own
		}
		switch bound, ok := c.opt.Dims[name]; {
		case dim.HasValue:
			if dim.Value < 0 || dim.Value > tensor.MaxElements {
				return fail(ErrInvalidModel, "dimension %d is %d", i, dim.Value)
			}
			dims[i] = runtime.Static(int(dim.Value))
			vt.a[i], vt.b[i] = int(dim.Value), int(dim.Value)
		case ok:
			dims[i] = runtime.Static(bound)
			vt.a[i], vt.b[i] = bound, bound
		default:
			dims[i] = runtime.Symbolic(name)
			vt.a[i], vt.b[i] = probeA, probeB
		}
	}
	if err := vt.b.Validate(); err != nil {
		return fail(ErrInvalidModel, "%v", err)
	}
	if c.types[in.Name].dtype != tensor.Invalid {
		return fail(ErrInvalidModel, "graph input is declared twice")
	}
	c.art.Inputs = append(c.art.Inputs, runtime.ValueInfo{Name: in.Name, DType: d, Dims: dims})
	c.types[in.Name] = vt
	c.emitted[in.Name] = true
	if valueCandidate(c.art.Inputs[len(c.art.Inputs)-1]) {
		c.specializable[in.Name] = true
	}
	if t, ok := c.opt.values[in.Name]; ok {
		if t.DType() != d || !t.Shape().Equal(vt.a) {
			return fail(ErrInvalidModel, "value %v%v does not match the declaration %v%v", t.DType(), t.Shape(), d, vt.a)
		}
		c.known[in.Name] = t
	}
	return nil
}

func symbolicNames(g *onnxpb.Graph) []string {
	var names []string
	for _, in := range g.Inputs {
		if in.Type == nil || in.Type.Tensor == nil || in.Type.Tensor.Shape == nil {
			continue
		}
		for i, d := range in.Type.Tensor.Shape.Dims {
			switch {
			case d.HasValue:
			case d.Param != "":
				names = append(names, d.Param)
			default:
				names = append(names, DimName(in.Name, i))
			}
		}
	}
	return names
}

func (c *converter) convertNode(i int, n *onnxpb.Node) error {
	c.node = n
	c.nodeName = n.Name
	if c.nodeName == "" {
		c.nodeName = fmt.Sprintf("#%d", i)
	}
	c.used = map[string]bool{}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return c.errorf(ErrUnsupported, "op domain %q (only the default ONNX domain is supported)", n.Domain)
	}
	m, ok := lookupMapper(n.OpType)
	if !ok {
		return c.errorf(ErrUnsupported, "op type %q is not supported (supported: %s)", n.OpType, strings.Join(SupportedOps(), " "))
	}
	if err := c.checkOldOpset(n.OpType); err != nil {
		return err
	}
	for _, in := range n.Inputs {
		if _, ok := c.types[in]; !ok && in != "" {
			return &Error{Model: c.name, Node: c.nodeName, OpType: n.OpType, Input: in, Kind: ErrInvalidModel,
				Err: errors.New("input is not a graph input, initializer or earlier node output (dangling edge, or a cycle)")}
		}
	}
	for _, out := range n.Outputs {
		if _, dup := c.types[out]; dup && out != "" {
			return c.errorf(ErrInvalidModel, "output %q is already defined", out)
		}
	}
	if err := m(c, n); err != nil {
		var e *Error
		if errors.As(err, &e) || errors.Is(err, errProbe) {
			return err
		}
		return c.errorf(ErrInvalidModel, "%w", err)
	}
	for _, a := range n.Attributes {
		if !c.used[a.Name] {
			return c.errorf(ErrUnsupported, "attribute %q is not supported", a.Name)
		}
	}
	for _, out := range n.Outputs {
		// An output nothing reads may stay undefined: exporters name optional
		// outputs (Dropout's mask, ...) that the graph never uses.
		if _, ok := c.types[out]; !ok && out != "" && c.consumed[out] {
			return c.errorf(ErrUnsupported, "optional output %q is not supported (only inference outputs are)", out)
		}
	}
	return nil
}

// errorf returns an *Error about the current node.
func (c *converter) errorf(kind error, format string, args ...any) error {
	e := &Error{Model: c.name, Kind: kind, Err: fmt.Errorf(format, args...)}
	if c.node != nil {
		e.Node, e.OpType = c.nodeName, c.node.OpType
	}
	return e
}

// inputErrorf is errorf naming input i of the current node.
func (c *converter) inputErrorf(i int, kind error, format string, args ...any) error {
	e := c.errorf(kind, format, args...).(*Error)
	e.Input = c.in(i)
	return e
}

func (c *converter) modelErr(kind error, format string, args ...any) error {
	return &Error{Model: c.name, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// in returns the name of input i of the current node, "" when omitted.
func (c *converter) in(i int) string {
	if i < len(c.node.Inputs) {
		return c.node.Inputs[i]
	}
	return ""
}

// out returns the name of output i of the current node, "" when not wanted.
func (c *converter) out(i int) string {
	if i < len(c.node.Outputs) {
		return c.node.Outputs[i]
	}
	return ""
}

// typeOf returns the type of a defined value.
func (c *converter) typeOf(name string) valType { return c.types[name] }

// constant returns the value of name when it is known at import time.
func (c *converter) constant(name string) (*tensor.Tensor, bool) {
	if t, ok := c.consts[name]; ok {
		return t, ok
	}
	t, ok := c.known[name]
	return t, ok
}

// constInts returns input i as integers; it must be known at import time.
func (c *converter) constInts(i int) ([]int, error) {
	t, ok := c.constant(c.in(i))
	if !ok {
		return nil, c.notKnown(i, "must be known at import time (a constant, an initializer or "+
			"computed from static shapes); shapes that depend on data are not supported")
	}
	if !t.DType().IsInt() {
		return nil, c.inputErrorf(i, ErrInvalidModel, "is %v, want an integer tensor", t.DType())
	}
	v := t.Int64s()
	out := make([]int, len(v))
	for j, x := range v {
		out[j] = int(x)
	}
	return out, nil
}

// tmp returns a fresh value name derived from the current node.
func (c *converter) tmp() string {
	for {
		c.fresh++
		n := fmt.Sprintf("%s/%d", c.nodeName, c.fresh)
		if _, taken := c.types[n]; !taken {
			return n
		}
	}
}

// addConst registers t as a new constant value and returns its name.
func (c *converter) addConst(t *tensor.Tensor) string {
	name := c.tmp()
	c.setConst(name, t)
	return name
}

func (c *converter) setConst(name string, t *tensor.Tensor) {
	c.consts[name] = t
	c.types[name] = valType{dtype: t.DType(), a: t.Shape(), b: t.Shape()}
}

// materialize makes a constant value available to emitted nodes as an initializer.
func (c *converter) materialize(name string) {
	if t, ok := c.consts[name]; ok && !c.emitted[name] {
		c.art.Initializers[name] = t
		c.emitted[name] = true
	}
}

// emit adds one catalog op computing outputs from inputs. When every input is
// known at import time and the result is small, the op is evaluated now by
// the reference backend and its outputs become constants instead of a node.
func (c *converter) emit(op string, attrs ops.Attrs, inputs []string, outputs ...string) error {
	attrs, err := ops.Canonical(attrs)
	if err != nil {
		return err
	}
	inA := make([]ops.Type, len(inputs))
	inB := make([]ops.Type, len(inputs))
	allConst := true
	for i, name := range inputs {
		if name == "" {
			continue
		}
		vt, ok := c.types[name]
		if !ok {
			return fmt.Errorf("internal: value %q used before it is defined", name)
		}
		inA[i] = ops.Type{DType: vt.dtype, Shape: vt.a}
		inB[i] = ops.Type{DType: vt.dtype, Shape: vt.b}
		if _, ok := c.consts[name]; !ok {
			allConst = false
		}
	}
	outA, err := ops.Infer(op, inA, attrs)
	outB, errB := ops.Infer(op, inB, attrs)
	switch {
	case err != nil && errB == nil:
		// Fine at the larger probe sizes of the symbolic dims, not at 1 (a
		// pool over a symbolic height): whether the real sizes fit is
		// decided per input signature. Failing at both is the model's error.
		e := c.opError(op, inputs, err).(*Error)
		e.Err = fmt.Errorf("%w (with its symbolic dims at 1; %w)", e.Err, errNeedsDims)
		return e
	case err != nil:
		return c.opError(op, inputs, err)
	case errB != nil:
		return fmt.Errorf("%w: %s: %v", errProbe, op, errB)
	}
	if len(outA) != len(outputs) {
		return fmt.Errorf("internal: op %s has %d outputs, %d names given", op, len(outA), len(outputs))
	}
	if allConst && (c.foldWeights || foldable(outA)) {
		args := make([]*tensor.Tensor, len(inputs))
		for i, name := range inputs {
			args[i] = c.consts[name]
		}
		if err := c.chargeFold(op, outA, outputs); err != nil {
			return err
		}
		res, err := c.fold(op, attrs, inputs, args)
		if err != nil {
			return err
		}
		for i, name := range outputs {
			if name != "" {
				c.setConst(name, res[i])
			}
		}
		return nil
	}
	known, spec := true, true
	for _, name := range inputs {
		if name == "" {
			continue
		}
		_, isConst := c.consts[name]
		_, isKnown := c.known[name]
		known = known && (isConst || isKnown)
		spec = spec && (isConst || c.specializable[name])
	}
	var knownOut []*tensor.Tensor
	if known && foldable(outA) {
		// Computed from value inputs: the node stays (the data path runs on
		// the backend), and the value is at hand for shape-deciding inputs.
		args := make([]*tensor.Tensor, len(inputs))
		for i, name := range inputs {
			args[i], _ = c.constant(name)
		}
		if err := c.chargeFold(op, outA, outputs); err != nil {
			return err
		}
		if res, err := c.fold(op, attrs, inputs, args); err == nil {
			knownOut = res
		}
	}
	for _, name := range inputs {
		c.materialize(name)
	}
	outNames := slices.Clone(outputs)
	for i, name := range outNames {
		if name == "" {
			outNames[i] = c.tmp() // catalog nodes name every output
		}
		c.types[outNames[i]] = valType{dtype: outA[i].DType, a: outA[i].Shape, b: outB[i].Shape}
		c.emitted[outNames[i]] = true
		if spec {
			c.specializable[outNames[i]] = true
		}
		if knownOut != nil {
			c.known[outNames[i]] = knownOut[i]
		}
		if t, ok := c.opt.values[outNames[i]]; ok {
			// A value a probe computed from data for this run.
			if t.DType() != outA[i].DType || !t.Shape().Equal(outA[i].Shape) {
				return fmt.Errorf("probed value %q is %v%v, the graph makes %v", outNames[i], t.DType(), t.Shape(), outA[i])
			}
			c.known[outNames[i]] = t
		}
	}
	if len(c.art.Nodes) >= maxImportNodes {
		return c.errorf(ErrUnsupported, "the imported graph would have more than %d nodes", maxImportNodes)
	}
	nodeName := c.nodeName
	for c.nodes[nodeName] {
		c.fresh++
		nodeName = fmt.Sprintf("%s/%s%d", c.nodeName, op, c.fresh)
	}
	c.nodes[nodeName] = true
	c.art.Nodes = append(c.art.Nodes, runtime.Node{Name: nodeName, Op: op, Inputs: slices.Clone(inputs), Outputs: outNames, Attrs: attrs})
	return nil
}

func foldable(out []ops.Type) bool {
	n := 0
	for _, t := range out {
		n += t.Shape.NumElements()
	}
	return n <= foldLimit
}

// opError turns an ops error into an import error naming the ONNX input at fault.
func (c *converter) opError(op string, inputs []string, err error) error {
	kind := ErrInvalidModel
	if errors.Is(err, ops.ErrUnsupported) {
		kind = ErrUnsupported
	}
	e := c.errorf(kind, "%s: %w", op, err).(*Error)
	var oe *ops.Error
	if errors.As(err, &oe) && oe.Input >= 0 && oe.Input < len(inputs) {
		e.Input = inputs[oe.Input]
	}
	return e
}

// dtypeOf maps an ONNX element type to a backplane dtype.
func dtypeOf(d onnxpb.DataType) (tensor.DType, error) {
	switch d {
	case onnxpb.Float:
		return tensor.Float32, nil
	case onnxpb.Double:
		return tensor.Float64, nil
	case onnxpb.Float16:
		return tensor.Float16, nil
	case onnxpb.BFloat16:
		return tensor.BFloat16, nil
	case onnxpb.Int8:
		return tensor.Int8, nil
	case onnxpb.Uint8:
		return tensor.Uint8, nil
	case onnxpb.Int32:
		return tensor.Int32, nil
	case onnxpb.Int64:
		return tensor.Int64, nil
	case onnxpb.Bool:
		return tensor.Bool, nil
	case onnxpb.Int16:
		return tensor.Int16, nil
	case onnxpb.Uint16:
		return tensor.Uint16, nil
	case onnxpb.Uint32:
		return tensor.Uint32, nil
	case onnxpb.Uint64:
		return tensor.Uint64, nil
	}
	return tensor.Invalid, fmt.Errorf("%w: ONNX element type %d", ErrUnsupported, d)
}
