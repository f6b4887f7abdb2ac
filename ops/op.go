// Package ops is backplane's catalog of primitive operations: for each op its
// inputs, attribute schema, and shape and dtype inference.
//
// Every backend implements these ops with the same meaning, and importers
// (ONNX, the Go builder) lower onto them. Semantics follow ONNX where ONNX
// defines the op, with one deliberate difference: everything that decides an
// output shape (reshape targets, slice bounds, pads, repeats) is an attribute,
// never a tensor input, so shapes are known before any data flows.
package ops

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/backplane-ml/backplane/tensor"
)

// Sentinel errors wrapped by *Error; test with errors.Is.
var (
	// ErrUnknownOp means no op of that name is in the catalog.
	ErrUnknownOp = errors.New("unknown op")
	// ErrAttr means an attribute is missing, unknown, of the wrong kind or out of range.
	ErrAttr = errors.New("invalid attribute")
	// ErrInput means an input has the wrong count, dtype or shape for the op.
	ErrInput = errors.New("invalid input")
)

// Error reports why an op rejected its inputs or attributes.
type Error struct {
	Op    string // op name
	Input int    // index of the input at fault, or -1
	Attr  string // attribute at fault, or ""
	Kind  error  // ErrUnknownOp, ErrAttr or ErrInput
	Msg   string // what is wrong, in words
}

// Error formats the op, the input or attribute at fault, and the problem.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("op ")
	b.WriteString(e.Op)
	if e.Input >= 0 {
		fmt.Fprintf(&b, " input %d", e.Input)
	}
	if e.Attr != "" {
		fmt.Fprintf(&b, " attribute %q", e.Attr)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the error's kind so errors.Is(err, ErrAttr) works.
func (e *Error) Unwrap() error { return e.Kind }

// InputErrorf returns an ErrInput error about input i; Infer fills in the op name.
func InputErrorf(i int, format string, args ...any) error {
	return &Error{Input: i, Kind: ErrInput, Msg: fmt.Sprintf(format, args...)}
}

// AttrErrorf returns an ErrAttr error about attribute name; Infer fills in the op name.
func AttrErrorf(name string, format string, args ...any) error {
	return &Error{Input: -1, Attr: name, Kind: ErrAttr, Msg: fmt.Sprintf(format, args...)}
}

// Type is the static type of a value: its dtype and shape.
type Type struct {
	DType tensor.DType
	Shape tensor.Shape
}

// TypeOf returns the type of t.
func TypeOf(t *tensor.Tensor) Type { return Type{DType: t.DType(), Shape: t.Shape()} }

// Absent reports whether t stands for an omitted optional input.
func (t Type) Absent() bool { return t.DType == tensor.Invalid }

// Equal reports whether t and o have the same dtype and shape.
func (t Type) Equal(o Type) bool { return t.DType == o.DType && t.Shape.Equal(o.Shape) }

// String formats t like "float32[2 3]".
func (t Type) String() string { return t.DType.String() + t.Shape.String() }

// InputSpec describes one input of an op.
type InputSpec struct {
	Name     string
	Optional bool // may be omitted (an empty input name in a graph node)
	Variadic bool // last input only: repeats, at least once
}

// Op is one entry of the catalog.
type Op struct {
	Name   string
	Doc    string
	Inputs []InputSpec
	Attrs  []AttrSpec
	// Infer returns the output types. It is called only after the input count
	// and attributes have been checked against Inputs and Attrs; absent optional
	// inputs arrive as a zero Type. It reports problems with InputErrorf/AttrErrorf.
	Infer func(in []Type, a Attrs) ([]Type, error)
}

var catalog = map[string]*Op{}

// Register adds op to the catalog. It panics on a duplicate name, since that is
// a programming error found at init.
func Register(op *Op) {
	if _, dup := catalog[op.Name]; dup {
		panic("ops: duplicate op " + op.Name)
	}
	catalog[op.Name] = op
}

// Lookup returns the op with the given name.
func Lookup(name string) (*Op, bool) {
	op, ok := catalog[name]
	return op, ok
}

// Names returns the names of every op in the catalog, sorted.
func Names() []string {
	names := make([]string, 0, len(catalog))
	for n := range catalog {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Infer checks inputs and attributes of op name and returns its output types.
// Errors are *Error values naming the op, and the input or attribute at fault.
func Infer(name string, in []Type, a Attrs) ([]Type, error) {
	op, ok := catalog[name]
	if !ok {
		return nil, &Error{Op: name, Input: -1, Kind: ErrUnknownOp, Msg: "not in the op catalog"}
	}
	out, err := op.infer(in, a)
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		e.Op = name
	}
	return out, err
}

func (op *Op) infer(in []Type, a Attrs) ([]Type, error) {
	if err := op.checkArity(in); err != nil {
		return nil, err
	}
	if err := op.CheckAttrs(a); err != nil {
		return nil, err
	}
	for i, t := range in {
		if t.Absent() {
			continue
		}
		if !t.DType.Valid() {
			return nil, InputErrorf(i, "invalid dtype %v", t.DType)
		}
		if err := t.Shape.Validate(); err != nil {
			return nil, InputErrorf(i, "%v", err)
		}
	}
	out, err := op.Infer(in, a)
	if err != nil {
		return nil, err
	}
	return out, checkOutputs(out)
}

func (op *Op) checkArity(in []Type) error {
	minIn, maxIn := 0, len(op.Inputs)
	for i, s := range op.Inputs {
		if !s.Optional {
			minIn = i + 1
		}
		if s.Variadic {
			maxIn = -1
		}
	}
	if len(in) < minIn || (maxIn >= 0 && len(in) > maxIn) {
		want := fmt.Sprintf("%d to %d", minIn, maxIn)
		switch {
		case maxIn < 0:
			want = fmt.Sprintf("at least %d", minIn)
		case minIn == maxIn:
			want = fmt.Sprint(minIn)
		}
		return &Error{Input: -1, Kind: ErrInput, Msg: fmt.Sprintf("got %d inputs, want %s", len(in), want)}
	}
	for i, t := range in {
		spec := op.Inputs[min(i, len(op.Inputs)-1)]
		if t.Absent() && !spec.Optional {
			return InputErrorf(i, "required input %q is missing", spec.Name)
		}
	}
	return nil
}

// InputName returns the schema name of input i ("" if out of range).
func (op *Op) InputName(i int) string {
	if len(op.Inputs) == 0 || i < 0 {
		return ""
	}
	if i >= len(op.Inputs) {
		if !op.Inputs[len(op.Inputs)-1].Variadic {
			return ""
		}
		i = len(op.Inputs) - 1
	}
	return op.Inputs[i].Name
}
