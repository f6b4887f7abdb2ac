package coreml

import (
	"context"
	"math"
	"testing"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
	"google.golang.org/protobuf/encoding/protowire"
)

// opCase is one single-op (or tiny) artifact converted in isolation.
type opCase struct {
	name   string
	build  func(b *runtime.Builder)
	lo, hi float64  // range of the random inputs; both 0 means [-2, 2]
	kinds  []string // the layer types expected, in order
	// check inspects the decoded model beyond the layer types: names,
	// attributes, shapes and weights.
	check func(t *testing.T, m pbModel, a *runtime.Artifact)
}

// in declares a float32 input of static shape.
func in(b *runtime.Builder, name string, shape ...int) runtime.Value {
	return b.Input(name, tensor.Float32, runtime.Dims(shape...)...)
}

// weight adds a seeded random float32 weight in [-1, 1).
func weight(b *runtime.Builder, name string, seed uint64, shape ...int) runtime.Value {
	t, err := tensor.Rand(tensor.Float32, seed, -1, 1, shape...)
	if err != nil {
		panic(err)
	}
	return b.Weight(name, t)
}

// constant adds a weight with the given values.
func constant(b *runtime.Builder, name string, vals []float32, shape ...int) runtime.Value {
	return b.Weight(name, tensor.MustFromSlice(vals, shape...))
}

// initValues returns the float32 values of initializer name.
func initValues(t *testing.T, a *runtime.Artifact, name string) []float32 {
	t.Helper()
	init, ok := a.Initializers[name]
	require.True(t, ok, "initializer %q", name)
	return tensor.MustView[float32](init)
}

// requireBits requires the same float32 bit patterns (NaN-safe, −0-aware).
func requireBits(t *testing.T, want, got []float32, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), append([]any{"element %d"}, i))
	}
}

// layersOf returns the layer types of m in order.
func layersOf(m pbModel) []string {
	var kinds []string
	for _, l := range m.layers {
		kinds = append(kinds, l.kind)
	}
	return kinds
}

// layer returns the only layer of the given type.
func layer(t *testing.T, m pbModel, kind string) pbLayer {
	t.Helper()
	var found []pbLayer
	for _, l := range m.layers {
		if l.kind == kind {
			found = append(found, l)
		}
	}
	require.Len(t, found, 1, "layers of type %s", kind)
	return found[0]
}

// feedsFor makes seeded random inputs for every graph input of a.
func feedsFor(t *testing.T, a *runtime.Artifact, lo, hi float64) ([]*tensor.Tensor, map[string]*tensor.Tensor) {
	t.Helper()
	if lo == 0 && hi == 0 {
		lo, hi = -2, 2
	}
	list := make([]*tensor.Tensor, len(a.Inputs))
	byName := map[string]*tensor.Tensor{}
	for i, ty := range a.InputTypes(nil) {
		x, err := tensor.Rand(tensor.Float32, uint64(100+i), lo, hi, ty.Shape...)
		require.NoError(t, err)
		list[i], byName[a.Inputs[i].Name] = x, x
	}
	return list, byName
}

// refRun runs the artifact on the reference backend.
func refRun(t *testing.T, a *runtime.Artifact, feeds []*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	p, err := ref.Backend{}.Prepare(context.Background(), a)
	require.NoError(t, err)
	outs, err := p.Run(context.Background(), feeds)
	require.NoError(t, err)
	res := map[string]*tensor.Tensor{}
	for i, o := range a.Outputs {
		res[o.Name] = outs[i]
	}
	return res
}

// requireSameResults runs the decoded model with the test interpreter and the
// artifact with the reference backend on the same inputs and compares.
func requireSameResults(t *testing.T, a *runtime.Artifact, m pbModel, lo, hi float64, tol tensor.Tolerance) {
	t.Helper()
	list, byName := feedsFor(t, a, lo, hi)
	want := refRun(t, a, list)
	got := runDecoded(t, m, byName)
	for name, w := range want {
		cmp := tensor.Compare(got[name], w, tol)
		require.True(t, cmp.Equal, "output %q: %v", name, cmp)
	}
}

func convertCase(t *testing.T, c opCase) (*runtime.Artifact, pbModel) {
	t.Helper()
	b := runtime.NewBuilder(c.name)
	c.build(b)
	a, err := b.Build()
	require.NoError(t, err)
	require.NoError(t, CheckSupport(a))
	data, err := Convert(a, Float32)
	require.NoError(t, err)
	m := decodeModel(t, data)
	require.Equal(t, 4, m.version, "specificationVersion")
	require.Equal(t, 1, m.mapping, "EXACT_ARRAY_MAPPING")
	for i, in := range a.InputTypes(nil) {
		require.Equal(t, []int(in.Shape), m.inputs[a.Inputs[i].Name], "input %q description", a.Inputs[i].Name)
	}
	return a, m
}

// runOpCases converts each case, checks its layers and attributes, and checks
// its meaning by interpretation against the reference backend.
func runOpCases(t *testing.T, cases []opCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, m := convertCase(t, c)
			require.Equal(t, c.kinds, layersOf(m))
			if c.check != nil {
				c.check(t, m, a)
			}
			requireSameResults(t, a, m, c.lo, c.hi, tensor.Tolerance{RTol: 1e-5, ATol: 1e-6})
		})
	}
}

func TestSupportedOpsAreCatalogOps(t *testing.T) {
	names := SupportedOps()
	require.GreaterOrEqual(t, len(names), 50, "ops mapped: %v", names)
	for _, n := range names {
		_, ok := ops.Lookup(n)
		require.True(t, ok, "%q is not in the op catalog", n)
	}
}

func TestFloat16Weights(t *testing.T) {
	// Values with known float16 roundings, worked out by hand: 0.1 lies between
	// 0x2E66 (0.0999755859375) and 0x2E67 (0.10003662109375), nearer the
	// first; 1/3 rounds to 0x3555 (0.333251953125); 65504 is the largest half;
	// 2^-24 is its smallest subnormal; 1+2^-11 is a tie that goes to even, 1.
	vals := []float32{0.1, 1.0 / 3, 65504, float32(math.Ldexp(1, -24)), 1 + float32(math.Ldexp(1, -11)), -2}
	hand := []uint16{0x2E66, 0x3555, 0x7BFF, 0x0001, 0x3C00, 0xC000}
	b := runtime.NewBuilder("half")
	x := in(b, "x", 2, 3)
	b.Output("y", b.Op("add", nil, x, constant(b, "c", vals, 2, 3)))
	a, err := b.Build()
	require.NoError(t, err)
	data, err := Convert(a, Float16)
	require.NoError(t, err)
	m := decodeModel(t, data)
	require.Equal(t, "fp16", m.meta["backplane.precision"])
	load := layer(t, m, "loadConstantND")
	require.Equal(t, []int{2, 3}, load.params.ints(1))
	w := load.params.msg(2)
	require.False(t, w.has(pbWeightFloat), "fp16 model stores no float32 weights")
	require.Equal(t, hand, w.halves(pbWeightHalf))
	for i, v := range vals { // and the library agrees with the hand values
		require.Equal(t, hand[i], float16.Fromfloat32(v).Bits())
	}
}

func TestFloat16WeightsOfEveryWeightedLayer(t *testing.T) {
	// For every case whose layers carry weights, the float16 model's halves are
	// the float16 rounding (x448/float16, ties to even) of the float32 model's
	// values, which the other tests check against the artifact bit for bit;
	// layer-norm parameters are the exception and stay float32.
	covered := map[string]bool{}
	for _, c := range allOpCases() {
		b := runtime.NewBuilder(c.name)
		c.build(b)
		a, err := b.Build()
		require.NoError(t, err, c.name)
		full, err := Convert(a, Float32)
		require.NoError(t, err, c.name)
		half, err := Convert(a, Float16)
		require.NoError(t, err, c.name)
		fm, hm := decodeModel(t, full), decodeModel(t, half)
		require.Equal(t, layersOf(fm), layersOf(hm), c.name)
		for i := range fm.layers {
			for _, pair := range weightParams(fm.layers[i], hm.layers[i]) {
				f32s := pair[0].floats(pbWeightFloat)
				require.False(t, pair[0].has(pbWeightHalf), "%s: fp32 model stores halves", c.name)
				if fm.layers[i].kind == "layerNormalization" {
					// Core ML's validator counts layer-norm gamma and beta in
					// float32 values only: they stay float32, bit for bit.
					require.False(t, pair[1].has(pbWeightHalf), "%s: layer-norm parameters in halves", c.name)
					requireBits(t, f32s, pair[1].floats(pbWeightFloat))
					covered[fm.layers[i].kind] = true
					continue
				}
				require.False(t, pair[1].has(pbWeightFloat), "%s: fp16 model stores floats", c.name)
				halves := pair[1].halves(pbWeightHalf)
				require.Len(t, halves, len(f32s), c.name)
				for j, v := range f32s {
					require.Equal(t, float16.Fromfloat32(v).Bits(), halves[j], "%s: layer %q element %d", c.name, fm.layers[i].name, j)
				}
				covered[fm.layers[i].kind] = true
			}
		}
	}
	require.Equal(t, map[string]bool{"convolution": true, "batchedMatmul": true, "loadConstantND": true,
		"batchnorm": true, "layerNormalization": true}, covered, "every weight-carrying layer type is exercised")
}

// weightParams pairs the WeightParams messages of the same layer decoded
// from two models (fields known to hold WeightParams, by layer type).
func weightParams(a, b pbLayer) [][2]pb {
	fields := map[string][]int{"convolution": {90, 91}, "batchedMatmul": {8, 9}, "loadConstantND": {2},
		"batchnorm": {15, 16, 17, 18}, "layerNormalization": {3, 4}}[a.kind]
	var out [][2]pb
	for _, f := range fields {
		if a.params.has(protowire.Number(f)) {
			out = append(out, [2]pb{a.params.msg(protowire.Number(f)), b.params.msg(protowire.Number(f))})
		}
	}
	return out
}

func TestFloat16OverflowIsNamed(t *testing.T) {
	b := runtime.NewBuilder("big")
	x := in(b, "x", 3)
	b.Output("y", b.Op("mul", nil, x, constant(b, "huge", []float32{1, 7e4, 2}, 3)))
	a, err := b.Build()
	require.NoError(t, err)
	_, err = Convert(a, Float16)
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, runtime.ErrUnsupported)
	require.Equal(t, "huge", e.Input)
	require.Contains(t, e.Error(), "index 1")
	_, err = Convert(a, Float32) // fine in float32
	require.NoError(t, err)
}

func TestConvertIsDeterministic(t *testing.T) {
	b := runtime.NewBuilder("det")
	x := in(b, "x", 2, 4)
	h := b.Op("add", nil, b.Op("matmul", nil, x, weight(b, "w", 1, 4, 3)), weight(b, "bias", 2, 3))
	b.Output("y", b.Op("mul", nil, h, weight(b, "s", 3, 3)))
	b.SetMetadata("z", "last")
	b.SetMetadata("a", "first")
	a, err := b.Build()
	require.NoError(t, err)
	first, err := Convert(a, Float32)
	require.NoError(t, err)
	for range 5 {
		again, err := Convert(a, Float32)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	m := decodeModel(t, first)
	require.Equal(t, map[string]string{"a": "first", "z": "last", "backplane.artifact": "det",
		"backplane.precision": "fp32"}, m.meta)
}

func TestEveryMappedOpHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range allOpCases() {
		b := runtime.NewBuilder(c.name)
		c.build(b)
		a, err := b.Build()
		require.NoError(t, err, c.name)
		for _, n := range a.Nodes {
			covered[n.Op] = true
		}
	}
	var missing []string
	for _, op := range SupportedOps() {
		if !covered[op] {
			missing = append(missing, op)
		}
	}
	require.Empty(t, missing, "mapped ops without a decoded single-op case")
}
