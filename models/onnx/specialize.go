package onnx

import (
	"errors"
	"fmt"
	"maps"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Shapes decided at run time. A graph whose shapes depend on the sizes of
// its symbolic input dims (PyTorch's x.view(x.size(0), -1), Hugging Face's
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains, ConstantOfShape,
// Range for position ids) or on the values of small inputs (an axes, pads
// or shape input) imports as a runtime template: its inputs and outputs are
// declared, its weights decoded once, and the ONNX graph is kept (without
// its weights) in a specializer. On the first run with a new signature the
// runtime asks the specializer for a static artifact: the importer runs again
// with every symbolic dim bound to the run's size and the value inputs'
// values at hand, so every shape chain folds to constants.

// Sentinels a mapper wraps into its error when what it refuses would be
// known for a concrete input signature.
var (
	// errNeedsDims: a shape decision depends on the size of a symbolic dim.
	errNeedsDims = errors.New("the graph's shapes depend on the sizes of its symbolic dimensions (bind them with Options.Dims, or load the model as it is: each run then binds them)")
	// errNeedsValue: a shape decision depends on the value of a value input.
	errNeedsValue = errors.New("the graph's shapes depend on the values of its small inputs")
	// errNeedsData: a shape decision depends on a value computed from data;
	// a *needsData names it.
	errNeedsData = errors.New("the graph's shapes depend on values it computes from data")
)

// needsData is errNeedsData for one value: a probe computes it per run.
type needsData struct{ value string }

func (e *needsData) Error() string {
	return fmt.Sprintf("%v (%q): each run computes it first, then specializes the rest", errNeedsData, e.value)
}

// Is makes errors.Is(err, errNeedsData) match.
func (e *needsData) Is(target error) bool { return target == errNeedsData }

// SpecializerKind is the runtime.Specializer kind of ONNX templates.
const SpecializerKind = "onnx"

func init() {
	runtime.RegisterSpecializer(SpecializerKind, decodeSpecializer)
}

// needsSpecialization reports whether an import error goes away for a
// concrete input signature.
func needsSpecialization(err error) bool {
	return errors.Is(err, errProbe) || errors.Is(err, errNeedsDims) || errors.Is(err, errNeedsValue) ||
		errors.Is(err, errNeedsData)
}

// valueCandidate reports whether a graph input may decide shapes by its
// value: integer or bool with static dims and at most
// runtime.MaxValueInputElements elements (axes, pads, shapes, repeats,
// sequence lengths, If conditions), or a one-element input of any dtype
// (Range's float bounds, Pad's value). Their values key the specializations
// of a template, so a template fed a different float scalar on every run
// specializes on every run (Clip's bounds need no specialization: they
// become elementwise max and min).
func valueCandidate(in runtime.ValueInfo) bool {
	n := 1
	for _, d := range in.Dims {
		if d.IsSymbolic() {
			return false
		}
		n *= d.Size
		if n > runtime.MaxValueInputElements {
			return false
		}
	}
	return in.DType.IsInt() || in.DType == tensor.Bool || n == 1
}

// notKnown is the error for input i of the current node when its value is
// needed at import and not known: a template is made when the value is
// known for each input signature.
func (c *converter) notKnown(i int, msg string) error {
	if c.specializable[c.in(i)] {
		return c.inputErrorf(i, ErrUnsupported, "%s: %w", msg, errNeedsValue)
	}
	if c.opt.probing {
		return c.inputErrorf(i, ErrUnsupported, "%s: %w", msg, &needsData{value: c.in(i)})
	}
	return c.inputErrorf(i, ErrUnsupported, "%s", msg)
}

// outputInfo declares a graph output: its inferred dtype, and each dim
// static when no symbolic dim decides it, else symbolic, named as the ONNX
// declaration names it or "<output>_dim<axis>".
func (c *converter) outputInfo(out onnxpb.ValueInfo) runtime.ValueInfo {
	vt := c.types[out.Name]
	info := runtime.ValueInfo{Name: out.Name, DType: vt.dtype, Dims: make([]runtime.Dim, len(vt.a))}
	declared := declaredDims(out)
	for i := range vt.a {
		switch {
		case !vt.dynamic(i):
			info.Dims[i] = runtime.Static(vt.a[i])
		case len(declared) == len(vt.a) && declared[i].IsSymbolic():
			info.Dims[i] = declared[i]
		default:
			info.Dims[i] = runtime.Symbolic(DimName(out.Name, i))
		}
	}
	return info
}

// declaredDims returns a value's dims as the ONNX graph declares them (nil
// when it declares no shape), unnamed unknown dims named "<value>_dim<axis>".
func declaredDims(v onnxpb.ValueInfo) []runtime.Dim {
	if v.Type == nil || v.Type.Tensor == nil || v.Type.Tensor.Shape == nil {
		return nil
	}
	dims := make([]runtime.Dim, len(v.Type.Tensor.Shape.Dims))
	for i, d := range v.Type.Tensor.Shape.Dims {
		switch {
		case d.HasValue && d.Value >= 0 && d.Value <= tensor.MaxElements:
			dims[i] = runtime.Static(int(d.Value))
		case d.Param != "":
			dims[i] = runtime.Symbolic(d.Param)
		default:
			dims[i] = runtime.Symbolic(DimName(v.Name, i))
		}
	}
	return dims
}

// maxCauseBytes bounds the "onnx_specialized" metadata entry.
const maxCauseBytes = 512

// template makes the runtime template of a graph whose conversion failed
// with cause for want of dims or values. The converter has declared the
// inputs and decoded the initializers (both come before any node).
func (c *converter) template(m *onnxpb.Model, cause error) (*runtime.Artifact, error) {
	g := m.Graph
	stripped := *m
	sg := *g
	sg.Initializers = make([]onnxpb.Tensor, len(g.Initializers))
	inits := make(map[string]*tensor.Tensor, len(g.Initializers))
	for i, t := range g.Initializers {
		sg.Initializers[i] = onnxpb.Tensor{Name: t.Name, DataType: t.DataType}
		inits[t.Name] = c.consts[t.Name]
	}
	// Dims bound by Options.Dims are written into the kept graph, so the
	// specializer needs no options of its own.
	sg.Inputs = make([]onnxpb.ValueInfo, len(g.Inputs))
	for i, in := range g.Inputs {
		sg.Inputs[i] = bindInput(in, c.opt.Dims)
	}
	stripped.Graph = &sg

	a := &runtime.Artifact{Name: c.name, Inputs: c.art.Inputs, Initializers: inits,
		Metadata: maps.Clone(c.art.Metadata)}
	msg := cause.Error()
	if len(msg) > maxCauseBytes {
		msg = msg[:maxCauseBytes] + "..."
	}
	a.Metadata["onnx_specialized"] = "per input signature at run time: " + msg
	for _, out := range g.Outputs {
		info := runtime.ValueInfo{Name: out.Name, Dims: declaredDims(out)}
		if out.Type != nil && out.Type.Tensor != nil {
			if d, err := dtypeOf(out.Type.Tensor.ElemType); err == nil {
				info.DType = d
			}
		}
		a.Outputs = append(a.Outputs, info)
	}
	sp := &specializer{model: &stripped, opset: c.opset}
	for _, in := range a.Inputs {
		if valueCandidate(in) {
			sp.valueInputs = append(sp.valueInputs, in.Name)
		}
	}
	a.Specializer = sp
	if err := a.Validate(); err != nil {
		return nil, &Error{Model: c.name, Kind: ErrInvalidModel, Err: err}
	}
	return a, nil
}

// bindInput returns in with the dims named in bind made static.
func bindInput(in onnxpb.ValueInfo, bind map[string]int) onnxpb.ValueInfo {
	if len(bind) == 0 || in.Type == nil || in.Type.Tensor == nil || in.Type.Tensor.Shape == nil {
		return in
	}
	shape := &onnxpb.Shape{Dims: make([]onnxpb.Dim, len(in.Type.Tensor.Shape.Dims))}
	for i, d := range in.Type.Tensor.Shape.Dims {
		name := d.Param
		if !d.HasValue && name == "" {
			name = DimName(in.Name, i)
		}
		if v, ok := bind[name]; ok && !d.HasValue {
			d = onnxpb.Dim{Value: int64(v), HasValue: true}
		}
		shape.Dims[i] = d
	}
	tt := *in.Type.Tensor
	tt.Shape = shape
	typ := *in.Type
	typ.Tensor = &tt
	in.Type = &typ
	return in
}

// specializer is the runtime.Specializer of ONNX templates: the ONNX model
// without its weights (the template's initializers hold them).
type specializer struct {
	model       *onnxpb.Model
	opset       int64
	valueInputs []string
}

// Kind returns SpecializerKind.
func (s *specializer) Kind() string { return SpecializerKind }

// ValueInputs names the graph inputs whose values key the specializations.
func (s *specializer) ValueInputs() []string { return s.valueInputs }

// Probe converts the kept graph for sig; when a shape decision needs a value
// the graph computes from data, it returns the graph converted so far with
// that value as its output (the runtime runs it and specializes with the
// value known), else nil.
func (s *specializer) Probe(tpl *runtime.Artifact, sig runtime.Signature) (*runtime.Artifact, error) {
	c := newConverter(tpl.Name, s.opset, Options{Name: tpl.Name, Dims: sig.Dims, values: sig.Values, probing: true})
	c.preInit = tpl.Initializers
	_, err := c.convertGraph(s.model)
	var need *needsData
	if !errors.As(err, &need) {
		return nil, nil // converts (or fails the same way in Specialize, which reports it)
	}
	if _, ok := c.types[need.value]; !ok {
		return nil, err
	}
	c.node, c.nodeName = nil, ""
	c.materialize(need.value)
	probe := &runtime.Artifact{Name: tpl.Name + " probe", Inputs: c.art.Inputs, Nodes: c.art.Nodes,
		Initializers: c.art.Initializers, Metadata: map[string]string{"onnx_probe": need.value},
		Outputs: []runtime.ValueInfo{{Name: need.value}}}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	return probe, nil
}

// MarshalBinary encodes the kept ONNX model.
func (s *specializer) MarshalBinary() ([]byte, error) { return onnxpb.EncodeModel(s.model) }

// Specialize imports the kept graph again with every symbolic dim bound and
// the value inputs' values known, sharing the template's weights.
func (s *specializer) Specialize(tpl *runtime.Artifact, sig runtime.Signature) (*runtime.Artifact, error) {
	c := newConverter(tpl.Name, s.opset, Options{Name: tpl.Name, Dims: sig.Dims, values: sig.Values, probing: true})
	c.preInit = tpl.Initializers
	art, err := c.convertGraph(s.model)
	if err != nil {
		return nil, err
	}
	delete(art.Metadata, "onnx_specialized")
	return art, nil
}

// decodeSpecializer reads a saved specializer (untrusted bytes).
func decodeSpecializer(data []byte) (runtime.Specializer, error) {
	m, err := onnxpb.DecodeModel(data)
	if err != nil {
		return nil, err
	}
	if m.Graph == nil {
		return nil, errors.New("onnx specializer: model has no graph")
	}
	opset, err := defaultOpset(m)
	if err != nil {
		return nil, fmt.Errorf("onnx specializer: %w", err)
	}
	sp := &specializer{model: m, opset: opset}
	// The value inputs follow from the declarations, as at import.
	c := newConverter("specializer", opset, Options{})
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializers {
		inits[t.Name] = true
	}
	for _, in := range m.Graph.Inputs {
		if inits[in.Name] {
			continue
		}
		if err := c.addGraphInput(in); err != nil {
			return nil, fmt.Errorf("onnx specializer: %w", err)
		}
		if info := c.art.Inputs[len(c.art.Inputs)-1]; valueCandidate(info) {
			sp.valueInputs = append(sp.valueInputs, info.Name)
		}
	}
	return sp, nil
}

// exportTemplate writes an ONNX template back as the ONNX model it was
// imported from (its graph, at its own opset, with the template's weights):
// the graph keeps every shape decision for the peer to make per run.
func exportTemplate(a *runtime.Artifact) (*onnxpb.Model, error) {
	sp, ok := a.Specializer.(*specializer)
	if !ok {
		return nil, &ExportError{Model: a.Name, Kind: ErrUnsupported,
			Err: fmt.Errorf("a template specialized by %q has no ONNX graph to write; export one of its specializations", a.Specializer.Kind())}
	}
	m := *sp.model
	g := *m.Graph
	g.Initializers = make([]onnxpb.Tensor, len(sp.model.Graph.Initializers))
	for i, t := range sp.model.Graph.Initializers {
		w, ok := a.Initializers[t.Name]
		if !ok {
			return nil, &ExportError{Model: a.Name, Input: t.Name, Kind: runtime.ErrInvalidArtifact,
				Err: errors.New("the template has no such initializer")}
		}
		p, err := onnxpb.FromTensor(t.Name, w)
		if err != nil {
			return nil, &ExportError{Model: a.Name, Input: t.Name, Kind: ErrUnsupported, Err: err}
		}
		g.Initializers[i] = *p
	}
	m.Graph = &g
	return &m, nil
}
