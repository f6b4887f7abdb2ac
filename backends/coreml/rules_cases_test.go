package coreml

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// What the rule checker runs on: every zoo model at batch 1, and every op
// case the converter accepts, each in float32 and float16. A converter change
// that would make Core ML refuse one of these models fails here.

// addApplied adds one model's rule counts to a running total.
func addApplied(total, one map[string]int) {
	for k, v := range one {
		total[k] += v
	}
}

func TestCoreMLRulesZoo(t *testing.T) {
	if testing.Short() {
		t.Skip("converts the full-size zoo models (ResNet-50's 25M weights among them)")
	}
	if zooRulesElsewhere {
		t.Skip("the build without the coremldouble tag checks the zoo models")
	}
	applied := map[string]int{}
	for _, z := range models.Zoo() {
		t.Run(z.Name, func(t *testing.T) {
			a, err := z.Build(1)
			require.NoError(t, err)
			require.NoError(t, CheckSupport(a))
			for _, p := range []Precision{Float32, Float16} {
				data, err := Convert(a, p)
				require.NoError(t, err, "%v", p)
				addApplied(applied, requireRules(t, data, fmt.Sprintf("%s at batch 1, %v", z.Name, p)))
			}
		})
	}
	t.Logf("%d zoo models x 2 precisions pass %d rules (%d rule evaluations)", len(models.Zoo()),
		len(coremlRules)-len(ruleCoverage(applied)), total(applied))
}

func total(applied map[string]int) int {
	n := 0
	for _, v := range applied {
		n += v
	}
	return n
}

// kitArtifact builds the one-node artifact the backend conformance kit
// (runtime/backendtest) builds for an op case: inputs in0, in1, ..., node
// "node", outputs out0, ...; with constOperands every operand but the first
// is a weight w1, w2, ... (backendtest's ConstantOperands).
func kitArtifact(name, op string, attrs map[string]any, inputs []*tensor.Tensor, outputs int, constOperands bool) (*runtime.Artifact, error) {
	b := runtime.NewBuilder(name)
	vals := make([]runtime.Value, len(inputs))
	for i, in := range inputs {
		switch {
		case in == nil:
			vals[i] = runtime.None
		case constOperands && i > 0:
			vals[i] = b.Weight(fmt.Sprintf("w%d", i), in)
		default:
			vals[i] = b.Input(fmt.Sprintf("in%d", i), in.DType(), runtime.Dims(in.Shape()...)...)
		}
	}
	for i, v := range b.NamedOp("node", op, outputs, attrs, vals...) {
		b.Output(fmt.Sprintf("out%d", i), v)
	}
	return b.Build()
}

// randomCaseInputs makes a random case's inputs as the kit does (seeded by
// name; values do not matter to the rules, shapes and dtypes do).
func randomCaseInputs(c optest.RandomCase) ([]*tensor.Tensor, error) {
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	in := make([]*tensor.Tensor, len(c.Inputs))
	for i, spec := range c.Inputs {
		switch {
		case spec.Omit:
			continue
		case spec.Fixed != nil:
			in[i] = spec.Fixed
			continue
		}
		lo, hi := spec.Lo, spec.Hi
		if lo == 0 && hi == 0 {
			lo, hi = -1, 1
		}
		t, err := tensor.Rand(spec.DType, h.Sum64()+uint64(i), lo, hi, spec.Shape...)
		if err != nil {
			return nil, err
		}
		in[i] = t
	}
	return in, nil
}

// ruleCase is one artifact for the checker.
type ruleCase struct {
	name  string
	build func() (*runtime.Artifact, error)
}

func opRuleCases() []ruleCase {
	var out []ruleCase
	for _, consts := range []bool{false, true} {
		mode := "inputs"
		if consts {
			mode = "constants"
		}
		for _, c := range optest.Cases() {
			out = append(out, ruleCase{name: "kit/" + mode + "/" + c.Name, build: func() (*runtime.Artifact, error) {
				return kitArtifact(c.Name, c.Op, c.Attrs, c.Inputs, len(c.Want), consts)
			}})
		}
		for _, c := range optest.RandomCases() {
			out = append(out, ruleCase{name: "random/" + mode + "/" + c.Name, build: func() (*runtime.Artifact, error) {
				in, err := randomCaseInputs(c)
				if err != nil {
					return nil, err
				}
				types := make([]ops.Type, len(in))
				for i, x := range in {
					if x != nil {
						types[i] = ops.TypeOf(x)
					}
				}
				outs, err := ops.Infer(c.Op, types, c.Attrs)
				if err != nil {
					return nil, err
				}
				return kitArtifact(c.Name, c.Op, c.Attrs, in, len(outs), consts)
			}})
		}
	}
	for _, c := range allOpCases() {
		out = append(out, ruleCase{name: "decoded/" + c.name, build: func() (*runtime.Artifact, error) {
			b := runtime.NewBuilder(c.name)
			c.build(b)
			return b.Build()
		}})
	}
	return out
}

// ruleGroup is the source of a rule case: "kit/inputs", "random/constants",
// "decoded", ...
func ruleGroup(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if parts[0] == "decoded" {
		return parts[0]
	}
	return parts[0] + "/" + parts[1]
}

func TestCoreMLRulesOpCases(t *testing.T) {
	applied := map[string]int{}
	accepted, refused := map[string]int{}, map[string]int{}
	checked, overflow := 0, 0
	for _, rc := range opRuleCases() {
		group := ruleGroup(rc.name)
		a, err := rc.build()
		require.NoError(t, err, rc.name)
		if err := CheckSupport(a); err != nil {
			require.ErrorIs(t, err, runtime.ErrUnsupported, rc.name)
			refused[group]++
			continue
		}
		accepted[group]++
		for _, p := range []Precision{Float32, Float16} {
			data, err := Convert(a, p)
			if p == Float16 && errors.Is(err, runtime.ErrUnsupported) && strings.Contains(err.Error(), "float16's range") {
				overflow++ // a weight beyond float16: refused by name, as TestFloat16OverflowIsNamed checks
				continue
			}
			require.NoError(t, err, "%s %v: CheckSupport accepted it", rc.name, p)
			addApplied(applied, requireRules(t, data, fmt.Sprintf("%s, %v", rc.name, p)))
			checked++
		}
	}
	n := 0
	for _, g := range slices.Sorted(maps.Keys(accepted)) {
		k := accepted[g]
		t.Logf("%-17s %4d accepted, %4d refused by CheckSupport", g, k, refused[g])
		n += k
	}
	t.Logf("op cases: %d accepted, %d models checked (float32 and float16; %d float16 conversions refused for a weight beyond float16's range); %d rule evaluations",
		n, checked, overflow, total(applied))
	require.Greater(t, n, 400, "the op cases the converter accepts")
	require.Empty(t, ruleCoverage(applied), "rules that no accepted case evaluates")
}

// TestRuleCheckerCatches breaks converted models the way a converter bug
// would, one per rule, and requires the checker to report that rule: the
// checker is only worth running if it fails on what Core ML refuses.
func TestRuleCheckerCatches(t *testing.T) {
	x := func(b *runtime.Builder, shape ...int) runtime.Value { return in(b, "x", shape...) }
	unary := func(op string, attrs ops.Attrs, shape ...int) func(b *runtime.Builder) {
		return func(b *runtime.Builder) { b.Output("y", b.Op(op, attrs, x(b, shape...))) }
	}
	globalPool := unary("global_avg_pool", nil, 1, 3, 4, 4)
	layerNorm := func(b *runtime.Builder) {
		b.Output("y", b.Op("layer_norm", nil, x(b, 2, 6), weight(b, "g", 1, 6), weight(b, "b", 2, 6)))
	}
	conv := func(b *runtime.Builder) {
		b.Output("y", b.Op("conv", nil, x(b, 1, 2, 5, 5), weight(b, "w", 1, 4, 2, 3, 3), weight(b, "bias", 2, 4)))
	}
	conv1d := func(b *runtime.Builder) { b.Output("y", b.Op("conv", nil, x(b, 1, 2, 5), weight(b, "w", 1, 4, 2, 3))) }
	matmul := func(b *runtime.Builder) {
		b.Output("y", b.Op("relu", nil, b.Op("matmul", nil, x(b, 2, 4), weight(b, "w", 1, 4, 3))))
	}
	twoInputMatmul := func(b *runtime.Builder) { b.Output("z", b.Op("matmul", nil, x(b, 2, 3), in(b, "v", 3, 4))) }
	batchNorm := func(b *runtime.Builder) {
		pos := []float32{1, 2, 3, 4}
		b.Output("y", b.Op("batch_norm", nil, x(b, 1, 4, 2, 2), weight(b, "s", 1, 4), weight(b, "o", 2, 4),
			weight(b, "m", 3, 4), constant(b, "v", pos, 4)))
	}
	addConst := func(b *runtime.Builder) { b.Output("y", b.Op("add", nil, x(b, 2, 3), weight(b, "c", 1, 2, 3))) }
	concat := func(b *runtime.Builder) {
		b.Output("y", b.Op("concat", ops.Attrs{"axis": 0}, x(b, 2, 3), in(b, "u", 2, 3)))
	}
	split := func(b *runtime.Builder) {
		outs := b.NamedOp("s", "split", 2, ops.Attrs{"axis": 1, "split": []int{1, 2}}, x(b, 2, 3))
		b.Output("y", outs[0])
		b.Output("z", outs[1])
	}
	layerOf := func(t *testing.T, m pbModel, kind string) pbLayer {
		for _, l := range m.layers {
			if l.kind == kind {
				return l
			}
		}
		t.Fatalf("no %s layer in %v", kind, layersOf(m))
		return pbLayer{}
	}
	params := func(t *testing.T, m *pbModel, kind string) pb { return layerOf(t, *m, kind).params }
	index := func(t *testing.T, m *pbModel, kind string) int {
		i := slices.IndexFunc(m.layers, func(l pbLayer) bool { return l.kind == kind })
		require.NotEqual(t, -1, i, "no %s layer in %v", kind, layersOf(*m))
		return i
	}
	for _, tc := range []struct {
		rule  string
		what  string
		prec  Precision
		build func(b *runtime.Builder)
		brk   func(t *testing.T, m *pbModel)
	}{
		{"pooling.padding-type", "global pooling without a padding type (issue 17's first rejection)", Float32, globalPool,
			func(t *testing.T, m *pbModel) { delete(params(t, m, "pooling").f, 30) }},
		{"layerNorm.params", "float16 layer-norm gamma (issue 17's second rejection)", Float16, layerNorm,
			func(t *testing.T, m *pbModel) { setField(params(t, m, "layerNormalization"), 3, halfWeights(6)) }},
		{"spec-version", "no specification version", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.version = 0 }},
		{"spec-version-features", "specification version 3 with N-d layers", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.version = 3 }},
		{"exact-array-mapping", "RANK5 array mapping with N-d layers", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.mapping = 0 }},
		{"io-present", "no output features", Float32, matmul,
			func(t *testing.T, m *pbModel) { delete(m.desc.f, pbDescOutput) }},
		{"input-not-optional", "the only input optional", Float32, matmul,
			func(t *testing.T, m *pbModel) {
				editFeature(m, pbDescInput, "x", func(ty pb) { setVarint(ty, pbFeatureOptional, 1) })
			}},
		{"feature-valid", "an input of data type 0", Float32, matmul,
			func(t *testing.T, m *pbModel) {
				editFeature(m, pbDescInput, "x", func(ty pb) {
					editMsgs(ty, pbTypeMultiArray, func(arr pb) { delete(arr.f, pbArrayDataType) })
				})
			}},
		{"layers-present", "no layers", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.layers = nil }},
		{"layer-names", "two layers of one name", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.layers[1].name = m.layers[0].name }},
		{"blob-defined", "a layer reading an undefined blob", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.layers[index(t, m, "activation")].inputs = []string{"nowhere"} }},
		{"blob-single-producer", "a blob produced twice", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.layers[index(t, m, "activation")].outputs = []string{"x"} }},
		{"outputs-produced", "a model output no layer produces", Float32, matmul,
			func(t *testing.T, m *pbModel) { m.layers[index(t, m, "activation")].outputs = []string{"elsewhere"} }},
		{"outputs-shape", "an output description with the wrong shape", Float32, matmul,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescOutput, "y", 3, 2) }},
		{"io-count", "an activation with two inputs", Float32, matmul,
			func(t *testing.T, m *pbModel) {
				i := index(t, m, "activation")
				m.layers[i].inputs = append(m.layers[i].inputs, "x")
			}},
		{"rank", "pooling of a rank-3 input", Float32, globalPool,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescInput, "x", 3, 4, 4) }},
		{"weights-one-type", "matmul weights with float32 and float16 storage", Float16, matmul,
			func(t *testing.T, m *pbModel) {
				editMsgs(params(t, m, "batchedMatmul"), 8, func(w pb) { w.f[pbWeightFloat] = floatWeightsField(12) })
			}},
		{"conv.padding-type", "convolution without a padding type", Float32, conv,
			func(t *testing.T, m *pbModel) { delete(params(t, m, "convolution").f, 50) }},
		{"conv.dynamic-weights", "a deconvolution with weights as an input", Float32, conv,
			func(t *testing.T, m *pbModel) {
				i := index(t, m, "convolution")
				m.layers[i].inputs = append(m.layers[i].inputs, "x")
				setVarint(m.layers[i].params, 60, 1)
			}},
		{"conv.weights", "convolution weights one short", Float32, conv,
			func(t *testing.T, m *pbModel) { setField(params(t, m, "convolution"), 90, floatWeights(4*2*3*3-1)) }},
		{"conv.bias", "convolution bias in float32 with float16 weights", Float16, conv,
			func(t *testing.T, m *pbModel) { setField(params(t, m, "convolution"), 91, floatWeights(4)) }},
		{"conv.shape", "kernel channels that do not match the input", Float32, conv,
			func(t *testing.T, m *pbModel) {
				setVarint(params(t, m, "convolution"), 2, 3)
				setField(params(t, m, "convolution"), 90, floatWeights(4*3*3*3))
			}},
		{"pooling.shape", "pooling type 7", Float32, globalPool,
			func(t *testing.T, m *pbModel) { setVarint(params(t, m, "pooling"), 1, 7) }},
		{"activation.type", "an activation with two non-linearities", Float32, matmul,
			func(t *testing.T, m *pbModel) { setField(params(t, m, "activation"), 40, nil) }},
		{"batchnorm.params", "batchnorm gamma one short", Float32, batchNorm,
			func(t *testing.T, m *pbModel) { setField(params(t, m, "batchnorm"), 15, floatWeights(3)) }},
		{"batchnorm.shape", "batchnorm channels that are not dim -3", Float32, batchNorm,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescInput, "x", 1, 2, 4, 2) }},
		{"lrn.k", "lrn k below 0", Float32, unary("lrn", ops.Attrs{"size": 3}, 1, 4, 2, 2),
			func(t *testing.T, m *pbModel) { setFloat(params(t, m, "lrn"), 4, -1) }},
		{"padding.params", "reflection padding without its type", Float32,
			unary("pad", ops.Attrs{"pads": []int{0, 0, 1, 1, 0, 0, 1, 1}, "mode": "reflect"}, 1, 1, 3, 3),
			func(t *testing.T, m *pbModel) { delete(params(t, m, "padding").f, 2) }},
		{"unary.type", "unary operation 9", Float32, unary("sqrt", nil, 2, 3),
			func(t *testing.T, m *pbModel) { setVarint(params(t, m, "unary"), 1, 9) }},
		{"clip.range", "clip with minval above maxval", Float32, unary("clip", ops.Attrs{"min": -1.0, "max": 1.0}, 2, 3),
			func(t *testing.T, m *pbModel) { setFloat(params(t, m, "clip"), 1, 5) }},
		{"axis", "softmax over axis 2 of a rank-2 input", Float32, unary("softmax", nil, 2, 3),
			func(t *testing.T, m *pbModel) { setVarint(params(t, m, "softmaxND"), 1, 2) }},
		{"concatND.shape", "concatenation of mismatched inputs", Float32, concat,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescInput, "u", 2, 4) }},
		{"splitND.params", "split sizes that do not sum to the dim", Float32, split,
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "splitND"), 3, 1, 1) }},
		{"transpose.axes", "transpose axes that are no permutation", Float32, unary("transpose", ops.Attrs{"perm": []int{1, 0}}, 2, 3),
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "transpose"), 1, 0, 0) }},
		{"sliceStatic.params", "a slice without end masks", Float32,
			unary("slice", ops.Attrs{"starts": []int{1}, "ends": []int{3}, "axes": []int{1}}, 2, 3),
			func(t *testing.T, m *pbModel) { delete(params(t, m, "sliceStatic").f, 4) }},
		{"batchedMatmul.params", "a two-input matmul with a bias", Float32, twoInputMatmul,
			func(t *testing.T, m *pbModel) { setVarint(params(t, m, "batchedMatmul"), 7, 1) }},
		{"batchedMatmul.shape", "a matmul input whose last dim is not the weights' first", Float32, matmul,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescInput, "x", 2, 5) }},
		{"loadConstantND.params", "a constant of 6 values with shape [7]", Float32, addConst,
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "loadConstantND"), 1, 7) }},
		{"target-shape", "a reshape that changes the element count", Float32, unary("reshape", ops.Attrs{"shape": []int{3, 2}}, 2, 3),
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "reshapeStatic"), 1, 5) }},
		{"squeeze-expand.axes", "expandDims with a repeated axis", Float32, conv1d,
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "expandDims"), 1, 1, 1) }},
		{"constantPad.params", "constant padding with an odd padAmounts", Float32, unary("pad", ops.Attrs{"pads": []int{1, 0, 0, 1}}, 2, 3),
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "constantPad"), 2, 1, 0, 0) }},
		{"layerNorm.shape", "a normalized shape that is not the input's trailing dims", Float32, layerNorm,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescInput, "x", 6, 2) }},
		{"tile.reps", "tile reps of 0", Float32, unary("tile", ops.Attrs{"repeats": []int{2, 1}}, 2, 3),
			func(t *testing.T, m *pbModel) { setPacked(params(t, m, "tile"), 1, 0, 1) }},
		{"broadcast.shape", "an add of shapes that do not broadcast", Float32, addConst,
			func(t *testing.T, m *pbModel) { setFeatureShape(m, pbDescInput, "x", 4, 3) }},
		{"gelu.mode", "gelu mode 5", Float32, unary("gelu", nil, 2, 3),
			func(t *testing.T, m *pbModel) { setVarint(params(t, m, "gelu"), 1, 5) }},
	} {
		t.Run(tc.rule+"/"+tc.what, func(t *testing.T) {
			b := runtime.NewBuilder("broken")
			tc.build(b)
			a, err := b.Build()
			require.NoError(t, err)
			data, err := Convert(a, tc.prec)
			require.NoError(t, err)
			m := decodeModel(t, data)
			bad, _ := checkRules(m)
			require.Empty(t, bad, "the unbroken model passes")
			tc.brk(t, &m)
			bad, _ = checkRules(m)
			require.Truef(t, hasRule(bad, tc.rule), "want rule %s among %v", tc.rule, bad)
		})
	}
}

// TestRuleCheckerCatchesEveryRule requires a broken model per rule in
// TestRuleCheckerCatches (by the rule ids it names).
func TestRuleCheckerCatchesEveryRule(t *testing.T) {
	src, err := os.ReadFile("rules_cases_test.go")
	require.NoError(t, err)
	for _, r := range coremlRules {
		require.Contains(t, string(src), "{\""+r.id+"\", \"", "rule %s has no broken model in TestRuleCheckerCatches", r.id)
	}
}

func hasRule(bad []string, rule string) bool {
	for _, b := range bad {
		if strings.HasPrefix(b, rule+": ") {
			return true
		}
	}
	return false
}

// TestRuleDocsListEveryRule keeps docs/coreml.md's table of rules complete.
func TestRuleDocsListEveryRule(t *testing.T) {
	doc, err := os.ReadFile("../../docs/coreml.md")
	require.NoError(t, err)
	for _, r := range coremlRules {
		require.Contains(t, string(doc), "| `"+r.id+"` |", "docs/coreml.md does not list rule %s", r.id)
	}
}

// setField replaces message field num of p with the encoded message body.
func setField(p pb, num protowire.Number, body []byte) {
	p.f[num] = []pbField{{typ: protowire.BytesType, b: body}}
}

// setFloat replaces float field num of p.
func setFloat(p pb, num protowire.Number, v float32) {
	p.f[num] = []pbField{{typ: protowire.Fixed32Type, u: uint64(math.Float32bits(v))}}
}

// setPacked replaces repeated int field num of p with packed values.
func setPacked(p pb, num protowire.Number, vs ...int) {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(int64(v)))
	}
	p.f[num] = []pbField{{typ: protowire.BytesType, b: b}}
}

// editMsgs decodes each occurrence of message field num of p, lets fn
// change it, and writes it back.
func editMsgs(p pb, num protowire.Number, fn func(q pb)) {
	for i, f := range p.f[num] {
		q := decodePB(p.t, f.b)
		fn(q)
		p.f[num][i].b = encodePB(q)
	}
}

// editFeature lets fn change the FeatureType of input or output feature name.
func editFeature(m *pbModel, field protowire.Number, name string, fn func(ty pb)) {
	editMsgs(m.desc, field, func(f pb) {
		if f.str(pbFeatureName) == name {
			editMsgs(f, pbFeatureType, fn)
		}
	})
}

// setFeatureShape rewrites the MultiArray shape of a feature description.
func setFeatureShape(m *pbModel, field protowire.Number, name string, shape ...int) {
	editFeature(m, field, name, func(ty pb) {
		editMsgs(ty, pbTypeMultiArray, func(arr pb) { setPacked(arr, pbArrayShape, shape...) })
	})
}

// setVarint replaces varint field num of p.
func setVarint(p pb, num protowire.Number, v uint64) {
	p.f[num] = []pbField{{typ: protowire.VarintType, u: v}}
}

// floatWeightsField is a packed floatValue field of n zeros.
func floatWeightsField(n int) []pbField {
	return []pbField{{typ: protowire.BytesType, b: make([]byte, 4*n)}}
}

// floatWeights is a WeightParams body with n float32 values.
func floatWeights(n int) []byte {
	b := protowire.AppendTag(nil, pbWeightFloat, protowire.BytesType)
	return protowire.AppendBytes(b, make([]byte, 4*n))
}

// halfWeights is a WeightParams body with n float16 values.
func halfWeights(n int) []byte {
	b := protowire.AppendTag(nil, pbWeightHalf, protowire.BytesType)
	return protowire.AppendBytes(b, make([]byte, 2*n))
}

// encodePB writes a decoded message back (fields by number; the order
// within a repeated field is kept, which is all protobuf promises).
func encodePB(m pb) []byte {
	var out []byte
	for _, num := range sortedNums(m.f) {
		for _, f := range m.f[num] {
			out = protowire.AppendTag(out, num, f.typ)
			switch f.typ {
			case protowire.VarintType:
				out = protowire.AppendVarint(out, f.u)
			case protowire.Fixed32Type:
				out = protowire.AppendFixed32(out, uint32(f.u))
			case protowire.Fixed64Type:
				out = protowire.AppendFixed64(out, f.u)
			case protowire.BytesType:
				out = protowire.AppendBytes(out, f.b)
			}
		}
	}
	return out
}

func sortedNums(f map[protowire.Number][]pbField) []protowire.Number {
	nums := keys(f)
	for i := range nums {
		for j := i + 1; j < len(nums); j++ {
			if nums[j] < nums[i] {
				nums[i], nums[j] = nums[j], nums[i]
			}
		}
	}
	return nums
}
