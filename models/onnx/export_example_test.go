package onnx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Export a zoo model as ONNX, look inside the model, and import it back.
func ExampleExport() {
	art, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{8}, Classes: 3, Seed: 1})
	if err != nil {
		panic(err)
	}
	data, err := onnx.Export(art, onnx.ExportOptions{}) // opset 17; ExportFile writes a file
	if err != nil {
		panic(err)
	}

	m, err := onnxpb.DecodeModel(data)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.ProducerName, "opset", m.OpsetImports[0].Version, "IR", m.IRVersion)
	var opTypes []string
	for _, n := range m.Graph.Nodes {
		opTypes = append(opTypes, n.OpType)
	}
	fmt.Println(strings.Join(opTypes, " "))
	var dims []string
	for _, d := range m.Graph.Inputs[0].Type.Tensor.Shape.Dims {
		if d.HasValue {
			dims = append(dims, fmt.Sprint(d.Value))
		} else {
			dims = append(dims, d.Param) // a symbolic dim is a dim_param
		}
	}
	fmt.Println(m.Graph.Inputs[0].Name, dims)

	back, err := onnx.Import(data, onnx.Options{})
	if err != nil {
		panic(err)
	}
	x := tensor.MustFromSlice([]float32{1, 2, 3, 4}, 1, 4)
	want, _ := runtime.Run(context.Background(), art, x)
	got, _ := runtime.Run(context.Background(), back, x)
	fmt.Println(tensor.Compare(got[0], want[0], tensor.Tolerance{RTol: 1e-6}).Equal)
	// Output:
	// backplane opset 17 IR 8
	// MatMul Add Relu MatMul Add Softmax
	// x [batch 4]
	// true
}

// BenchmarkExport exports an MLP of 784-512-256-10 (about 2.2 MB of float32
// weights); the bytes figure is the size of the model written.
func BenchmarkExport(b *testing.B) {
	art, err := models.MLP(models.MLPConfig{Inputs: 784, Hidden: []int{512, 256}, Classes: 10, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	data, err := onnx.Export(art, onnx.ExportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := onnx.Export(art, onnx.ExportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
