package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Each graph limit is enforced with an error that names the limit and the node.
func TestGraphLimits(t *testing.T) {
	wide := make([]string, MaxNodeInputs+1)
	for i := range wide {
		wide[i] = "x"
	}
	cases := []struct {
		name  string
		node  Node
		limit string
	}{
		{"inputs per node", Node{Name: "sum", Op: "add", Inputs: wide, Outputs: []string{"y"}}, "MaxNodeInputs"},
		{"attribute values", Node{Name: "t", Op: "transpose", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: map[string]any{"perm": make([]int, MaxAttrValues+1)}}, "MaxAttrValues"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &Artifact{Name: "limits", Nodes: []Node{c.node}, Outputs: []ValueInfo{{Name: "y"}}}
			_, err := a.Plan()
			require.ErrorIs(t, err, ErrInvalidArtifact)
			require.Contains(t, err.Error(), c.limit)
			require.Contains(t, err.Error(), c.node.Name)
		})
	}
	a := &Artifact{Name: "limits", Nodes: make([]Node, MaxGraphNodes+1), Outputs: []ValueInfo{{Name: "y"}}}
	_, err := a.Plan()
	require.ErrorIs(t, err, ErrInvalidArtifact)
	require.Contains(t, err.Error(), "MaxGraphNodes")
}
