package onnxpb

import (
	"fmt"
	"strings"

	"github.com/backplane-ml/backplane/runtime"
)

// The sentinel errors. Every error this package returns wraps exactly one of
// them (errors from an ExternalLoader's file system are passed through as
// well), so callers can tell a broken file from a valid one backplane cannot
// run and from a file too large to trust. Each also matches the runtime's kind
// of the same meaning with errors.Is (noted on each).
var (
	// ErrMalformed: the bytes are not a valid encoding of the message, or a
	// tensor's data contradicts its own dims and data type.
	// It matches runtime.ErrCorrupt.
	ErrMalformed = runtime.NewKind("malformed ONNX protobuf", runtime.ErrCorrupt)
	// ErrUnsupported: valid ONNX that backplane does not handle (a string or
	// int16 tensor, a segmented tensor, ...).
	// It matches runtime.ErrUnsupported.
	ErrUnsupported = runtime.NewKind("unsupported by backplane", runtime.ErrUnsupported)
	// ErrLimit: the input exceeds one of the documented decoder limits.
	// It matches runtime.ErrCorrupt: no real model comes near the limits.
	ErrLimit = runtime.NewKind("ONNX decoder limit exceeded", runtime.ErrCorrupt)
)

// The decoder limits. They keep a hostile file from exhausting the stack (deep
// nesting) or memory (a huge number of tiny messages, each costing far more
// as a Go struct than on the wire). Real models stay far below all of them.
const (
	// MaxGraphDepth bounds graph nesting: the model's graph is at depth 1, a
	// graph held by an attribute of one of its nodes at depth 2, and so on.
	MaxGraphDepth = 32
	// MaxRank bounds the number of dims of a TensorProto and of a
	// TensorShapeProto.
	MaxRank = 64
	// MaxNodes bounds the number of nodes of a model, all graphs counted.
	MaxNodes = 1 << 20
	// MaxAttributes bounds the number of attributes of a model, all nodes counted.
	MaxAttributes = 1 << 22
	// MaxTensors bounds the number of TensorProtos of a model: initializers
	// and tensors held by attributes.
	MaxTensors = 1 << 20
	// MaxGraphs bounds the number of graphs of a model, subgraphs included.
	MaxGraphs = 1 << 16
	// MaxValueInfos bounds the number of graph inputs, outputs and value_info
	// entries of a model, all graphs counted.
	MaxValueInfos = 1 << 22
	// MaxAttrValues bounds the values of one list attribute (ints, floats,
	// strings): a Transpose perm or a pads list has a handful; a hostile
	// file could otherwise claim a hundred million.
	MaxAttrValues = 1 << 20
	// MaxNodeInputs bounds the inputs (and, separately, the outputs) of one
	// node. Variadic ops (Sum, Concat, Max) in real models take a few dozen;
	// each input costs a graph edge in every backend.
	MaxNodeInputs = 1 << 14
)

// DecodeError is an error together with where it happened, as a path from
// the message decoded (or encoded, or converted) down to the offending
// field, e.g.
//
//	graph.node[12] (name "conv1").attribute[3] "pads".ints
//
// Names are included when the decoder had already read them when the error
// occurred (producers write names first, so in practice it always has).
type DecodeError struct {
	Path string // empty when the error concerns the whole input
	Err  error  // wraps ErrMalformed, ErrUnsupported or ErrLimit
}

// Error formats the path and the underlying error.
func (e *DecodeError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns the underlying error, so errors.Is finds the sentinels.
func (e *DecodeError) Unwrap() error { return e.Err }

// within prefixes seg to the path of err (making err a *DecodeError if it is
// not one yet). It is how every message decoder says where its children failed.
func within(seg string, err error) error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*DecodeError); ok {
		if seg == "" {
			return de
		}
		p := seg
		if de.Path != "" {
			p += "." + de.Path
		}
		return &DecodeError{Path: p, Err: de.Err}
	}
	return &DecodeError{Path: seg, Err: err}
}

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// unsupported returns an error wrapping ErrUnsupported.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// limit returns an error wrapping ErrLimit.
func limit(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrLimit, fmt.Sprintf(format, args...))
}

// indexed formats a path segment for element i of a repeated field, with the
// element's name when it has one: `node[3] (name "conv1")`, `attribute[0] "pads"`.
func indexed(field string, i int, name string, paren bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s[%d]", field, i)
	if name != "" {
		if paren {
			fmt.Fprintf(&b, " (name %q)", name)
		} else {
			fmt.Fprintf(&b, " %q", name)
		}
	}
	return b.String()
}

var dataTypeNames = map[DataType]string{
	Undefined: "UNDEFINED", Float: "FLOAT", Uint8: "UINT8", Int8: "INT8", Uint16: "UINT16", Int16: "INT16",
	Int32: "INT32", Int64: "INT64", String: "STRING", Bool: "BOOL", Float16: "FLOAT16", Double: "DOUBLE",
	Uint32: "UINT32", Uint64: "UINT64", Complex64: "COMPLEX64", Complex128: "COMPLEX128", BFloat16: "BFLOAT16",
	// Later additions to the enum, named so error messages can say what a file holds.
	17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ",
	21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
}

// String returns the ONNX name of the data type, e.g. "FLOAT", or
// "DataType(99)" for a value the enum does not define.
func (d DataType) String() string {
	if s, ok := dataTypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

var attrTypeNames = map[AttrType]string{
	AttrUndefined: "UNDEFINED", AttrFloat: "FLOAT", AttrInt: "INT", AttrString: "STRING", AttrTensor: "TENSOR",
	AttrGraph: "GRAPH", AttrFloats: "FLOATS", AttrInts: "INTS", AttrStrings: "STRINGS", AttrTensors: "TENSORS",
	AttrGraphs: "GRAPHS", AttrSparseTensor: "SPARSE_TENSOR", AttrSparseTensors: "SPARSE_TENSORS",
	AttrTypeProto: "TYPE_PROTO", AttrTypeProtos: "TYPE_PROTOS",
}

// String returns the ONNX name of the attribute type, e.g. "INTS", or
// "AttrType(99)" for a value the enum does not define.
func (a AttrType) String() string {
	if s, ok := attrTypeNames[a]; ok {
		return s
	}
	return fmt.Sprintf("AttrType(%d)", int32(a))
}
