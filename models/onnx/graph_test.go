package onnx

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// symIn declares a float32 graph input whose dims are named (dim_param) or,
// for "", unknown.
func symIn(name string, dims ...string) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, d := range dims {
		s.Dims = append(s.Dims, onnxpb.Dim{Param: d})
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: onnxpb.Float, Shape: s}}}
}

func TestImportSortsNodes(t *testing.T) {
	// A float16 converter's layout: the cast the first node reads comes last.
	m := model(13, []onnxpb.Node{
		{Name: "neg", OpType: "Neg", Inputs: []string{"h"}, Outputs: []string{"y"}},
		{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
		{Name: "cast", OpType: "Cast", Inputs: []string{"r"}, Outputs: []string{"h"}, Attributes: []onnxpb.Attribute{aInt("to", int64(onnxpb.Double))}},
	}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 3)}, []onnxpb.ValueInfo{tout("y")})
	out := runModel(t, m, tensor.MustFromSlice([]float32{-1, 0.5, 2}, 3))
	requireClose(t, out[0], tensor.MustFromSlice([]float64{0, -0.5, -2}, 3)) // -relu(x), by hand
}

func TestImportGraphHygieneErrors(t *testing.T) {
	x := tin("x", onnxpb.Float, 2)
	relu := func(name, in, out string) onnxpb.Node {
		return onnxpb.Node{Name: name, OpType: "Relu", Inputs: []string{in}, Outputs: []string{out}}
	}
	cases := []struct {
		name        string
		m           *onnxpb.Model
		node, input string
		msg         string
	}{
		// d reads the cycle b -> c -> b but is not on it: the error names b or c.
		{"cycle behind a consumer", model(13, []onnxpb.Node{
			relu("d", "q", "y"), relu("b", "p", "q"),
			{Name: "c", OpType: "Add", Inputs: []string{"x", "q"}, Outputs: []string{"p"}},
		}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}), "b", "p", "cycle"},
		{"self loop", model(13, []onnxpb.Node{
			{Name: "s", OpType: "Add", Inputs: []string{"x", "y"}, Outputs: []string{"y"}},
		}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}), "s", "y", "cycle"},
		{"node output shadows a graph input", model(13, []onnxpb.Node{relu("r", "x", "x")},
			[]onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("x")}), "r", "x", "also defined by a graph input"},
		{"two producers", model(13, []onnxpb.Node{relu("r1", "x", "y"), relu("r2", "x", "y")},
			[]onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}), "r2", "y", `also defined by node "r1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := importErr(t, tc.m)
			require.ErrorIs(t, e, ErrInvalidModel)
			require.Equal(t, tc.node, e.Node)
			require.Equal(t, tc.input, e.Input)
			require.Contains(t, e.Error(), tc.msg)
		})
	}
}

func TestImportReportsUnusedAndDropsDeadNodes(t *testing.T) {
	w := initializer(t, "w", tensor.MustFromSlice([]float32{1, 2}, 2))
	m := model(13, []onnxpb.Node{
		{Name: "dead", OpType: "Exp", Inputs: []string{"x"}, Outputs: []string{"z"}}, // never read: dropped
		{Name: "r", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
	}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2), tin("mask", onnxpb.Float, 2)}, []onnxpb.ValueInfo{tout("y")}, w)
	art, err := ImportModel(m, Options{Name: "unused"})
	require.NoError(t, err)
	require.Equal(t, "input mask; initializer w; node dead (Exp)", art.Metadata["onnx_unused"])
	require.Len(t, art.Inputs, 2, "an unused graph input stays declared: callers pass it")
	require.Empty(t, art.Nodes[1:], "only the live node is converted")

	// A dead node's op must still be one the importer knows.
	m.Graph.Nodes[0].OpType = "NoSuchOp"
	e := importErr(t, m)
	require.ErrorIs(t, e, ErrUnsupported)
	require.Equal(t, "dead", e.Node)
}

func TestImportDimsMustExist(t *testing.T) {
	m := model(13, []onnxpb.Node{{Name: "r", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{symIn("x", "batch", "")}, []onnxpb.ValueInfo{tout("y")})
	// The unnamed dim is named after its input and axis.
	art, err := ImportModel(m, Options{Dims: map[string]int{"batch": 2, "x_dim1": 3}})
	require.NoError(t, err)
	require.Equal(t, "[2 3]", fmtDims(art.Inputs[0].Dims))

	_, err = ImportModel(m, Options{Dims: map[string]int{"bacth": 2}})
	var e *Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, e, ErrInvalidModel)
	require.Contains(t, e.Error(), "dimension bacth bound but not in the model: the model's symbolic dimensions are batch, x_dim1")

	_, err = ImportModel(m, Options{Dims: map[string]int{"batch": -1}})
	require.ErrorContains(t, err, `dimension "batch" bound to -1`)
}

func fmtDims(d []runtime.Dim) string { return fmt.Sprint(d) }

// A model that is wrong for every size of its symbolic dims is refused at
// import, not deferred to its first run.
func TestImportRefusesWhatNoSizeFixes(t *testing.T) {
	w := initializer(t, "w", tensor.MustFromSlice(make([]float32, 4*5*3*3), 4, 5, 3, 3)) // 5 input channels
	m := model(13, []onnxpb.Node{node("Conv", []string{"x", "w"}, []string{"y"}, aInts("kernel_shape", 3, 3))},
		[]onnxpb.ValueInfo{symIn("x", "N", "", "H", "W")}, []onnxpb.ValueInfo{tout("y")}, w)
	m.Graph.Inputs[0].Type.Tensor.Shape.Dims[1] = onnxpb.Dim{Value: 3, HasValue: true} // 3 channels given
	e := importErr(t, m)
	require.ErrorIs(t, e, ErrInvalidModel)
	require.Equal(t, "Conv", e.OpType)
	_, err := ImportModel(m, Options{Name: "conv"})
	require.Error(t, err, "no template either")
}
