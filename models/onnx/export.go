package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// The default-domain opsets Export can target.
//
// 17 is the default: it is the first opset with LayerNormalization, so every
// catalog op but two maps onto one ONNX op or a short expansion (gelu, whose
// Gelu arrived in opset 20, and float64 layer_norm), and peer runtimes have
// supported it for years (ONNX Runtime since 1.12), so an exported model runs
// on the widest range of them. Newer targets use Split's num_outputs (18),
// AveragePool's dilations (19) and Gelu (20); bitcast and cumprod need 26,
// where ONNX added BitCast and CumProd. Without an explicit target, Export
// writes the lowest opset from the default up that expresses every node.
//
// Between 21 and 26 the ops Export writes keep their meaning: opsets 22 to 25
// only widen type constraints (bfloat16 for Conv, pools and the unary math
// ops at 22, the float4, float8 and 2-bit types of Cast, Reshape, Transpose,
// Pad and Identity at 23 to 25, more integer types for TopK at 24) and state
// in words what the catalog already does (MaxPool and AveragePool at 22: a
// ceil-mode window that would start in the end padding is dropped).
// Float16 and bfloat16 nodes stay computed in float32 between Casts where an
// older opset lacked their type, which is as close at every opset.
const (
	DefaultExportOpset = 17
	MinExportOpset     = 17
	MaxExportOpset     = 26
)

// irVersions is the IR version ONNX released together with each opset; a
// model carries the lowest one its opset needs, so that older readers still
// accept it (the table of released versions in ONNX's docs/Versioning.md).
var irVersions = map[int]int64{17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 12, 25: 13, 26: 13}

// ProducerName is written as the exported model's producer_name.
const ProducerName = "backplane"

// ExportOptions tune an export.
type ExportOptions struct {
	// Opset is the default-domain opset to target, MinExportOpset to
	// MaxExportOpset. 0 means the lowest opset from DefaultExportOpset up
	// that expresses every node: DefaultExportOpset for a model that needs
	// nothing newer, 26 for one with a bitcast node, and so on.
	Opset int
	// DocString is written as the model's doc_string (optional).
	DocString string
}

// ErrInvalidOption is the Kind of an *ExportError about ExportOptions.
var ErrInvalidOption = errors.New("invalid export option")

// ExportError reports why an artifact could not be exported, naming the
// node and op at fault when there is one.
type ExportError struct {
	Model string // artifact name
	Node  string // catalog node at fault, if any
	Op    string // its catalog op
	Input string // value at fault, if any
	// Kind is ErrUnsupported (the artifact is valid but the target opset
	// cannot express it), runtime.ErrInvalidArtifact (the artifact does not
	// validate), ErrInvalidOption, or runtime.ErrIO (ExportFile's write).
	Kind error
	Err  error

	// needOpset is, for a node refused at the target opset, the lowest
	// opset that expresses it (0 when none does).
	needOpset int
}

// Error formats the model, node, op and input at fault, then the cause.
func (e *ExportError) Error() string {
	return describeError("onnx export", e.Model, e.Node, e.Op, e.Input, e.Kind, e.Err)
}

// Unwrap returns the kind and the cause, so errors.Is works with both.
func (e *ExportError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Export serializes artifact a as an ONNX ModelProto: the inverse of Import,
// so that every backplane model can also run on a peer runtime such as ONNX
// Runtime.
//
// Each catalog node becomes one ONNX node, or a few where ONNX lacks the op
// at the target opset or the node's dtype (a float16 or bfloat16 node ONNX
// has no kernel type for is computed in float32 between Casts), and the
// shape-deciding attributes ONNX takes as inputs (Reshape's shape, Slice's
// bounds, Pad's pads, ...) become initializers. A node the target opset
// cannot express is refused with an *ExportError naming it and its op.
//
// The model imports the default domain at opts.Opset (or the lowest opset
// that expresses every node, when opts.Opset is 0) with the matching IR
// version, names its graph after the artifact, lists the artifact's inputs
// (symbolic dims as dim_param) and outputs with element types and shapes,
// holds every initializer, and carries the artifact's metadata as
// metadata_props. The bytes are deterministic: the same artifact and options
// always give the same model.
func Export(a *runtime.Artifact, opts ExportOptions) ([]byte, error) {
	// The model is encoded and dropped here, so its initializers may share
	// the artifact's memory instead of copying every weight once more.
	m, err := exportModel(a, opts, true)
	if err != nil {
		return nil, err
	}
	data, err := onnxpb.EncodeModel(m)
	if err != nil {
		return nil, &ExportError{Model: a.Name, Kind: ErrUnsupported, Err: err}
	}
	return data, nil
}

// ExportFile exports a and writes the model to path.
func ExportFile(path string, a *runtime.Artifact, opts ExportOptions) error {
	data, err := Export(a, opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return &ExportError{Model: a.Name, Kind: runtime.ErrIO, Err: err}
	}
	return nil
}

// LowestExportOpset returns the opset Export writes a at when
// ExportOptions.Opset is 0: the lowest from DefaultExportOpset up that
// expresses every node of a. An artifact no opset expresses gets Export's
// error.
func LowestExportOpset(a *runtime.Artifact) (int, error) {
	m, err := exportModel(a, ExportOptions{}, true)
	if err != nil {
		return 0, err
	}
	return int(m.OpsetImports[0].Version), nil
}

// ExportModel is Export without the final serialization: it returns the
// decoded form of the model, for callers that inspect or amend it. The
// model's tensors are copies, independent of the artifact.
func ExportModel(a *runtime.Artifact, opts ExportOptions) (*onnxpb.Model, error) {
	return exportModel(a, opts, false)
}

func exportModel(a *runtime.Artifact, opts ExportOptions, alias bool) (*onnxpb.Model, error) {
	if a == nil {
		return nil, &ExportError{Kind: runtime.ErrInvalidArtifact, Err: errors.New("nil artifact")}
	}
	opset, auto := opts.Opset, opts.Opset == 0
	if auto {
		opset = DefaultExportOpset
	}
	if opset < MinExportOpset || opset > MaxExportOpset {
		return nil, &ExportError{Model: a.Name, Kind: ErrInvalidOption,
			Err: fmt.Errorf("opset %d (supported: %d to %d)", opset, MinExportOpset, MaxExportOpset)}
	}
	if err := a.Validate(); err != nil {
		return nil, exportArtifactError(a, err)
	}
	if a.IsTemplate() {
		return exportTemplate(a)
	}
	var x *exporter
	for {
		var err error
		if x, err = newExporter(a, opset); err != nil {
			return nil, err
		}
		x.alias = alias
		err = x.run()
		if err == nil {
			break
		}
		// Without a target, a node that a newer opset expresses raises the
		// opset and the export starts over. Every refusal names a higher
		// opset than the one tried, so this ends after at most
		// MaxExportOpset-DefaultExportOpset retries, at the highest opset
		// some node needs: the lowest that expresses them all.
		var e *ExportError
		if !auto || !errors.As(err, &e) || e.needOpset <= opset || e.needOpset > MaxExportOpset {
			return nil, err
		}
		opset = e.needOpset
	}
	return &onnxpb.Model{
		IRVersion:    irVersions[opset],
		OpsetImports: []onnxpb.OpsetID{{Domain: "", Version: int64(opset)}},
		ProducerName: ProducerName,
		DocString:    opts.DocString,
		Graph:        x.g,
		Metadata:     exportMetadata(a.Metadata),
	}, nil
}

// exportArtifactError turns a validation error into an *ExportError that
// keeps the runtime's node, op and input.
func exportArtifactError(a *runtime.Artifact, err error) error {
	e := &ExportError{Model: a.Name, Kind: runtime.ErrInvalidArtifact, Err: err}
	var re *runtime.Error
	if errors.As(err, &re) {
		e.Node, e.Op, e.Input = re.Node, re.Op, re.Input
	}
	return e
}

func exportMetadata(md map[string]string) []onnxpb.StringPair {
	keys := slices.Sorted(maps.Keys(md))
	out := make([]onnxpb.StringPair, 0, len(keys))
	for _, k := range keys {
		out = append(out, onnxpb.StringPair{Key: k, Value: md[k]})
	}
	return out
}

// run fills the graph: inputs, initializers, nodes in execution order, outputs.
func (x *exporter) run() error {
	a := x.art
	for _, in := range a.Inputs {
		vi, err := x.valueInfo(in.Name, in.DType, in.Dims, valType{})
		if err != nil {
			return err
		}
		x.g.Inputs = append(x.g.Inputs, vi)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Initializers)) {
		if err := x.addInitializer(name, a.Initializers[name]); err != nil {
			return err
		}
	}
	for _, idx := range x.plan.Order {
		if err := x.node(&a.Nodes[idx]); err != nil {
			return err
		}
	}
	if x.bytes > exportMaxBytes {
		return &ExportError{Model: a.Name, Kind: ErrUnsupported, Err: fmt.Errorf("%d bytes of initializers exceed "+
			"protobuf's 2 GiB message limit (ONNX external data is not written)", x.bytes)}
	}
	for _, out := range a.Outputs {
		vt := x.types[out.Name]
		vi, err := x.valueInfo(out.Name, vt.dtype, out.Dims, vt)
		if err != nil {
			return err
		}
		x.g.Outputs = append(x.g.Outputs, vi)
	}
	return nil
}

// valueInfo declares a graph input or output. Declared dims win; without them
// (outputs only) the dims come from inference: static sizes as dim_value, a
// dim that is exactly one symbolic input dim as that dim_param, and any other
// dim that depends on symbolic dims as an unknown dim.
func (x *exporter) valueInfo(name string, d tensor.DType, dims []runtime.Dim, vt valType) (onnxpb.ValueInfo, error) {
	et, err := onnxpb.DataTypeOf(d)
	if err != nil {
		return onnxpb.ValueInfo{}, &ExportError{Model: x.art.Name, Input: name, Kind: ErrUnsupported, Err: err}
	}
	shape := &onnxpb.Shape{}
	switch {
	case dims != nil:
		for _, dm := range dims {
			if dm.IsSymbolic() {
				shape.Dims = append(shape.Dims, onnxpb.Dim{Param: dm.Name})
			} else {
				shape.Dims = append(shape.Dims, onnxpb.Dim{Value: int64(dm.Size), HasValue: true})
			}
		}
	default:
		for i := range vt.a {
			if !vt.dynamic(i) {
				shape.Dims = append(shape.Dims, onnxpb.Dim{Value: int64(vt.a[i]), HasValue: true})
				continue
			}
			shape.Dims = append(shape.Dims, onnxpb.Dim{Param: x.symbolOf(vt.a[i], vt.b[i])})
		}
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor",
		Tensor: &onnxpb.TensorType{ElemType: et, Shape: shape}}}, nil
}

// exportMaxBytes bounds the initializer bytes of an exported model: a
// protobuf message must stay below 2 GiB, and readers refuse larger files.
// A variable so that a test can lower it.
var exportMaxBytes int64 = math.MaxInt32

// exportLittleEndian reports whether the host's byte order is ONNX's raw_data
// order, so tensor bytes can be written as they are.
var exportLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// addInitializer writes t as a graph initializer called name.
func (x *exporter) addInitializer(name string, t *tensor.Tensor) error {
	p, err := x.tensorProto(name, t)
	if err != nil {
		return &ExportError{Model: x.art.Name, Input: name, Kind: ErrUnsupported, Err: err}
	}
	x.g.Initializers = append(x.g.Initializers, *p)
	x.bytes += int64(t.NumBytes())
	x.names[name] = true
	x.types[name] = valType{dtype: t.DType(), a: t.Shape(), b: t.Shape()}
	return nil
}

// tensorProto converts t for the graph: a copy (onnxpb.FromTensor), or when
// the exporter may alias the artifact's memory on a little-endian host, a
// TensorProto whose raw_data is t's own bytes.
func (x *exporter) tensorProto(name string, t *tensor.Tensor) (*onnxpb.Tensor, error) {
	if !x.alias || !exportLittleEndian || t.NumBytes() == 0 {
		return onnxpb.FromTensor(name, t)
	}
	dt, err := onnxpb.DataTypeOf(t.DType())
	if err != nil {
		return nil, err
	}
	p := &onnxpb.Tensor{Name: name, DataType: dt, RawData: t.Bytes()}
	for _, d := range t.Shape() {
		p.Dims = append(p.Dims, int64(d))
	}
	return p, nil
}
