// Package onnx imports ONNX models into backplane artifacts, so that every
// backend can run them, and exports artifacts as ONNX models (Export), so
// that peer runtimes can run every backplane model.
//
// ONNX ops are mapped onto the op catalog (package ops), decomposing where the
// catalog has no direct equivalent, with the attribute and input differences
// of opsets 6 through 21 of the default domain. Everything that decides a
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
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
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
	// static in the artifact; unbound ones stay symbolic when the graph allows.
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
	c := newConverter(name, opset, opt)
	return c.convert(m)
}

// Supported opsets of the default domain.
const (
	MinOpset = 6
	MaxOpset = 21
)

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
			v = 1 // IR versions before 3 had no opset_import; they predate every opset we support
		} else {
			return 0, errors.New("model imports no opset of the default ONNX domain")
		}
	}
	if v < MinOpset || v > MaxOpset {
		return 0, fmt.Errorf("default-domain opset %d (supported: %d to %d)", v, MinOpset, MaxOpset)
	}
	return v, nil
}
