package coreml

import (
	"math"
	"slices"
	"testing"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

// zooCase is one zoo model converted whole. Adding a model is one entry.
type zooCase struct {
	name   string
	build  func() (*runtime.Artifact, error)
	shapes [][]int  // input shapes to Bind (one signature)
	kinds  []string // the exact layer sequence; nil skips that check
	// exactWeights: the converted weights are the initializers' values, each
	// once (no parameter is folded, expanded or shared), so the two multisets
	// of bit patterns are equal.
	exactWeights bool
}

func zooCases() []zooCase {
	return []zooCase{
		{
			name: "mlp",
			build: func() (*runtime.Artifact, error) {
				return models.MLP(models.MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1})
			},
			shapes:       [][]int{{8, 784}},
			kinds:        []string{"batchedMatmul", "activation", "batchedMatmul", "activation", "batchedMatmul", "softmaxND"},
			exactWeights: true,
		},
		{
			name: "small_cnn",
			build: func() (*runtime.Artifact, error) {
				return models.SmallCNN(models.SmallCNNConfig{Channels: 3, Size: 32, Classes: 10, Seed: 2})
			},
			shapes: [][]int{{4, 3, 32, 32}},
			kinds: []string{"convolution", "activation", "pooling", "convolution", "activation", "pooling",
				"pooling", "reshapeStatic", "batchedMatmul", "softmaxND"},
			exactWeights: true,
		},
		// The zoo's architectures at reduced size (full depth where cheap):
		// every layer kind they use converts, and the decoded model computes
		// what ref computes on the artifact.
		{name: "resnet", shapes: [][]int{{1, 3, 32, 32}}, build: func() (*runtime.Artifact, error) {
			return models.ResNet(models.ResNetConfig{Classes: 10, Size: 32, Width: 8, Layers: [4]int{1, 1, 1, 1}, Seed: 3})
		}},
		{name: "mobilenetv2", shapes: [][]int{{1, 3, 32, 32}}, build: func() (*runtime.Artifact, error) {
			return models.MobileNetV2(models.MobileNetV2Config{Classes: 10, Size: 32, Width: 0.25, Seed: 4})
		}},
		{name: "fastvit", shapes: [][]int{{1, 3, 32, 32}}, build: func() (*runtime.Artifact, error) {
			return models.FastViT(models.FastViTConfig{Classes: 10, Size: 32, Widths: [4]int{8, 16, 32, 64}, Layers: [4]int{1, 1, 1, 1}, Seed: 5})
		}},
		{name: "bert_layer", shapes: [][]int{{1, 16, 32}}, build: func() (*runtime.Artifact, error) {
			return models.TransformerLayer(models.TransformerConfig{Hidden: 32, Heads: 4, Seq: 16, Seed: 6})
		}},
	}
}

// weightBits collects the bit patterns of every WeightParams of every layer,
// float32 values or float16 halves. Layer-norm parameters, which are float32
// in every model (Core ML's validator counts only float32 values there), are
// left out when skipLayerNorm is set.
func weightBits(t *testing.T, m pbModel, skipLayerNorm bool) (f32 []uint32, f16 []uint16) {
	fields := map[string][]int{"convolution": {90, 91}, "batchedMatmul": {8, 9}, "loadConstantND": {2},
		"batchnorm": {15, 16, 17, 18}, "layerNormalization": {3, 4}}
	for _, l := range m.layers {
		if skipLayerNorm && l.kind == "layerNormalization" {
			continue
		}
		for _, f := range fields[l.kind] {
			if !l.params.has(protowireN(f)) {
				continue
			}
			w := l.params.msg(protowireN(f))
			for _, v := range w.floats(pbWeightFloat) {
				f32 = append(f32, math.Float32bits(v))
			}
			f16 = append(f16, w.halves(pbWeightHalf)...)
		}
	}
	return f32, f16
}

func TestZooModels(t *testing.T) {
	for _, z := range zooCases() {
		t.Run(z.name, func(t *testing.T) {
			a, err := z.build()
			require.NoError(t, err)
			require.NoError(t, CheckSupport(a), "symbolic dims are fine for CheckSupport")
			_, err = Convert(a, Float32)
			require.ErrorIs(t, err, runtime.ErrInvalidArtifact, "symbolic dims must be bound first")

			bound, err := Bind(a, z.shapes)
			require.NoError(t, err)
			full, err := Convert(bound, Float32)
			require.NoError(t, err)
			m := decodeModel(t, full)
			if z.kinds != nil {
				require.Equal(t, z.kinds, layersOf(m))
			}
			for i, in := range a.Inputs {
				require.Equal(t, z.shapes[i], m.inputs[in.Name], "input %q", in.Name)
			}
			types, err := mustPlan(t, bound).InferTypes(bound.InputTypes(nil))
			require.NoError(t, err)
			for _, o := range a.Outputs {
				require.Equal(t, []int(types[o.Name].Shape), m.outputs[o.Name], "output %q", o.Name)
			}

			var initBits []uint32
			var initHalves []uint16
			for _, init := range a.Initializers {
				for _, v := range tensor.MustView[float32](init) {
					initBits = append(initBits, math.Float32bits(v))
					initHalves = append(initHalves, float16.Fromfloat32(v).Bits())
				}
			}
			got32, got16 := weightBits(t, m, false)
			require.Empty(t, got16)
			if z.exactWeights {
				slices.Sort(initBits)
				slices.Sort(got32)
				require.Equal(t, initBits, got32, "weights are the initializers' values, each once")
			}
			requireSameResults(t, bound, m, 0, 0, tensor.Tolerance{RTol: 1e-5, ATol: 1e-6})

			half, err := Convert(bound, Float16)
			require.NoError(t, err)
			hm := decodeModel(t, half)
			require.Equal(t, layersOf(m), layersOf(hm))
			got32, got16 = weightBits(t, hm, true)
			require.Empty(t, got32)
			if z.exactWeights {
				slices.Sort(initHalves)
				slices.Sort(got16)
				require.Equal(t, initHalves, got16, "weights are the float16 roundings of the initializers")
			}
			// float16 weights move the results by about their rounding (2^-11 relative).
			requireSameResults(t, bound, hm, 0, 0, tensor.Tolerance{RTol: 2e-2, ATol: 2e-3})
			require.Less(t, len(half), len(full)*6/10, "float16 weights halve the file")
		})
	}
}

func mustPlan(t *testing.T, a *runtime.Artifact) *runtime.Plan {
	t.Helper()
	p, err := a.Plan()
	require.NoError(t, err)
	return p
}
