package models

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// MLPConfig describes a multi-layer perceptron: Inputs features, hidden
// layers with ReLU, and a softmax over Classes.
type MLPConfig struct {
	Inputs  int
	Hidden  []int
	Classes int
	Seed    uint64
	// Batch fixes the batch dimension; 0 leaves it symbolic ("batch").
	Batch int
}

// MLP builds a multi-layer perceptron with a symbolic batch dimension. Its
// input is "x" [batch, Inputs] float32 and its output "probs" [batch, Classes].
func MLP(cfg MLPConfig) (*runtime.Artifact, error) {
	if cfg.Batch < 0 {
		return nil, fmt.Errorf("models: MLP batch %d is negative", cfg.Batch)
	}
	if cfg.Inputs <= 0 || cfg.Classes <= 0 {
		return nil, fmt.Errorf("models: MLP needs positive Inputs and Classes, got %d and %d", cfg.Inputs, cfg.Classes)
	}
	// e.g. "mlp-784-256x128-10": no spaces or brackets, so the name is one
	// shell word and one Prometheus label value without quoting trouble.
	name := fmt.Sprintf("mlp-%d-%s-%d", cfg.Inputs, joinInts(cfg.Hidden, "x"), cfg.Classes)
	if len(cfg.Hidden) == 0 {
		name = fmt.Sprintf("mlp-%d-%d", cfg.Inputs, cfg.Classes)
	}
	b := runtime.NewBuilder(name)
	w := &weights{b: b, seed: cfg.Seed}
	h := b.Input("x", tensor.Float32, batchDim(cfg.Batch), runtime.Static(cfg.Inputs))
	width := cfg.Inputs
	for i, n := range append(append([]int(nil), cfg.Hidden...), cfg.Classes) {
		if n <= 0 {
			return nil, fmt.Errorf("models: MLP layer %d has width %d", i, n)
		}
		wt := w.uniform(fmt.Sprintf("fc%d.weight", i), heScale(width), width, n)
		bias := w.uniform(fmt.Sprintf("fc%d.bias", i), 0.1, n)
		h = b.Op("add", nil, b.Op("matmul", nil, h, wt), bias)
		if i < len(cfg.Hidden) {
			h = b.Op("relu", nil, h)
		}
		width = n
	}
	b.Output("probs", b.Op("softmax", ops.Attrs{"axis": -1}, h))
	b.SetMetadata("family", "mlp")
	if w.err != nil {
		return nil, w.err
	}
	return b.Build()
}

// SmallCNNConfig describes SmallCNN.
type SmallCNNConfig struct {
	Channels, Size, Classes int // input channels, spatial size (square), output classes
	Seed                    uint64
	// Batch fixes the batch dimension; 0 leaves it symbolic ("batch").
	Batch int
}

// SmallCNN builds a small convolutional classifier: two conv-relu-maxpool
// stages, global average pooling and a linear layer. Input "image"
// [batch, Channels, Size, Size] float32; output "probs" [batch, Classes].
func SmallCNN(cfg SmallCNNConfig) (*runtime.Artifact, error) {
	if cfg.Channels <= 0 || cfg.Size < 4 || cfg.Classes <= 0 || cfg.Batch < 0 {
		return nil, fmt.Errorf("models: SmallCNN needs Channels>0, Size>=4, Classes>0; got %+v", cfg)
	}
	b := runtime.NewBuilder(fmt.Sprintf("cnn-%dx%dx%d-%d", cfg.Channels, cfg.Size, cfg.Size, cfg.Classes))
	w := &weights{b: b, seed: cfg.Seed}
	x := b.Input("image", tensor.Float32, batchDim(cfg.Batch), runtime.Static(cfg.Channels),
		runtime.Static(cfg.Size), runtime.Static(cfg.Size))
	in := cfg.Channels
	for i, out := range []int{16, 32} {
		k := w.uniform(fmt.Sprintf("conv%d.weight", i), heScale(in*9), out, in, 3, 3)
		kb := w.uniform(fmt.Sprintf("conv%d.bias", i), 0.1, out)
		x = b.Op("conv", ops.Attrs{"pads": []int{1, 1, 1, 1}}, x, k, kb)
		x = b.Op("max_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}}, b.Op("relu", nil, x))
		in = out
	}
	x = b.Op("reshape", ops.Attrs{"shape": []int{0, -1}}, b.Op("global_avg_pool", nil, x))
	fc := w.uniform("fc.weight", heScale(in), in, cfg.Classes)
	fb := w.uniform("fc.bias", 0.1, cfg.Classes)
	b.Output("probs", b.Op("softmax", ops.Attrs{"axis": -1}, b.Op("add", nil, b.Op("matmul", nil, x, fc), fb)))
	b.SetMetadata("family", "cnn")
	if w.err != nil {
		return nil, w.err
	}
	return b.Build()
}

// joinInts joins the decimal forms of v with sep ("" for no values).
func joinInts(v []int, sep string) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, sep)
}
