package runtime

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Value is a named value in a graph under construction: a graph input, a
// weight, or a node output.
type Value struct {
	name string
}

// Name returns the value's name in the graph.
func (v Value) Name() string { return v.name }

// None stands for an omitted optional input of an op.
var None = Value{}

// Builder assembles an Artifact with a fluent API. Errors are collected and
// reported by Build, so a model reads as straight-line code:
//
//	b := runtime.NewBuilder("mlp")
//	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(4))
//	h := b.Op("relu", nil, b.Op("matmul", nil, x, b.Weight("w", w)))
//	b.Output("y", h)
//	art, err := b.Build()
//
// A Builder is not safe for concurrent use.
type Builder struct {
	art   *Artifact
	names map[string]bool
	alias map[string]string // value renamed by Output: old name -> output name
	next  int
	errs  []error
}

// NewBuilder starts an artifact called name.
func NewBuilder(name string) *Builder {
	return &Builder{
		art:   &Artifact{Name: name, Initializers: map[string]*tensor.Tensor{}, Metadata: map[string]string{}},
		names: map[string]bool{},
		alias: map[string]string{},
	}
}

func (b *Builder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

func (b *Builder) claim(name, what string) bool {
	if name == "" {
		b.fail("%s has an empty name", what)
		return false
	}
	if b.names[name] {
		b.fail("%s %q: name already used", what, name)
		return false
	}
	b.names[name] = true
	return true
}

// unique returns prefix_N for the smallest N not yet used.
func (b *Builder) unique(prefix string) string {
	for {
		b.next++
		n := fmt.Sprintf("%s_%d", prefix, b.next)
		if !b.names[n] {
			return n
		}
	}
}

// Input declares a graph input. Its position in the artifact's inputs is the
// order of Input calls, which is the order Run takes tensors in.
func (b *Builder) Input(name string, d tensor.DType, dims ...Dim) Value {
	if b.claim(name, "input") {
		b.art.Inputs = append(b.art.Inputs, ValueInfo{Name: name, DType: d, Dims: append([]Dim(nil), dims...)})
	}
	return Value{name}
}

// Weight adds a constant tensor (an initializer). The builder keeps the tensor,
// not a copy.
func (b *Builder) Weight(name string, t *tensor.Tensor) Value {
	if t == nil {
		b.fail("weight %q is nil", name)
		return Value{name}
	}
	if b.claim(name, "weight") {
		b.art.Initializers[name] = t
	}
	return Value{name}
}

// Constant adds an anonymous weight with a generated name.
func (b *Builder) Constant(t *tensor.Tensor) Value { return b.Weight(b.unique("const"), t) }

// Op adds a node applying op to inputs with the given attributes and returns
// its single output. Pass None for an omitted optional input.
func (b *Builder) Op(op string, attrs ops.Attrs, inputs ...Value) Value {
	outs := b.OpN(op, 1, attrs, inputs...)
	return outs[0]
}

// OpN adds a node with n outputs (e.g. split) and returns them.
func (b *Builder) OpN(op string, n int, attrs ops.Attrs, inputs ...Value) []Value {
	return b.NamedOp(b.unique(op), op, n, attrs, inputs...)
}

// NamedOp is OpN with an explicit node name, which error messages and
// telemetry use; its outputs are named node:0, node:1, ...
func (b *Builder) NamedOp(node, op string, n int, attrs ops.Attrs, inputs ...Value) []Value {
	outs := make([]Value, max(n, 1))
	if n < 1 {
		b.fail("node %q (op %s): %d outputs requested", node, op, n)
		return outs
	}
	canon, err := ops.Canonical(attrs)
	if err != nil {
		b.fail("node %q (op %s): %w", node, op, err)
	}
	if !b.claim(node, "node") {
		return outs
	}
	in := make([]string, len(inputs))
	for i, v := range inputs {
		in[i] = b.resolve(v.name)
	}
	outNames := make([]string, n)
	for i := range outNames {
		outNames[i] = fmt.Sprintf("%s:%d", node, i)
		b.claim(outNames[i], "value")
		outs[i] = Value{outNames[i]}
	}
	b.art.Nodes = append(b.art.Nodes, Node{Name: node, Op: op, Inputs: in, Outputs: outNames, Attrs: canon})
	return outs
}

// Output marks v as a graph output called name. The value is renamed to
// name; an identity node is inserted only when v is a graph input or weight,
// or is already an output under another name.
func (b *Builder) Output(name string, v Value) {
	v.name = b.resolve(v.name)
	if !b.names[v.name] {
		b.fail("output %q: value %q is not defined in this builder", name, v.name)
		return
	}
	if name != v.name {
		if !b.isNodeOutput(v.name) || b.isGraphOutput(v.name) {
			v = b.NamedOp(b.unique("output"), "identity", 1, nil, v)[0]
		}
		if !b.claim(name, "output") {
			return
		}
		b.renameValue(v.name, name)
	}
	b.art.Outputs = append(b.art.Outputs, ValueInfo{Name: name})
}

func (b *Builder) isNodeOutput(name string) bool {
	for _, n := range b.art.Nodes {
		for _, o := range n.Outputs {
			if o == name {
				return true
			}
		}
	}
	return false
}

func (b *Builder) isGraphOutput(name string) bool {
	for _, o := range b.art.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// renameValue renames a node output everywhere it is defined or read.
func (b *Builder) renameValue(old, name string) {
	for i := range b.art.Nodes {
		n := &b.art.Nodes[i]
		for j := range n.Outputs {
			if n.Outputs[j] == old {
				n.Outputs[j] = name
			}
		}
		for j := range n.Inputs {
			if n.Inputs[j] == old {
				n.Inputs[j] = name
			}
		}
	}
	b.alias[old] = name // old stays claimed, so no later value can take it
}

// resolve follows renames so that a Value obtained before Output still works.
func (b *Builder) resolve(name string) string {
	for {
		n, ok := b.alias[name]
		if !ok {
			return name
		}
		name = n
	}
}

// SetMetadata records a key/value pair in the artifact (author, source, licence, ...).
func (b *Builder) SetMetadata(key, value string) { b.art.Metadata[key] = value }

// Build validates the artifact and returns it, or every error collected while
// building joined together (and then the validation error, which names the
// node and op at fault). The builder must not be used afterwards.
func (b *Builder) Build() (*Artifact, error) {
	if len(b.errs) > 0 {
		return nil, &Error{Kind: ErrInvalidArtifact, Model: b.art.Name, Err: errors.Join(b.errs...)}
	}
	// Hand out a copy, so later builder calls cannot change an artifact that
	// may already be loaded.
	art := *b.art
	art.Inputs = slices.Clone(art.Inputs)
	art.Outputs = slices.Clone(art.Outputs)
	art.Nodes = slices.Clone(art.Nodes)
	art.Initializers = maps.Clone(art.Initializers)
	art.Metadata = maps.Clone(art.Metadata)
	if err := art.Validate(); err != nil {
		return nil, err
	}
	return &art, nil
}
