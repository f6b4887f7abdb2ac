package models

import (
	"fmt"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// ZooModel is one entry of the model zoo: a named architecture with
// deterministic weights that benchmarks, the demo and the CLI can build at any
// batch size.
type ZooModel struct {
	// Name is the short identifier used on the command line, e.g. "resnet50".
	Name string
	// Description says what the model is, e.g. "ResNet-50 v1.5, 224×224".
	Description string
	// Build returns the model with its batch dimension fixed to batch, or
	// symbolic ("batch") when batch is 0.
	Build func(batch int) (*runtime.Artifact, error)
}

// Zoo lists the zoo's models, smallest first.
func Zoo() []ZooModel {
	return []ZooModel{
		{Name: "mlp", Description: "MLP 784-256-128-10, softmax output",
			Build: func(batch int) (*runtime.Artifact, error) {
				return MLP(MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1, Batch: batch})
			}},
		{Name: "cnn", Description: "small CNN, two conv stages, 3×32×32 input",
			Build: func(batch int) (*runtime.Artifact, error) {
				return SmallCNN(SmallCNNConfig{Channels: 3, Size: 32, Classes: 10, Seed: 1, Batch: batch})
			}},
		{Name: "bert_layer", Description: "BERT-base encoder layer, hidden 768, 12 heads, 128 tokens",
			Build: func(batch int) (*runtime.Artifact, error) {
				return TransformerLayer(TransformerConfig{Seed: 1, Batch: batch})
			}},
		{Name: "mobilenetv2", Description: "MobileNetV2 1.0, 224×224",
			Build: func(batch int) (*runtime.Artifact, error) {
				return MobileNetV2(MobileNetV2Config{Seed: 1, Batch: batch})
			}},
		{Name: "fastvit_t8", Description: "FastViT-T8 (reparameterized), 256×256",
			Build: func(batch int) (*runtime.Artifact, error) {
				return FastViT(FastViTConfig{Seed: 1, Batch: batch})
			}},
		{Name: "resnet50", Description: "ResNet-50 v1.5, 224×224",
			Build: func(batch int) (*runtime.Artifact, error) {
				return ResNet(ResNetConfig{Seed: 1, Batch: batch})
			}},
	}
}

// ZooByName returns the zoo model with the given name.
func ZooByName(name string) (ZooModel, bool) {
	for _, m := range Zoo() {
		if m.Name == name {
			return m, true
		}
	}
	return ZooModel{}, false
}

// batchDim is the batch dimension of a zoo model's inputs.
func batchDim(batch int) runtime.Dim {
	if batch > 0 {
		return runtime.Static(batch)
	}
	return runtime.Symbolic("batch")
}

// Inputs returns deterministic inputs for a with every symbolic dimension
// bound to batch: floats are standard-normal, integers are drawn in
// [0, 99], booleans are fair coins. Different seeds give different inputs.
func Inputs(a *runtime.Artifact, batch int, seed uint64) ([]*tensor.Tensor, error) {
	bind := map[string]int{}
	for _, d := range a.SymbolicDims() {
		bind[d] = batch
	}
	types := a.InputTypes(bind)
	out := make([]*tensor.Tensor, len(types))
	for i, t := range types {
		var (
			v   *tensor.Tensor
			err error
		)
		s := seed*7919 + uint64(i)
		switch {
		case t.DType.IsFloat():
			v, err = tensor.RandNormal(t.DType, s, 0, 1, t.Shape...)
		default: // integers in [0, 99]; bool a fair coin
			v, err = tensor.Rand(t.DType, s, 0, 99, t.Shape...)
		}
		if err != nil {
			return nil, fmt.Errorf("models: input %q of %s: %w", a.Inputs[i].Name, a.Name, err)
		}
		out[i] = v
	}
	return out, nil
}
