package noregistry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestImportingModelPackagesRegistersNoBackend(t *testing.T) {
	require.Empty(t, runtime.BackendNames())
}

func affine(t *testing.T) *runtime.Artifact {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Static(1), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b.Output("y", b.Op("matmul", nil, x, w))
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

func TestEmptyRegistryErrorsNameTheMissingImport(t *testing.T) {
	rt, err := runtime.New()
	require.NoError(t, err)
	err = rt.Ping(context.Background())
	require.ErrorIs(t, err, runtime.ErrNotRegistered)
	require.ErrorContains(t, err, "backends/all")

	_, err = rt.Load(context.Background(), affine(t))
	require.ErrorIs(t, err, runtime.ErrNotRegistered)
	require.ErrorIs(t, err, runtime.ErrNoBackend)
	require.ErrorContains(t, err, `model "affine"`)
	require.ErrorContains(t, err, `import _ "github.com/backplane-ml/backplane/backends/all"`)

	_, err = runtime.Run(context.Background(), affine(t), tensor.MustFromSlice([]float32{1, 2}, 1, 2))
	require.ErrorIs(t, err, runtime.ErrNotRegistered)

	_, err = runtime.New(runtime.WithBackends("ref"))
	require.ErrorIs(t, err, runtime.ErrNotRegistered)
	require.ErrorContains(t, err, `backend "ref" is not registered`)
	require.ErrorContains(t, err, "backends/all")
}

func valueInfo(name string, dims ...int64) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, v := range dims {
		s.Dims = append(s.Dims, onnxpb.Dim{Value: v, HasValue: true})
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor",
		Tensor: &onnxpb.TensorType{ElemType: onnxpb.Float, Shape: s}}}
}

func TestONNXImportNeedsRefOnlyToFoldConstants(t *testing.T) {
	c, err := onnxpb.FromTensor("c", tensor.MustFromSlice([]float32{1, 2}, 2))
	require.NoError(t, err)
	m := &onnxpb.Model{IRVersion: 7, OpsetImports: []onnxpb.OpsetID{{Version: 17}}, Graph: &onnxpb.Graph{
		Name:         "g",
		Inputs:       []onnxpb.ValueInfo{valueInfo("x", 2)},
		Outputs:      []onnxpb.ValueInfo{{Name: "y"}},
		Initializers: []onnxpb.Tensor{*c},
		Nodes: []onnxpb.Node{
			{Name: "negc", OpType: "Neg", Inputs: []string{"c"}, Outputs: []string{"nc"}},
			{Name: "add", OpType: "Add", Inputs: []string{"x", "nc"}, Outputs: []string{"y"}},
		},
	}}
	_, err = onnx.ImportModel(m, onnx.Options{})
	require.ErrorIs(t, err, runtime.ErrNotRegistered, "Neg of a constant is folded on ref")
	require.ErrorContains(t, err, `node "negc" (Neg)`)
	require.ErrorContains(t, err, "backends/all")

	m.Graph.Nodes = m.Graph.Nodes[1:]
	m.Graph.Nodes[0].Inputs = []string{"x", "c"}
	_, err = onnx.ImportModel(m, onnx.Options{})
	require.NoError(t, err, "nothing to fold: no backend needed")
}
