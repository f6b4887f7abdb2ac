package onnx_test

import (
	"context"
	"fmt"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Import a model whose Reshape target is computed from its input's shape
// (PyTorch's x.view(x.size(0), -1)): it becomes a template, and each new
// input size is specialized into a static graph on its first run.
func ExampleImport_template() {
	x := onnxpb.ValueInfo{Name: "x", Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{
		ElemType: onnxpb.Float, Shape: &onnxpb.Shape{Dims: []onnxpb.Dim{{Param: "batch"}, {Value: 2, HasValue: true}, {Value: 3, HasValue: true}}}}}}
	zero, _ := onnxpb.FromTensor("zero", tensor.MustFromSlice([]int64{0}, 1))
	minus1, _ := onnxpb.FromTensor("minus1", tensor.MustFromSlice([]int64{-1}, 1))
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 17}}, Graph: &onnxpb.Graph{
		Name: "view",
		Nodes: []onnxpb.Node{
			{OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
			{OpType: "Gather", Inputs: []string{"s", "zero"}, Outputs: []string{"n"}},
			{OpType: "Concat", Inputs: []string{"n", "minus1"}, Outputs: []string{"target"},
				Attributes: []onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrInt, I: 0}}},
			{OpType: "Reshape", Inputs: []string{"x", "target"}, Outputs: []string{"y"}},
		},
		Inputs: []onnxpb.ValueInfo{x}, Outputs: []onnxpb.ValueInfo{{Name: "y"}},
		Initializers: []onnxpb.Tensor{*zero, *minus1},
	}}
	data, err := onnxpb.EncodeModel(m)
	if err != nil {
		panic(err)
	}
	art, err := onnx.Import(data, onnx.Options{}) // no Dims: batch stays symbolic
	if err != nil {
		panic(err)
	}
	fmt.Println("template:", art.IsTemplate())

	rt, err := runtime.New(runtime.WithBackends("ref"))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	model, err := rt.Load(context.Background(), art)
	if err != nil {
		panic(err)
	}
	fmt.Println("input", model.Inputs()[0].Dims)
	for _, batch := range []int{1, 4, 4} {
		in, _ := tensor.New(tensor.Float32, batch, 2, 3)
		out, err := model.Run(context.Background(), in)
		if err != nil {
			panic(err)
		}
		fmt.Println("batch", batch, "->", out[0].Shape())
	}
	s, _ := model.Specializations()
	fmt.Println("specialized", s.Misses, "times, reused", s.Hits)
	// Output:
	// template: true
	// input [batch 2 3]
	// batch 1 -> [1 6]
	// batch 4 -> [4 6]
	// batch 4 -> [4 6]
	// specialized 2 times, reused 1
}
