package onnx_test

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
)

func TestImportErrorsMatchTheRuntimeKinds(t *testing.T) {
	_, err := onnx.ImportFile(filepath.Join(t.TempDir(), "missing.onnx"), onnx.Options{})
	require.ErrorIs(t, err, runtime.ErrIO, "a missing file is an I/O error")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NotErrorIs(t, err, runtime.ErrInvalidArtifact, "nothing was wrong with a model")
	require.NotErrorIs(t, err, onnx.ErrInvalidModel)

	_, err = onnx.Import([]byte{0xff, 0xff, 0xff}, onnx.Options{Name: "garbage"})
	require.ErrorIs(t, err, onnx.ErrInvalidModel)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.ErrorIs(t, err, onnxpb.ErrMalformed)
	require.ErrorIs(t, err, runtime.ErrCorrupt)

	m := &onnxpb.Model{IRVersion: 7, OpsetImports: []onnxpb.OpsetID{{Version: 17}}, Graph: &onnxpb.Graph{
		Name:    "g",
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: onnxpb.Float, Shape: &onnxpb.Shape{Dims: []onnxpb.Dim{{Value: 2, HasValue: true}}}}}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y"}},
		Nodes:   []onnxpb.Node{{Name: "n", OpType: "NoSuchOp", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}}
	_, err = onnx.ImportModel(m, onnx.Options{})
	require.ErrorIs(t, err, onnx.ErrUnsupported)
	require.ErrorIs(t, err, runtime.ErrUnsupported, "onnx.ErrUnsupported is a runtime.ErrUnsupported")
	require.ErrorContains(t, err, `node "n" (NoSuchOp)`)
}
