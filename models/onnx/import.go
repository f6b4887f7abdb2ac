// Package onnx imports ONNX models into backplane artifacts, so that every
// backend can run them, and exports artifacts as ONNX models (Export), so
// that peer runtimes can run every backplane model.
//
// ONNX ops are mapped onto the op catalog (package ops), decomposing where the
// catalog has no direct equivalent, with the attribute and input differences
// of opsets 1 through 28 of the default domain (refusing by name an op whose
// definition at the model's opset is not the one mapped). Everything that decides a
// shape (Reshape targets, Slice bounds, Pad amounts, ...) must be known at
// import: the importer folds constant subgraphs, including Shape of values
// whose shape does not depend on a symbolic dimension, and refuses a model
// whose shapes depend on data.
//
// Model files are untrusted: every problem is an *Error naming the node, its
// op and the input at fault, never a panic.
package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Sentinel errors wrapped by *Error. Each also matches the runtime's kind of
// the same meaning with errors.Is, so callers that know only the runtime's
// kinds classify import errors too.
var (
	// ErrUnsupported: the model uses an op, opset, attribute value or data
	// type backplane does not implement. It matches runtime.ErrUnsupported.
	ErrUnsupported = runtime.NewKind("not supported", runtime.ErrUnsupported)
	// ErrInvalidModel: the model is malformed (dangling names, bad attributes,
	// inconsistent shapes, undecodable protobuf). It matches
	// runtime.ErrInvalidArtifact.
	ErrInvalidModel = runtime.NewKind("invalid ONNX model", runtime.ErrInvalidArtifact)
)

// Error reports a problem importing a model, with the node at fault.
type Error struct {
	Model  string // graph or file name
	Node   string // node name (or "#index" when the node has none)
	OpType string // ONNX op type of the node
	Input  string // input value name at fault, if any
	Kind   error  // ErrUnsupported, ErrInvalidModel, runtime.ErrIO (reading the file) or runtime.ErrNotRegistered

	Err error
}

// Error formats the model, node, op and input at fault, then the cause.
func (e *Error) Error() string {
	return describeError("onnx import", e.Model, e.Node, e.OpType, e.Input, e.Kind, e.Err)
}

// describeError formats an import or export error: what failed, then the
// model, node, op and input at fault where known, then the kind and cause.
func describeError(what, model, node, op, input string, kind, err error) string {
	var b strings.Builder
	b.WriteString(what)
	if model != "" {
		fmt.Fprintf(&b, " %q", model)
	}
	if node != "" {
		fmt.Fprintf(&b, ": node %q", node)
	}
	if op != "" {
		fmt.Fprintf(&b, " (%s)", op)
	}
	if input != "" {
		fmt.Fprintf(&b, " input %q", input)
	}
	fmt.Fprintf(&b, ": %v", kind)
	if err != nil {
		fmt.Fprintf(&b, ": %v", err)
	}
	return b.String()
}

// Unwrap returns the kind and the cause, so errors.Is works with both.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Is makes an import error about the model's content (ErrInvalidModel or
// ErrUnsupported) match runtime.ErrInvalidArtifact too: the runtime cannot
// load what did not import. Errors reading the file match runtime.ErrIO and
// the os error instead (errors.Is(err, fs.ErrNotExist)).
func (e *Error) Is(target error) bool {
	return target == runtime.ErrInvalidArtifact && (e.Kind == ErrInvalidModel || e.Kind == ErrUnsupported)
}

// Options tune an import.
type Options struct {
	// Name overrides the artifact name (default: the graph name, else "onnx-model").
	Name string
	// Dims binds symbolic dimensions to sizes. A bound dimension becomes
	// static in the artifact; unbound ones stay symbolic. A dimension of a
	// graph input is named by its dim_param; one with neither a value nor a
	// name is named "<input>_dim<axis>" (e.g. "x_dim0"). A name that matches
	// no dimension is an error listing the names that exist.
	Dims map[string]int
	// External loads tensors stored outside the model file. ImportFile sets it
	// to read files next to the model, refusing paths that leave its directory.
	External onnxpb.ExternalLoader
	// MemoryBudget bounds the bytes an import holds (bytes of the model
	// file, initializers, external data and constants folded at import);
	// 0 means runtime.DefaultMemoryBudget(). Going over it is an *Error
	// wrapping runtime.ErrMemory that names the value, before it is
	// allocated.
	MemoryBudget int64

	values     map[string]*tensor.Tensor // value inputs' and probed values, when specializing
	probing    bool                      // values computed from data may be probed per run
	noTemplate bool                      // tests: report what would make a template as the error
}

// ImportFile reads and imports an ONNX model file; external data is resolved
// relative to the file's directory. Only a regular file of at most
// onnxpb.MaxFileBytes is read (see onnxpb.ReadFile).
func ImportFile(path string, opt Options) (*runtime.Artifact, error) {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Size() > budgetOf(opt) {
		return nil, &Error{Model: path, Kind: ErrInvalidModel, Err: &runtime.Error{Kind: runtime.ErrMemory, Model: path,
			Mode: runtime.ModeMemory, Err: fmt.Errorf("the file has %d bytes, more than the import's memory budget of %d (Options.MemoryBudget)", info.Size(), budgetOf(opt))}}
	}
	data, err := onnxpb.ReadFile(path)
	if err != nil {
		if errors.Is(err, onnxpb.ErrMalformed) || errors.Is(err, onnxpb.ErrLimit) { // not a model file: special, or too large
			return nil, &Error{Model: path, Kind: ErrInvalidModel, Err: err}
		}
		return nil, &Error{Kind: runtime.ErrIO, Err: err} // the os error names the path
	}
	if opt.External == nil {
		opt.External = onnxpb.DirLoader(filepath.Dir(path))
	}
	if opt.Name == "" {
		opt.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if opt.Name == "model" { // ONNX test folders name every file model.onnx
			opt.Name = filepath.Base(filepath.Dir(path))
		}
	}
	return Import(data, opt)
}

// Import decodes and imports a serialized ONNX ModelProto.
func Import(data []byte, opt Options) (*runtime.Artifact, error) {
	m, err := onnxpb.DecodeModel(data)
	if err != nil {
		return nil, &Error{Model: opt.Name, Kind: ErrInvalidModel, Err: err}
	}
	return ImportModel(m, opt)
}

// ImportModel imports a decoded model.
func ImportModel(m *onnxpb.Model, opt Options) (*runtime.Artifact, error) {
	if m.Graph == nil {
		return nil, &Error{Model: opt.Name, Kind: ErrInvalidModel, Err: errors.New("model has no graph")}
	}
	name := opt.Name
	if name == "" {
		name = m.Graph.Name
	}
	if name == "" {
		name = "onnx-model"
	}
	opset, err := defaultOpset(m)
	if err != nil {
		return nil, &Error{Model: name, Kind: ErrUnsupported, Err: err}
	}
	if err := checkDims(name, m.Graph, opt.Dims); err != nil {
		return nil, err
	}
	opt.probing = true // shape decisions computed from data make a template that probes them per run
	c := newConverter(name, opset, opt)
	return c.convert(m)
}

// Supported opsets of the default domain. Models of opsets 1 to 5 import too
// when every op they use has the definition it has at opset 6 (see
// checkOldOpset): an op is refused by name, never a model by its opset alone.
const (
	MinOpset = 6
	MaxOpset = 28
)

// firstOpset is the oldest opset at which the definition the importer maps
// of an op is in effect, for the ops whose definition at opset 6 goes back
// further (from ONNX's docs/Changelog.md: the op has no version in between).
// Every other op is mapped as defined from opset 6 on, so a model of opset 1
// to 5 that uses it is refused naming the op.
var firstOpset = map[string]int64{
	"And": 1, "ArgMax": 1, "ArgMin": 1, "AveragePool": 1, "Constant": 1, "Conv": 1,
	"ConvTranspose": 1, "DepthToSpace": 1, "Equal": 1, "Flatten": 1, "Gather": 1,
	"GlobalAveragePool": 1, "GlobalMaxPool": 1, "Greater": 1, "Identity": 1, "LRN": 1,
	"Less": 1, "LogSoftmax": 1, "MatMul": 1, "MaxPool": 1, "Not": 1, "Or": 1, "Pow": 1,
	"ReduceMax": 1, "ReduceMean": 1, "ReduceMin": 1, "ReduceProd": 1, "ReduceSum": 1,
	"Shape": 1, "Size": 1, "Slice": 1, "Softmax": 1, "Softplus": 1, "Softsign": 1,
	"SpaceToDepth": 1, "Squeeze": 1, "Transpose": 1, "Unsqueeze": 1, "Xor": 1,
	"Pad": 2, "Split": 2, "Concat": 4, "Reshape": 5,
}

// checkOldOpset refuses, naming the op, a node of a model older than opset 6
// whose op had another definition at the model's opset.
func (c *converter) checkOldOpset(op string) error {
	if c.opset >= MinOpset {
		return nil
	}
	first, ok := firstOpset[op]
	if !ok {
		first = MinOpset
	}
	if c.opset < first {
		return c.errorf(ErrUnsupported, "%s as defined at opset %d: the importer maps %s as defined from opset %d", op, c.opset, op, first)
	}
	return nil
}

func defaultOpset(m *onnxpb.Model) (int64, error) {
	var v int64 = -1
	for _, o := range m.OpsetImports {
		switch o.Domain {
		case "", "ai.onnx":
			v = o.Version
		}
	}
	if v < 0 {
		if len(m.OpsetImports) == 0 && m.IRVersion > 0 && m.IRVersion < 3 {
			v = 1 // IR versions before 3 had no opset_import: opset 1
		} else {
			return 0, errors.New("model imports no opset of the default ONNX domain")
		}
	}
	if v < 1 || v > MaxOpset {
		return 0, fmt.Errorf("default-domain opset %d does not exist yet (ONNX's newest known here is %d; ops are mapped as defined up to it)", v, MaxOpset)
	}
	return v, nil
}

// checkDims refuses Dims entries that match no symbolic dimension of the
// graph's inputs (a misspelt name would otherwise be silently ignored) and
// sizes that are not valid dimensions.
func checkDims(model string, g *onnxpb.Graph, dims map[string]int) error {
	if len(dims) == 0 {
		return nil
	}
	names := symbolicNames(g)
	var unknown []string
	for k, v := range dims {
		if !slices.Contains(names, k) {
			unknown = append(unknown, k)
			continue
		}
		if v < 0 || v > tensor.MaxElements {
			return &Error{Model: model, Kind: ErrInvalidModel, Err: fmt.Errorf("dimension %q bound to %d: a size must be 0 to %d", k, v, tensor.MaxElements)}
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	slices.Sort(names)
	names = slices.Compact(names)
	have := "the model's inputs have no symbolic dimensions"
	if len(names) > 0 {
		have = "the model's symbolic dimensions are " + strings.Join(names, ", ")
	}
	return &Error{Model: model, Kind: ErrInvalidModel, Err: fmt.Errorf("dimension %s bound but not in the model: %s",
		strings.Join(unknown, ", "), have)}
}

// DimName is the name the importer gives dimension axis of graph input
// input when the model declares neither a size nor a dim_param for it, so
// that Options.Dims can bind it: "<input>_dim<axis>".
func DimName(input string, axis int) string { return fmt.Sprintf("%s_dim%d", input, axis) }
