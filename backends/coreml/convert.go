package coreml

import (
	"errors"
	"fmt"
	"sort"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// Name is the name the backend registers under.
const Name = "coreml"

// maxRank is the largest tensor rank NeuralNetwork layers accept.
const maxRank = 5

// Convert translates an artifact into a Core ML model: the bytes of an
// .mlmodel file (a serialized CoreML.Specification.Model of the NeuralNetwork
// kind, specification version 4) with weights stored in precision p.
//
// Every input dimension must be static: bind symbolic ones first with Bind.
// The model's inputs and outputs are float32 MultiArrays named and shaped as
// the artifact's. The output is deterministic: the same artifact and precision
// give the same bytes.
//
// Errors are *runtime.Error values: ErrInvalidArtifact for an artifact that
// does not validate or still has symbolic input dimensions, ErrUnsupported
// (see CheckSupport) for a node, op, dtype or weight Core ML cannot take.
func Convert(a *runtime.Artifact, p Precision) ([]byte, error) {
	if p != Float32 && p != Float16 {
		return nil, &runtime.Error{Kind: runtime.ErrUnsupported, Backend: Name, Mode: runtime.ModeUnsupported,
			Err: fmt.Errorf("weight precision %d is neither Float32 nor Float16", int(p))}
	}
	c, err := newConverter(a, p, false)
	if err != nil {
		return nil, err
	}
	c.startModel()
	if err := c.run(); err != nil {
		return nil, err
	}
	return c.model(), nil
}

// CheckSupport reports whether Convert can translate the artifact: nil, or a
// *runtime.Error of kind runtime.ErrUnsupported naming the first node (in
// execution order), its op and, where one is at fault, the value: an op with
// no Core ML mapping, a value that is not float32, of rank 0 or above 5 or
// with no elements, an attribute combination the layers cannot express, or a
// weight that must be a constant but is computed. Symbolic dimensions are
// allowed (they are bound to 1 for the check); an artifact that does not
// validate gives its validation error. It encodes no weights, so it is cheap
// even for large models, and it does not depend on the precision: only
// Convert with Float16 can find a weight beyond float16's range.
func CheckSupport(a *runtime.Artifact) error {
	c, err := newConverter(a, Float32, true)
	if err != nil {
		return err
	}
	return c.run()
}

// SupportedOps returns the names of the catalog ops Convert can map, sorted.
// Whether a particular node converts also depends on its dtypes, ranks and
// attributes; CheckSupport gives the answer for a whole artifact.
func SupportedOps() []string {
	names := make([]string, 0, len(mappers))
	for n := range mappers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// mapper emits the layers for one node. It checks everything it needs before
// calling converter.layer, so that a dry run (CheckSupport) reaches the same
// verdict as a real one.
type mapper func(c *converter, n *runtime.Node) error

// mappers is filled by the init functions of the map_*.go files.
var mappers = map[string]mapper{}

// converter holds the state of one conversion.
type converter struct {
	a     *runtime.Artifact
	plan  *runtime.Plan
	types map[string]ops.Type
	prec  Precision
	dry   bool // CheckSupport: decide, but write no layers

	w         wire             // the NeuralNetwork message's body (its layers)
	blobs     map[string]bool  // values already defined for the layers: inputs, outputs, loaded constants
	used      map[string]bool  // every value, node and layer name taken, for fresh names
	consumers map[string][]int // value -> indices of the nodes that read it
	fused     map[int]bool     // nodes folded into an earlier node's layer
	err       error            // first problem found while writing weights (float16 overflow)
	header    []byte           // the Model's fields before the NeuralNetwork (see startModel)
	reserved  int              // bytes kept free at the front of w.b for header and NeuralNetwork prefix
}

func newConverter(a *runtime.Artifact, p Precision, dry bool) (*converter, error) {
	if a == nil {
		return nil, &runtime.Error{Kind: runtime.ErrInvalidArtifact, Backend: Name, Err: errors.New("nil artifact")}
	}
	plan, err := a.Plan()
	if err != nil {
		return nil, err
	}
	if !dry {
		for _, in := range a.Inputs {
			for i, d := range in.Dims {
				if d.IsSymbolic() {
					return nil, &runtime.Error{Kind: runtime.ErrInvalidArtifact, Model: a.Name, Backend: Name, Input: in.Name,
						Err: fmt.Errorf("dim %d is symbolic (%q); a Core ML NeuralNetwork model has static shapes: bind it with coreml.Bind first",
							i, d.Name)}
				}
			}
		}
	}
	types, err := plan.InferTypes(a.InputTypes(nil))
	if err != nil {
		return nil, err
	}
	c := &converter{a: a, plan: plan, types: types, prec: p, dry: dry,
		blobs: map[string]bool{}, used: map[string]bool{}, consumers: map[string][]int{}, fused: map[int]bool{}}
	for name := range types {
		c.used[name] = true
	}
	for i, n := range a.Nodes {
		c.used[n.Name] = true
		for _, in := range n.Inputs {
			c.consumers[in] = append(c.consumers[in], i)
		}
	}
	return c, nil
}

// run maps every node in execution order, then makes sure every graph output
// is defined by a layer.
func (c *converter) run() error {
	if len(c.a.Inputs) == 0 {
		// Core ML's validator refuses a neural network without inputs
		// (NeuralNetworkValidator.cpp); name the node that would come first.
		var first *runtime.Node
		if len(c.plan.Order) > 0 {
			first = &c.a.Nodes[c.plan.Order[0]]
		}
		return c.unsupported(first, "", "the model has no inputs; a Core ML neural network needs at least one")
	}
	for _, in := range c.a.Inputs {
		if err := c.checkValue(nil, in.Name); err != nil {
			return err
		}
		c.blobs[in.Name] = true
	}
	for _, idx := range c.plan.Order {
		if c.fused[idx] {
			continue
		}
		n := &c.a.Nodes[idx]
		m, ok := mappers[n.Op]
		if !ok {
			return c.unsupported(n, "", "op %s has no Core ML NeuralNetwork mapping", n.Op)
		}
		for _, out := range n.Outputs {
			if err := c.checkValue(n, out); err != nil {
				return err
			}
		}
		if err := m(c, n); err != nil {
			return err
		}
		if c.err != nil {
			return c.err
		}
	}
	for _, out := range c.a.Outputs {
		if isGraphInput(c.a, out.Name) {
			return c.unsupported(nil, out.Name,
				"graph output %q is also a graph input; Core ML needs distinct input and output features", out.Name)
		}
		if err := c.checkValue(nil, out.Name); err != nil {
			return err
		}
		if _, err := c.blob(nil, out.Name); err != nil { // an output may be a weight: load it
			return err
		}
	}
	return c.err
}

func isGraphInput(a *runtime.Artifact, name string) bool {
	for _, in := range a.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// unsupported returns an ErrUnsupported error about node n (nil for the
// graph's inputs and outputs) and value input.
func (c *converter) unsupported(n *runtime.Node, input, format string, args ...any) error {
	e := &runtime.Error{Kind: runtime.ErrUnsupported, Model: c.a.Name, Backend: Name, Input: input,
		Mode: runtime.ModeUnsupported, Err: fmt.Errorf(format, args...)}
	if n != nil {
		e.Node, e.Op = n.Name, n.Op
	}
	return e
}

// checkValue checks that value name, a graph input or a node output, is
// something a NeuralNetwork layer can hold: float32, rank 1 to 5, not empty.
func (c *converter) checkValue(n *runtime.Node, name string) error {
	t := c.types[name]
	switch {
	case t.DType != tensor.Float32:
		return c.unsupported(n, name, "value %q is %v; every tensor of a Core ML NeuralNetwork model is float32", name, t.DType)
	case len(t.Shape) == 0:
		return c.unsupported(n, name, "value %q is a scalar (rank 0); NeuralNetwork layers need rank 1 to %d", name, maxRank)
	case len(t.Shape) > maxRank:
		return c.unsupported(n, name, "value %q has rank %d (shape %v); NeuralNetwork layers take rank 1 to %d",
			name, len(t.Shape), t.Shape, maxRank)
	case t.Shape.NumElements() == 0:
		return c.unsupported(n, name, "value %q has no elements (shape %v); Core ML has no empty tensors", name, t.Shape)
	}
	return nil
}

// shape returns the inferred shape of a value.
func (c *converter) shape(name string) tensor.Shape { return c.types[name].Shape }

// fresh returns a name based on base that no value, node or layer uses yet,
// and reserves it.
func (c *converter) fresh(base string) string {
	name := base
	for i := 1; c.used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	c.used[name] = true
	return name
}

// weight returns input idx of node n as constant float32 values, or an error
// naming it when it is computed by the graph or is not float32: Core ML takes
// convolution kernels, matmul weights and normalization parameters as layer
// parameters.
func (c *converter) weight(n *runtime.Node, idx int) (*tensor.Tensor, []float32, error) {
	name := n.Inputs[idx]
	t, ok := c.a.Initializers[name]
	if !ok {
		return nil, nil, c.unsupported(n, name,
			"input %d (%q) must be a constant (an initializer): Core ML takes it as a layer parameter", idx, name)
	}
	vs, err := tensor.View[float32](t)
	if err != nil {
		return nil, nil, c.unsupported(n, name, "constant %q is %v; Core ML weights are float32 or float16", name, t.DType())
	}
	return t, vs, nil
}

// isConst reports whether value name is an initializer.
func (c *converter) isConst(name string) bool {
	_, ok := c.a.Initializers[name]
	return ok
}

// blob returns the name under which value name is available to layers. A
// graph input or node output is already there; an initializer is loaded by a
// LoadConstantND layer the first time it is needed (a rank-0 one as shape [1],
// which broadcasts the same way against any other operand of rank >= 1).
func (c *converter) blob(n *runtime.Node, name string) (string, error) {
	if c.blobs[name] {
		return name, nil
	}
	t, ok := c.a.Initializers[name]
	if !ok {
		return name, nil // a node output: its producer ran first, as nodes are visited in execution order
	}
	vs, err := tensor.View[float32](t)
	if err != nil {
		return "", c.unsupported(n, name, "constant %q is %v; every tensor of a Core ML NeuralNetwork model is float32",
			name, t.DType())
	}
	shape := []int(t.Shape())
	switch {
	case len(shape) == 0:
		shape = []int{1}
	case len(shape) > maxRank:
		return "", c.unsupported(n, name, "constant %q has rank %d; NeuralNetwork layers take rank 1 to %d",
			name, len(shape), maxRank)
	case t.NumElements() == 0:
		return "", c.unsupported(n, name, "constant %q has no elements; Core ML has no empty tensors", name)
	}
	c.loadConstant(n, c.fresh("load_"+name), name, shape, vs)
	return name, nil
}

// inputBlobs returns the blob names of every non-empty input of n, loading constants.
func (c *converter) inputBlobs(n *runtime.Node) ([]string, error) {
	var out []string
	for _, in := range n.Inputs {
		if in == "" {
			continue
		}
		b, err := c.blob(n, in)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// loadConstant emits a LoadConstantND layer defining blob out.
func (c *converter) loadConstant(n *runtime.Node, layer, out string, shape []int, vs []float32) {
	c.blobs[out] = true
	c.layer(layer, nil, []string{out}, lLoadConstantND, func(w *wire) {
		w.ints(fConstNDShape, shape)
		c.weights(w, fConstNDData, vs, n, out)
	})
}

// layer appends one NeuralNetworkLayer whose oneof member kind is written by
// body. In a dry run nothing is written.
func (c *converter) layer(name string, inputs, outputs []string, kind protowire.Number, body func(w *wire)) {
	c.used[name] = true
	for _, o := range outputs {
		c.blobs[o] = true
	}
	if c.dry {
		return
	}
	w := &c.w
	w.open(fNNLayers)
	w.str(fLayerName, name)
	for _, in := range inputs {
		w.str(fLayerInput, in)
	}
	for _, out := range outputs {
		w.str(fLayerOutput, out)
	}
	w.open(kind)
	if body != nil {
		body(w)
	}
	w.close()
	w.close()
}

// weights writes a WeightParams field in the converter's precision and
// records a float16 overflow as an error about node n and value name.
func (c *converter) weights(w *wire, num protowire.Number, vs []float32, n *runtime.Node, name string) {
	c.weightsT(w, num, vs, 0, 0, n, name)
}

// weightsT is weights for a [rows, cols] matrix stored transposed (rows > 0).
func (c *converter) weightsT(w *wire, num protowire.Number, vs []float32, rows, cols int, n *runtime.Node, name string) {
	if i := w.weightsT(num, vs, rows, cols, c.prec); i >= 0 && c.err == nil {
		c.err = c.unsupported(n, name, "weight %q holds %v at index %d, beyond float16's range (±65504): convert with Float32",
			name, vs[i], i)
	}
}
