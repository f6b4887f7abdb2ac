package runtime

import (
	"fmt"
	"sort"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Dim is one dimension of a declared input or output: a static size, or a
// symbolic name (such as "batch") whose size is chosen at Run time.
type Dim struct {
	Size int    // the size when Name is empty
	Name string // symbolic name; when set, Size is ignored
}

// Static returns a dimension of fixed size n.
func Static(n int) Dim { return Dim{Size: n} }

// Symbolic returns a dimension named name whose size is bound by the inputs
// given to Run. Inputs that share a name must agree on its size.
func Symbolic(name string) Dim { return Dim{Name: name} }

// Dims turns static sizes into Dims.
func Dims(sizes ...int) []Dim {
	d := make([]Dim, len(sizes))
	for i, s := range sizes {
		d[i] = Static(s)
	}
	return d
}

// IsSymbolic reports whether d is named rather than fixed.
func (d Dim) IsSymbolic() bool { return d.Name != "" }

// String returns the size, or the name of a symbolic dimension.
func (d Dim) String() string {
	if d.IsSymbolic() {
		return d.Name
	}
	return fmt.Sprint(d.Size)
}

// ValueInfo names a graph input or output and declares its type. For outputs
// the type is optional (DType Invalid means "whatever inference says").
type ValueInfo struct {
	Name  string
	DType tensor.DType
	Dims  []Dim
}

// Node is one op application in the graph.
type Node struct {
	Name    string    // unique within the artifact; used in every error about the node
	Op      string    // an op of the ops catalog
	Inputs  []string  // value names; "" marks an omitted optional input
	Outputs []string  // value names this node defines
	Attrs   ops.Attrs // attribute values, canonical types (see ops.Canonical)
}

// Artifact is a model: a graph of ops over named values, its weights and
// metadata. It is what backends prepare and what Run executes. Build one with
// NewBuilder, an importer (models/onnx) or by loading a saved file.
//
// An Artifact must not be modified after it is handed to a Runtime.
type Artifact struct {
	Name         string
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	Nodes        []Node
	Initializers map[string]*tensor.Tensor // constant values (weights) by name
	Metadata     map[string]string
	// Specializer, when set, makes the artifact a template: a model whose
	// shapes are decided per input signature. A template has no nodes; each
	// run's signature is specialized into a static artifact (see Specializer).
	Specializer Specializer
}

// InputTypes binds the artifact's declared inputs to concrete types, setting
// every symbolic dimension to the given size (1 if absent from bind).
func (a *Artifact) InputTypes(bind map[string]int) []ops.Type {
	types := make([]ops.Type, len(a.Inputs))
	for i, in := range a.Inputs {
		s := make(tensor.Shape, len(in.Dims))
		for j, d := range in.Dims {
			s[j] = d.Size
			if d.IsSymbolic() {
				s[j] = 1
				if v, ok := bind[d.Name]; ok {
					s[j] = v
				}
			}
		}
		types[i] = ops.Type{DType: in.DType, Shape: s}
	}
	return types
}

// SymbolicDims returns the names of the symbolic dimensions of the inputs, sorted.
func (a *Artifact) SymbolicDims() []string {
	seen := map[string]bool{}
	var names []string
	for _, in := range a.Inputs {
		for _, d := range in.Dims {
			if d.IsSymbolic() && !seen[d.Name] {
				seen[d.Name] = true
				names = append(names, d.Name)
			}
		}
	}
	sort.Strings(names)
	return names
}
