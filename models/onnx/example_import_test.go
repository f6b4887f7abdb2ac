package onnx_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/backplane-ml/backplane/backends/ref" // register the reference backend
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Importing an ONNX file and running it. The example first writes a small
// relu.onnx, y = Relu(x + b) with a symbolic batch dimension, as an
// exporter would; ImportFile reads it back and binds "batch" to 2.
// x + b = [[-1+0.5, 2-1], [3+0.5, -4-1]] = [[-0.5, 1], [3.5, -5]]; Relu
// gives [[0, 1], [3.5, 0]].
func ExampleImportFile() {
	dir, err := os.MkdirTemp("", "onnx-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "relu.onnx")
	if err := writeExampleModel(path); err != nil {
		panic(err)
	}

	art, err := onnx.ImportFile(path, onnx.Options{Dims: map[string]int{"batch": 2}})
	if err != nil {
		panic(err)
	}
	fmt.Println(art.Name, art.Inputs[0].Name, "->", art.Outputs[0].Name)
	out, err := runtime.Run(context.Background(), art, tensor.MustFromSlice([]float32{-1, 2, 3, -4}, 2, 2))
	if err != nil {
		panic(err)
	}
	fmt.Println(tensor.MustView[float32](out[0]))
	// Output:
	// relu x -> y
	// [0 1 3.5 0]
}

// writeExampleModel writes y = Relu(x + b), x: float32[batch, 2], b = [0.5, -1].
func writeExampleModel(path string) error {
	b, err := onnxpb.FromTensor("b", tensor.MustFromSlice([]float32{0.5, -1}, 2))
	if err != nil {
		return err
	}
	x := onnxpb.ValueInfo{Name: "x", Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{
		ElemType: onnxpb.Float, Shape: &onnxpb.Shape{Dims: []onnxpb.Dim{{Param: "batch"}, {Value: 2, HasValue: true}}}}}}
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 17}}, Graph: &onnxpb.Graph{
		Name:         "example",
		Inputs:       []onnxpb.ValueInfo{x},
		Outputs:      []onnxpb.ValueInfo{{Name: "y"}},
		Initializers: []onnxpb.Tensor{*b},
		Nodes: []onnxpb.Node{
			{Name: "add", OpType: "Add", Inputs: []string{"x", "b"}, Outputs: []string{"sum"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"sum"}, Outputs: []string{"y"}},
		},
	}}
	data, err := onnxpb.EncodeModel(m)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
