package models

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Tests of the four large architectures. Full-size models are only built,
// validated and costed (shape inference, no arithmetic): building ResNet-50
// draws 25.6M weights, which takes seconds under -race, so each full model is
// built once per test binary. Only reduced variants (small images, narrow
// layers, full depth) run, on the ref backend, the numeric ground truth.

var fullModels struct {
	sync.Mutex
	built map[string]*runtime.Artifact
}

// fullModel returns the zoo model name built with a symbolic batch, building
// it on first use.
func fullModel(t *testing.T, name string) *runtime.Artifact {
	t.Helper()
	fullModels.Lock()
	defer fullModels.Unlock()
	if a, ok := fullModels.built[name]; ok {
		return a
	}
	m, ok := ZooByName(name)
	require.True(t, ok, name)
	a, err := m.Build(0)
	require.NoError(t, err)
	if fullModels.built == nil {
		fullModels.built = map[string]*runtime.Artifact{}
	}
	fullModels.built[name] = a
	return a
}

// typesAt runs shape inference over a with its batch bound to batch and
// returns the type of every value.
func typesAt(t *testing.T, a *runtime.Artifact, batch int) map[string]ops.Type {
	t.Helper()
	plan, err := a.Plan()
	require.NoError(t, err)
	types, err := plan.InferTypes(a.InputTypes(map[string]int{"batch": batch}))
	require.NoError(t, err)
	return types
}

// requireShapes checks the inferred shape of named values.
func requireShapes(t *testing.T, types map[string]ops.Type, want map[string]tensor.Shape) {
	t.Helper()
	for name, shape := range want {
		got, ok := types[name]
		require.True(t, ok, "no value %q", name)
		require.Equal(t, shape, got.Shape, name)
	}
}

// costAt is models.FLOPs with the batch bound.
func costAt(t *testing.T, a *runtime.Artifact, batch int) Cost {
	t.Helper()
	c, err := FLOPs(a, map[string]int{"batch": batch})
	require.NoError(t, err)
	return c
}

// requireCostScalesWithBatch checks an identity of any model whose samples
// are independent: the work of a batch is the batch size times one sample's.
func requireCostScalesWithBatch(t *testing.T, a *runtime.Artifact) {
	t.Helper()
	one, four := costAt(t, a, 1), costAt(t, a, 4)
	require.Equal(t, 4*one.MACs, four.MACs)
	require.Equal(t, 4*one.FLOPs, four.FLOPs)
	require.Greater(t, one.FLOPs, 2*one.MACs, "element-wise ops add to the FLOPs")
}

// runRef runs a on the ref backend alone.
func runRef(t *testing.T, a *runtime.Artifact, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	ctx := context.Background()
	m, err := rt.Load(ctx, a)
	require.NoError(t, err)
	out, err := m.Run(ctx, in...)
	require.NoError(t, err)
	return out
}

// requireSaneRows checks each of the rows of out (split along axis 0): all
// values finite and of moderate size (the seeded weights keep activations in
// range through the whole depth), not all equal within a row (the network
// did not collapse), and rows differing from each other (different inputs
// give different answers).
func requireSaneRows(t *testing.T, out *tensor.Tensor, rows int) {
	t.Helper()
	v := out.Float64s()
	per := len(v) / rows
	require.Equal(t, rows*per, len(v))
	for r := range rows {
		row := v[r*per : (r+1)*per]
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range row {
			require.False(t, math.IsNaN(x) || math.IsInf(x, 0), "row %d has %v", r, x)
			require.Less(t, math.Abs(x), 1e3, "row %d: activations blew up", r)
			lo, hi = min(lo, x), max(hi, x)
		}
		require.Greater(t, hi-lo, 0.1, "row %d is nearly constant: [%v, %v]", r, lo, hi)
		if r > 0 {
			require.NotEqual(t, v[:per], row, "rows 0 and %d are equal", r)
		}
	}
}

// sample returns sample i of a batched tensor as a batch of one.
func sample(t *testing.T, x *tensor.Tensor, i int) *tensor.Tensor {
	t.Helper()
	v := tensor.MustView[float32](x)
	shape := x.Shape().Clone()
	per := len(v) / shape[0]
	shape[0] = 1
	s, err := tensor.FromSlice(append([]float32(nil), v[i*per:(i+1)*per]...), shape...)
	require.NoError(t, err)
	return s
}

// reduced are small variants of the four architectures at full depth, cheap
// enough for the ref backend under -race, with a symbolic batch.
func reduced(t *testing.T) map[string]*runtime.Artifact {
	t.Helper()
	res, err := ResNet(ResNetConfig{Classes: 10, Size: 32, Width: 8, Seed: 3})
	require.NoError(t, err)
	mob, err := MobileNetV2(MobileNetV2Config{Classes: 10, Size: 32, Width: 0.35, Seed: 3})
	require.NoError(t, err)
	fvit, err := FastViT(FastViTConfig{Classes: 10, Size: 64, Widths: [4]int{8, 16, 32, 64}, Seed: 3})
	require.NoError(t, err)
	bert, err := TransformerLayer(TransformerConfig{Hidden: 32, Heads: 4, Seq: 16, Seed: 3})
	require.NoError(t, err)
	return map[string]*runtime.Artifact{"resnet": res, "mobilenetv2": mob, "fastvit": fvit, "transformer": bert}
}

func TestReducedModelsRunOnRefSaneAndBatchIndependent(t *testing.T) {
	// Two samples run as one batch must give exactly what each gives alone:
	// nothing in these inference graphs mixes samples (batch norm uses its
	// stored statistics). The outputs must also be finite, varied and
	// distinct per sample.
	outShape := map[string]tensor.Shape{
		"resnet": {2, 10}, "mobilenetv2": {2, 10}, "fastvit": {2, 10}, "transformer": {2, 16, 32},
	}
	for name, a := range reduced(t) {
		t.Run(name, func(t *testing.T) {
			in, err := Inputs(a, 2, 11)
			require.NoError(t, err)
			both := runRef(t, a, in...)
			require.Len(t, both, 1)
			require.Equal(t, outShape[name], both[0].Shape())
			requireSaneRows(t, both[0], 2)
			for i := range 2 {
				alone := runRef(t, a, sample(t, in[0], i))
				cmp := tensor.Compare(alone[0], sample(t, both[0], i), tensor.Tolerance{RTol: 1e-5, ATol: 1e-6})
				require.True(t, cmp.Equal, "sample %d: %v", i, cmp)
			}
		})
	}
}

func TestArchitecturesAreDeterministicPerSeed(t *testing.T) {
	build := map[string]func(seed uint64) (*runtime.Artifact, error){
		"resnet": func(s uint64) (*runtime.Artifact, error) {
			return ResNet(ResNetConfig{Size: 32, Width: 2, Layers: [4]int{1, 1, 1, 1}, Classes: 3, Seed: s})
		},
		"mobilenetv2": func(s uint64) (*runtime.Artifact, error) {
			return MobileNetV2(MobileNetV2Config{Size: 32, Width: 0.1, Classes: 3, Seed: s})
		},
		"fastvit": func(s uint64) (*runtime.Artifact, error) {
			return FastViT(FastViTConfig{Size: 32, Widths: [4]int{2, 4, 8, 16}, Layers: [4]int{1, 1, 1, 1}, Classes: 3, Seed: s})
		},
		"transformer": func(s uint64) (*runtime.Artifact, error) {
			return TransformerLayer(TransformerConfig{Hidden: 8, Heads: 2, Seq: 4, FFN: 16, Seed: s})
		},
	}
	for name, f := range build {
		t.Run(name, func(t *testing.T) {
			fp := func(seed uint64) string {
				a, err := f(seed)
				require.NoError(t, err)
				s, err := a.Fingerprint()
				require.NoError(t, err)
				return s
			}
			require.Equal(t, fp(4), fp(4), "same seed, same weights")
			require.NotEqual(t, fp(4), fp(5), "another seed, other weights")
		})
	}
}

func TestArchitectureConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func() (*runtime.Artifact, error)
	}{
		{"resnet negative batch", func() (*runtime.Artifact, error) { return ResNet(ResNetConfig{Batch: -1}) }},
		{"resnet image too small", func() (*runtime.Artifact, error) { return ResNet(ResNetConfig{Size: 16}) }},
		{"resnet empty stage", func() (*runtime.Artifact, error) { return ResNet(ResNetConfig{Layers: [4]int{3, 0, 6, 3}}) }},
		{"resnet negative width", func() (*runtime.Artifact, error) { return ResNet(ResNetConfig{Width: -8}) }},
		{"mobilenetv2 negative classes", func() (*runtime.Artifact, error) { return MobileNetV2(MobileNetV2Config{Classes: -1}) }},
		{"mobilenetv2 NaN width", func() (*runtime.Artifact, error) { return MobileNetV2(MobileNetV2Config{Width: math.NaN()}) }},
		{"mobilenetv2 huge width", func() (*runtime.Artifact, error) { return MobileNetV2(MobileNetV2Config{Width: 100}) }},
		{"fastvit widths not multiples", func() (*runtime.Artifact, error) {
			return FastViT(FastViTConfig{Widths: [4]int{48, 72, 192, 384}})
		}},
		{"fastvit empty stage", func() (*runtime.Artifact, error) { return FastViT(FastViTConfig{Layers: [4]int{2, 2, 0, 2}}) }},
		{"fastvit negative ratio", func() (*runtime.Artifact, error) { return FastViT(FastViTConfig{MLPRatio: -3}) }},
		{"transformer heads do not divide", func() (*runtime.Artifact, error) {
			return TransformerLayer(TransformerConfig{Hidden: 768, Heads: 10})
		}},
		{"resnet absurd width", func() (*runtime.Artifact, error) { return ResNet(ResNetConfig{Width: 1 << 22}) }},
		{"transformer absurd hidden", func() (*runtime.Artifact, error) {
			return TransformerLayer(TransformerConfig{Hidden: 1 << 20, Heads: 1})
		}},
		{"transformer negative seq", func() (*runtime.Artifact, error) { return TransformerLayer(TransformerConfig{Seq: -1}) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := c.build()
			require.Error(t, err)
			require.Nil(t, a)
			require.Contains(t, err.Error(), "models: ")
		})
	}
}

func TestParametersCountsInitializers(t *testing.T) {
	// MLP 4-3-2: weights 4·3 + 3·2 = 18, biases 3 + 2 = 5.
	a, err := MLP(MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2})
	require.NoError(t, err)
	require.Equal(t, int64(23), Parameters(a))
}

// nodeInputs returns the inputs of the node called name.
func nodeInputs(t *testing.T, a *runtime.Artifact, name string) []string {
	t.Helper()
	for _, n := range a.Nodes {
		if n.Name == name {
			return n.Inputs
		}
	}
	require.Failf(t, "no node", "%s has no node %q", a.Name, name)
	return nil
}

func TestResidualWiring(t *testing.T) {
	// Costs and shapes cannot tell a residual add of the wrong tensors from
	// the right one; the graph's edges can. Each add joins the end of the
	// branch with the block's input (or its projection).
	res, err := ResNet(ResNetConfig{Classes: 3, Size: 32, Width: 2})
	require.NoError(t, err)
	mob, err := MobileNetV2(MobileNetV2Config{Classes: 3, Size: 32, Width: 0.1})
	require.NoError(t, err)
	fvit, err := FastViT(FastViTConfig{Classes: 3, Size: 32, Widths: [4]int{2, 4, 8, 16}})
	require.NoError(t, err)
	bert, err := TransformerLayer(TransformerConfig{Hidden: 8, Heads: 2, Seq: 4})
	require.NoError(t, err)
	for _, c := range []struct {
		a    *runtime.Artifact
		node string
		want []string
	}{
		{res, "layer1.0.add", []string{"layer1.0.bn3:0", "layer1.0.downsample.1:0"}},
		{res, "layer1.1.add", []string{"layer1.1.bn3:0", "layer1.0.relu:0"}},
		{res, "layer1.1.conv1", []string{"layer1.0.relu:0", "layer1.1.conv1.weight"}},
		{res, "layer2.0.downsample.0", []string{"layer1.2.relu:0", "layer2.0.downsample.0.weight"}},
		{res, "layer4.2.relu", []string{"layer4.2.add:0"}},
		{mob, "features.3.add", []string{"features.2.project.bn:0", "features.3.project.bn:0"}},
		{mob, "features.3.expand.conv", []string{"features.2.project.bn:0", "features.3.expand.conv.weight"}},
		{mob, "features.5.expand.conv", []string{"features.4.project.bn:0", "features.5.expand.conv.weight"}},
		{mob, "features.6.add", []string{"features.5.add:0", "features.6.project.bn:0"}},
		{fvit, "stages.0.blocks.1.token_mixer.reparam_conv", []string{"stages.0.blocks.0.add:0",
			"stages.0.blocks.1.token_mixer.reparam_conv.weight", "stages.0.blocks.1.token_mixer.reparam_conv.bias"}},
		{fvit, "stages.0.blocks.1.add", []string{"stages.0.blocks.1.token_mixer.reparam_conv:0", "stages.0.blocks.1.mlp.fc2:0"}},
		{fvit, "stages.1.downsample.proj.0", []string{"stages.0.blocks.1.add:0",
			"stages.1.downsample.proj.0.weight", "stages.1.downsample.proj.0.bias"}},
		{fvit, "final_conv.se.scale", []string{"final_conv.conv:0", "final_conv.se.gate:0"}},
		{bert, "attention.output.add", []string{"hidden", "attention.output.dense:0"}},
		{bert, "output.add", []string{"attention.output.LayerNorm:0", "output.dense:0"}},
	} {
		require.Equal(t, c.want, nodeInputs(t, c.a, c.node), "%s: %s", c.a.Name, c.node)
	}
}
