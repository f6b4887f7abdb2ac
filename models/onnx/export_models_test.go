package onnx

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// exportModelCase is one whole model round-tripped by TestExportModels.
type exportModelCase struct {
	name  string
	build func() (*runtime.Artifact, error)
	// inputs, when set, makes the run's inputs (token ids that must index a
	// vocabulary, ...); by default every input is seeded uniform in [-1, 1)
	// (integers in [0, 4], bools) with each symbolic dim bound to 3.
	inputs func(a *runtime.Artifact) ([]*tensor.Tensor, error)
	tol    tensor.Tolerance // zero: optest.DefaultTolerance of each output's dtype
}

// exportModels are the models exported, imported back and run against the
// original on the reference backend. A zoo model is one more line here.
var exportModels = []exportModelCase{
	{name: "mlp", build: func() (*runtime.Artifact, error) {
		return models.MLP(models.MLPConfig{Inputs: 16, Hidden: []int{32, 16}, Classes: 5, Seed: 1})
	}},
	{name: "small_cnn", build: func() (*runtime.Artifact, error) {
		return models.SmallCNN(models.SmallCNNConfig{Channels: 3, Size: 16, Classes: 4, Seed: 2})
	}},
	// The zoo's architectures at reduced size: every op they use exports.
	{name: "resnet", build: func() (*runtime.Artifact, error) {
		return models.ResNet(models.ResNetConfig{Classes: 10, Size: 32, Width: 8, Layers: [4]int{1, 1, 1, 1}, Seed: 3})
	}},
	{name: "mobilenetv2", build: func() (*runtime.Artifact, error) {
		return models.MobileNetV2(models.MobileNetV2Config{Classes: 10, Size: 32, Width: 0.25, Seed: 4})
	}},
	{name: "fastvit", build: func() (*runtime.Artifact, error) {
		return models.FastViT(models.FastViTConfig{Classes: 10, Size: 32, Widths: [4]int{8, 16, 32, 64}, Layers: [4]int{1, 1, 1, 1}, Seed: 5})
	}},
	{name: "bert_layer", build: func() (*runtime.Artifact, error) {
		return models.TransformerLayer(models.TransformerConfig{Hidden: 32, Heads: 4, Seq: 16, Seed: 6})
	}},
}

// exportDefaultInputs makes seeded inputs for a's declared inputs.
func exportDefaultInputs(a *runtime.Artifact) ([]*tensor.Tensor, error) {
	bind := map[string]int{}
	for _, s := range a.SymbolicDims() {
		bind[s] = 3
	}
	types := a.InputTypes(bind)
	out := make([]*tensor.Tensor, len(types))
	for i, ty := range types {
		lo, hi := -1.0, 1.0
		if !ty.DType.IsFloat() {
			lo, hi = 0, 4
		}
		t, err := tensor.Rand(ty.DType, uint64(100+i), lo, hi, ty.Shape...)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// TestExportModels round-trips whole models at the lowest and highest opset:
// the imported model's outputs must match the original's on ref.
func TestExportModels(t *testing.T) {
	for _, m := range exportModels {
		for _, opset := range []int{MinExportOpset, MaxExportOpset} {
			t.Run(fmt.Sprintf("%s/opset%d", m.name, opset), func(t *testing.T) {
				a, err := m.build()
				require.NoError(t, err)
				mk := m.inputs
				if mk == nil {
					mk = exportDefaultInputs
				}
				feed, err := mk(a)
				require.NoError(t, err)
				want := exportRunRef(t, a, feed)
				back, _ := exportRoundTrip(t, a, opset)
				exportRequireClose(t, exportRunRef(t, back, feed), want, m.tol)
			})
		}
	}
}

// exportSweepTypes is every dtype the sweep tries each op case in.
var exportSweepTypes = tensor.DTypes()

// TestExportDTypeSweep exports every hand case's op with its inputs converted
// to each other dtype the op accepts. Each must round-trip to the original's
// results on ref, or be refused with an *ExportError naming the node; float
// dtypes are never refused (a float16 or bfloat16 node ONNX lacks is computed
// in float32), only integer and bool ones ONNX has no kernel type for, which
// the test logs.
func TestExportDTypeSweep(t *testing.T) {
	refused := map[string][]string{}
	for _, c := range optest.Cases() {
		if len(c.Inputs) == 0 || c.Inputs[0] == nil {
			continue
		}
		from := c.Inputs[0].DType()
		for _, d := range exportSweepTypes {
			if d == from {
				continue
			}
			in := make([]*tensor.Tensor, len(c.Inputs))
			for i, v := range c.Inputs {
				in[i] = v
				if v != nil && v.DType() == from {
					cv, err := v.AsType(d)
					require.NoError(t, err)
					in[i] = cv
				}
			}
			a, feed, err := exportSingleNode(c.Name, c.Op, c.Attrs, in, len(c.Want))
			if err != nil {
				continue // the op does not take d
			}
			t.Run(c.Name+"/"+d.String(), func(t *testing.T) {
				_, err := Export(a, ExportOptions{Opset: MinExportOpset})
				if err != nil {
					exportRequireRefused(t, a, MinExportOpset)
					if exportSince[c.Name] > MinExportOpset {
						return // refused at this opset whatever the dtype
					}
					require.False(t, d.IsFloat(), "float dtype refused: %v", err)
					if !slices.Contains(refused[c.Op], d.String()) {
						refused[c.Op] = append(refused[c.Op], d.String())
					}
					return
				}
				want, err := ref.Eval(c.Op, c.Attrs, in...)
				if err != nil {
					t.Skipf("the original does not run: %v", err) // an integer division by zero, ...
				}
				back, _ := exportRoundTrip(t, a, MinExportOpset)
				exportRequireClose(t, exportRunRef(t, back, feed), want, tensor.Tolerance{})
			})
		}
	}
	for _, op := range slices.Sorted(func(yield func(string) bool) {
		for op := range refused {
			if !yield(op) {
				return
			}
		}
	}) {
		t.Logf("refused at opset %d: %s %v", MinExportOpset, op, refused[op])
	}
}
