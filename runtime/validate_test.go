package runtime_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// graph is a compact way to write test artifacts: x [2,3] float32 in, nodes, outputs.
func graph(nodes []runtime.Node, outputs ...string) *runtime.Artifact {
	outs := make([]runtime.ValueInfo, len(outputs))
	for i, o := range outputs {
		outs[i] = runtime.ValueInfo{Name: o}
	}
	return &runtime.Artifact{
		Name:   "g",
		Inputs: []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2, 3)}},
		Initializers: map[string]*tensor.Tensor{
			"w4": tensor.MustFromSlice([]float32{1, 2, 3, 4}, 4),
		},
		Nodes:   nodes,
		Outputs: outs,
	}
}

func node(name, op string, in, out []string, attrs ops.Attrs) runtime.Node {
	return runtime.Node{Name: name, Op: op, Inputs: in, Outputs: out, Attrs: attrs}
}

func TestValidateErrors(t *testing.T) {
	s := func(v ...string) []string { return v }
	cases := []struct {
		name      string
		art       *runtime.Artifact
		node, op  string
		input     string
		alsoIs    error // a second error the chain must match, if any
		msgSubstr string
	}{
		{name: "no name", art: func() *runtime.Artifact {
			a := graph([]runtime.Node{node("n", "relu", s("x"), s("y"), nil)}, "y")
			a.Name = ""
			return a
		}(), msgSubstr: "no name"},
		{name: "no outputs", art: graph([]runtime.Node{node("n", "relu", s("x"), s("y"), nil)}), msgSubstr: "no outputs"},
		{name: "dangling input", art: graph([]runtime.Node{node("n", "relu", s("nope"), s("y"), nil)}, "y"),
			node: "n", op: "relu", input: "nope", msgSubstr: "not a graph input"},
		{name: "unknown op", art: graph([]runtime.Node{node("n", "frobnicate", s("x"), s("y"), nil)}, "y"),
			node: "n", op: "frobnicate", alsoIs: ops.ErrUnknownOp},
		{name: "value defined twice", art: graph([]runtime.Node{
			node("a", "relu", s("x"), s("y"), nil), node("b", "neg", s("x"), s("y"), nil)}, "y"),
			node: "b", op: "neg", input: "y", msgSubstr: "more than once"},
		{name: "node output shadows input", art: graph([]runtime.Node{node("a", "relu", s("x"), s("x"), nil)}, "x"),
			node: "a", op: "relu", input: "x"},
		{name: "duplicate node name", art: graph([]runtime.Node{
			node("a", "relu", s("x"), s("y"), nil), node("a", "neg", s("y"), s("z"), nil)}, "z"),
			node: "a", op: "neg", msgSubstr: "more than once"},
		{name: "cycle", art: graph([]runtime.Node{
			node("a", "add", s("x", "q"), s("p"), nil), node("b", "relu", s("p"), s("q"), nil)}, "q"),
			node: "a", op: "add", msgSubstr: "cycle"},
		{name: "unknown attribute", art: graph([]runtime.Node{node("n", "relu", s("x"), s("y"), ops.Attrs{"bogus": 1})}, "y"),
			node: "n", op: "relu", alsoIs: ops.ErrAttr},
		{name: "shapes do not broadcast", art: graph([]runtime.Node{node("n", "add", s("x", "w4"), s("y"), nil)}, "y"),
			node: "n", op: "add", alsoIs: ops.ErrInput},
		{name: "node lists too many outputs", art: graph([]runtime.Node{node("n", "relu", s("x"), s("y", "z"), nil)}, "y"),
			node: "n", op: "relu", msgSubstr: "produces 1"},
		{name: "output never defined", art: graph([]runtime.Node{node("n", "relu", s("x"), s("y"), nil)}, "nowhere"),
			input: "nowhere"},
		{name: "negative input dim", art: func() *runtime.Artifact {
			a := graph([]runtime.Node{node("n", "relu", s("x"), s("y"), nil)}, "y")
			a.Inputs[0].Dims = runtime.Dims(2, -3)
			return a
		}(), input: "x", alsoIs: tensor.ErrShape},
		{name: "declared output dtype wrong", art: func() *runtime.Artifact {
			a := graph([]runtime.Node{node("n", "relu", s("x"), s("y"), nil)}, "y")
			a.Outputs[0].DType = tensor.Int32
			return a
		}(), input: "y", msgSubstr: "declared int32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.art.Validate()
			require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
			var e *runtime.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, c.node, e.Node, "node named in %v", err)
			require.Equal(t, c.op, e.Op, "op named in %v", err)
			if c.input != "" {
				require.Equal(t, c.input, e.Input, "input named in %v", err)
			}
			if c.alsoIs != nil {
				require.ErrorIs(t, err, c.alsoIs)
			}
			if c.msgSubstr != "" {
				require.ErrorContains(t, err, c.msgSubstr)
			}
		})
	}
}

func TestValidateAcceptsOmittedOptionalInput(t *testing.T) {
	// conv's bias is optional: "" in its place means omitted.
	a := &runtime.Artifact{
		Name:   "conv",
		Inputs: []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(1, 1, 3, 3)}},
		Initializers: map[string]*tensor.Tensor{
			"k": tensor.MustFromSlice([]float32{1, 1, 1, 1}, 1, 1, 2, 2),
		},
		Nodes:   []runtime.Node{node("c", "conv", []string{"x", "k", ""}, []string{"y"}, nil)},
		Outputs: []runtime.ValueInfo{{Name: "y", DType: tensor.Float32, Dims: runtime.Dims(1, 1, 2, 2)}},
	}
	require.NoError(t, a.Validate())
}

func TestPlanOrdersNodesTopologically(t *testing.T) {
	// Nodes listed consumer-first must still run producer-first.
	a := graph([]runtime.Node{
		node("second", "neg", []string{"h"}, []string{"y"}, nil),
		node("first", "relu", []string{"x"}, []string{"h"}, nil),
	}, "y")
	p, err := a.Plan()
	require.NoError(t, err)
	require.Equal(t, []int{1, 0}, p.Order)
	types, err := p.InferTypes(a.InputTypes(nil))
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{2, 3}, types["y"].Shape)
}

func TestSymbolicDimsBindToOneForValidation(t *testing.T) {
	a := graph([]runtime.Node{node("n", "relu", []string{"x"}, []string{"y"}, nil)}, "y")
	a.Inputs[0].Dims = []runtime.Dim{runtime.Symbolic("batch"), runtime.Static(3)}
	require.NoError(t, a.Validate())
	require.Equal(t, []string{"batch"}, a.SymbolicDims())
	require.Equal(t, tensor.Shape{7, 3}, a.InputTypes(map[string]int{"batch": 7})[0].Shape)
	require.False(t, errors.Is(a.Validate(), runtime.ErrInvalidArtifact))
}
