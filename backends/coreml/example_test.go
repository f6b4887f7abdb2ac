package coreml_test

import (
	"fmt"

	"github.com/backplane-ml/backplane/backends/coreml"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Convert an MLP with a symbolic batch dimension to a Core ML model for
// batches of 8, with float16 weights. The bytes are an .mlmodel file, ready
// for Core ML's compiler (or for inspection with coremltools).
func ExampleConvert() {
	mlp, err := models.MLP(models.MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1})
	if err != nil {
		panic(err)
	}
	bound, err := coreml.Bind(mlp, [][]int{{8, 784}}) // one input signature: x is [8, 784]
	if err != nil {
		panic(err)
	}
	full, err := coreml.Convert(bound, coreml.Float32)
	if err != nil {
		panic(err)
	}
	half, err := coreml.Convert(bound, coreml.Float16)
	if err != nil {
		panic(err)
	}
	// 784·256 + 256 + 256·128 + 128 + 128·10 + 10 = 235146 weights, 4 or 2 bytes
	// each (918.5 or 459.3 KiB), plus a few hundred bytes of layers and description;
	// rounded to the nearest KiB, so that the model's name length does not matter.
	fmt.Printf("fp32: %.0f KiB, fp16: %.0f KiB\n", float64(len(full))/1024, float64(len(half))/1024)
	// Output: fp32: 919 KiB, fp16: 460 KiB
}

// CheckSupport names the first node a Core ML NeuralNetwork cannot express.
func ExampleCheckSupport() {
	b := runtime.NewBuilder("scores")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(10))
	b.Output("y", b.NamedOp("logp", "log_softmax", 1, nil, b.Op("relu", nil, x))[0])
	a, err := b.Build()
	if err != nil {
		panic(err)
	}
	fmt.Println(coreml.CheckSupport(a))
	// Output: backplane: unsupported by backend, model "scores", backend "coreml", node "logp", op "log_softmax" [unsupported]: op log_softmax has no Core ML NeuralNetwork mapping
}
