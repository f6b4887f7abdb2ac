package runtime

import "fmt"

// Graph limits every artifact must respect, whatever built it (the ONNX
// importer, the artifact file format and the Go builder all stay within
// them). They bound what one hostile graph can make a backend build: every
// node, input and attribute value becomes work and memory in each backend.
const (
	// MaxGraphNodes bounds the nodes of an artifact.
	MaxGraphNodes = 1 << 20
	// MaxNodeInputs bounds the inputs, and separately the outputs, of one node.
	MaxNodeInputs = 1 << 14
	// MaxAttrValues bounds the values of one list attribute.
	MaxAttrValues = 1 << 20
)

// checkGraphLimits reports the first limit the artifact exceeds.
func checkGraphLimits(a *Artifact) error {
	fail := func(n *Node, format string, args ...any) error {
		e := &Error{Kind: ErrInvalidArtifact, Model: a.Name, Err: fmt.Errorf(format, args...)}
		if n != nil {
			e.Node, e.Op = n.Name, n.Op
		}
		return e
	}
	if len(a.Nodes) > MaxGraphNodes {
		return fail(nil, "%d nodes, more than the limit of %d (MaxGraphNodes)", len(a.Nodes), MaxGraphNodes)
	}
	for i := range a.Nodes {
		n := &a.Nodes[i]
		if len(n.Inputs) > MaxNodeInputs || len(n.Outputs) > MaxNodeInputs {
			return fail(n, "%d inputs and %d outputs, more than the limit of %d each (MaxNodeInputs)", len(n.Inputs), len(n.Outputs), MaxNodeInputs)
		}
		for name, v := range n.Attrs {
			l := 0
			switch v := v.(type) {
			case []int:
				l = len(v)
			case []float64:
				l = len(v)
			case []int64:
				l = len(v)
			case []float32:
				l = len(v)
			}
			if l > MaxAttrValues {
				return fail(n, "attribute %q has %d values, more than the limit of %d (MaxAttrValues)", name, l, MaxAttrValues)
			}
		}
	}
	return nil
}
