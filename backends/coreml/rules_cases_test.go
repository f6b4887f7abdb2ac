package coreml

import (
	"errors"
	"fmt"
	"hash/fnv"
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

func TestCoreMLRulesOpCases(t *testing.T) {
	applied := map[string]int{}
	accepted, refused, built := 0, 0, 0
	for _, rc := range opRuleCases() {
		a, err := rc.build()
		require.NoError(t, err, rc.name)
		built++
		if err := CheckSupport(a); err != nil {
			require.ErrorIs(t, err, runtime.ErrUnsupported, rc.name)
			refused++
			continue
		}
		accepted++
		for _, p := range []Precision{Float32, Float16} {
			data, err := Convert(a, p)
			if p == Float16 && errors.Is(err, runtime.ErrUnsupported) && strings.Contains(err.Error(), "float16's range") {
				continue // a weight beyond float16: refused by name, as TestFloat16OverflowIsNamed checks
			}
			require.NoError(t, err, "%s %v: CheckSupport accepted it", rc.name, p)
			addApplied(applied, requireRules(t, data, fmt.Sprintf("%s, %v", rc.name, p)))
		}
	}
	t.Logf("op cases: %d built, %d accepted and checked in float32 and float16, %d refused by CheckSupport; %d rule evaluations",
		built, accepted, refused, total(applied))
	require.Greater(t, accepted, 400, "the op cases the converter accepts")
	require.Empty(t, ruleCoverage(applied), "rules that no accepted case evaluates")
}

// TestRuleCheckerCatches breaks converted models the way a converter bug
// would and requires the checker to name the rule broken: the checker is
// only worth running if it fails on what Core ML refuses.
func TestRuleCheckerCatches(t *testing.T) {
	convert := func(t *testing.T, p Precision, build func(b *runtime.Builder)) pbModel {
		b := runtime.NewBuilder("broken")
		build(b)
		a, err := b.Build()
		require.NoError(t, err)
		data, err := Convert(a, p)
		require.NoError(t, err)
		m := decodeModel(t, data)
		bad, _ := checkRules(m)
		require.Empty(t, bad, "the unbroken model passes")
		return m
	}
	globalPool := func(b *runtime.Builder) { b.Output("y", b.Op("global_avg_pool", nil, in(b, "x", 1, 3, 4, 4))) }
	layerNorm := func(b *runtime.Builder) {
		b.Output("y", b.Op("layer_norm", nil, in(b, "x", 2, 6), weight(b, "g", 1, 6), weight(b, "b", 2, 6)))
	}
	conv := func(b *runtime.Builder) {
		b.Output("y", b.Op("conv", nil, in(b, "x", 1, 2, 5, 5), weight(b, "w", 1, 4, 2, 3, 3), weight(b, "bias", 2, 4)))
	}
	matmul := func(b *runtime.Builder) {
		b.Output("y", b.Op("relu", nil, b.Op("matmul", nil, in(b, "x", 2, 4), weight(b, "w", 1, 4, 3))))
	}
	twoInputMatmul := func(b *runtime.Builder) { b.Output("z", b.Op("matmul", nil, in(b, "x", 2, 3), in(b, "y", 3, 4))) }
	layerOf := func(m pbModel, kind string) *pbLayer {
		for i := range m.layers {
			if m.layers[i].kind == kind {
				return &m.layers[i]
			}
		}
		t.Fatalf("no %s layer", kind)
		return nil
	}
	for _, tc := range []struct {
		name  string
		prec  Precision
		build func(b *runtime.Builder)
		brk   func(m *pbModel)
		rule  string
	}{
		{"global pooling without a padding type (issue 17's first rejection)", Float32, globalPool,
			func(m *pbModel) { delete(layerOf(*m, "pooling").params.f, 30) }, "pooling.padding-type"},
		{"float16 layer-norm gamma (issue 17's second rejection)", Float16, layerNorm,
			func(m *pbModel) {
				setField(layerOf(*m, "layerNormalization").params, 3, halfWeights(6))
			}, "layerNorm.params"},
		{"convolution weights one short", Float32, conv,
			func(m *pbModel) { setField(layerOf(*m, "convolution").params, 90, floatWeights(4*2*3*3-1)) }, "conv.weights"},
		{"convolution bias in float32 with float16 weights", Float16, conv,
			func(m *pbModel) { setField(layerOf(*m, "convolution").params, 91, floatWeights(4)) }, "conv.bias"},
		{"convolution without a padding type", Float32, conv,
			func(m *pbModel) { delete(layerOf(*m, "convolution").params.f, 50) }, "conv.padding-type"},
		{"kernel channels that do not match the input", Float32, conv,
			func(m *pbModel) { setVarint(layerOf(*m, "convolution").params, 2, 3) }, "conv.shape"},
		{"matmul weights with float32 and float16 storage", Float16, matmul,
			func(m *pbModel) {
				l := layerOf(*m, "batchedMatmul")
				w := l.params.msg(8)
				w.f[pbWeightFloat] = floatWeightsField(12)
				l.params.f[8] = []pbField{{typ: protowire.BytesType, b: encodePB(w)}}
			}, "weights-one-type"},
		{"two-input matmul with a bias", Float32, twoInputMatmul,
			func(m *pbModel) { setVarint(layerOf(*m, "batchedMatmul").params, 7, 1) }, "batchedMatmul.params"},
		{"a layer reading an undefined blob", Float32, matmul,
			func(m *pbModel) { layerOf(*m, "activation").inputs = []string{"nowhere"} }, "blob-defined"},
		{"a blob produced twice", Float32, matmul,
			func(m *pbModel) { layerOf(*m, "activation").outputs = []string{"x"} }, "blob-single-producer"},
		{"a model output no layer produces", Float32, matmul,
			func(m *pbModel) { layerOf(*m, "activation").outputs = []string{"elsewhere"} }, "outputs-produced"},
		{"an output description with the wrong shape", Float32, matmul,
			func(m *pbModel) { m.outputs["y"] = []int{3, 2} }, "outputs-shape"},
		{"specification version 3 with N-d layers", Float32, matmul,
			func(m *pbModel) { m.version = 3 }, "spec-version-features"},
		{"RANK5 array mapping with N-d layers", Float32, matmul,
			func(m *pbModel) { m.mapping = 0 }, "exact-array-mapping"},
		{"two layers of one name", Float32, matmul,
			func(m *pbModel) { m.layers[1].name = m.layers[0].name }, "layer-names"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := convert(t, tc.prec, tc.build)
			tc.brk(&m)
			bad, _ := checkRules(m)
			require.NotEmpty(t, bad, "the broken model passes")
			require.Truef(t, strings.HasPrefix(bad[0], tc.rule+": ") || hasRule(bad, tc.rule),
				"want rule %s among %v", tc.rule, bad)
		})
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

// setField replaces message field num of p with the encoded message body.
func setField(p pb, num protowire.Number, body []byte) {
	p.f[num] = []pbField{{typ: protowire.BytesType, b: body}}
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
