package coreml

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// A minimal protobuf reader for the tests, written apart from the encoder so
// that a mistake in one is not mirrored by the other. Field numbers used by
// the tests are the pb* constants below, transcribed again from Core ML's
// Model.proto, FeatureTypes.proto and NeuralNetwork.proto (apple/coremltools,
// mlmodel/format, BSD-3-Clause) rather than taken from schema.go.

const (
	pbModelSpecVersion = 1
	pbModelDescription = 2
	pbModelNN          = 500

	pbDescInput, pbDescOutput, pbDescMetadata = 1, 10, 100
	pbFeatureName, pbFeatureType              = 1, 3
	pbTypeMultiArray                          = 5
	pbArrayShape, pbArrayDataType             = 1, 2
	pbFLOAT32                                 = 0x10000 | 32
	pbMetaUserDefined                         = 100

	pbNNLayers, pbNNArrayMapping = 1, 5
	pbLayerName, pbLayerInput    = 1, 2
	pbLayerOutput                = 3

	pbWeightFloat, pbWeightHalf = 1, 2
)

// Layer-type field numbers of NeuralNetworkLayer's oneof, by the schema's names.
var pbLayerKinds = map[int]string{
	100: "convolution", 120: "pooling", 130: "activation", 160: "batchnorm", 180: "lrn", 200: "padding",
	220: "unary", 660: "clip", 665: "ceil", 670: "floor", 680: "sign", 790: "erf", 795: "gelu",
	870: "minBroadcastable", 875: "maxBroadcastable", 880: "addBroadcastable", 885: "powBroadcastable",
	890: "divideBroadcastable", 900: "multiplyBroadcastable", 905: "subtractBroadcastable", 920: "tile",
	950: "softmaxND", 975: "splitND", 980: "concatND", 985: "transpose", 995: "sliceStatic",
	1045: "batchedMatmul", 1070: "loadConstantND", 1105: "broadcastToStatic", 1120: "squeeze",
	1125: "expandDims", 1140: "reshapeStatic", 1155: "constantPad", 1260: "reduceMax", 1265: "reduceMin",
	1270: "reduceSum", 1275: "reduceProd", 1280: "reduceMean", 1350: "layerNormalization",
}

// pbField is one occurrence of a field.
type pbField struct {
	typ protowire.Type
	u   uint64
	b   []byte
}

// pb is a decoded message: every occurrence of every field, in order.
type pb struct {
	t testing.TB
	f map[protowire.Number][]pbField
}

func decodePB(t testing.TB, b []byte) pb {
	t.Helper()
	m := pb{t: t, f: map[protowire.Number][]pbField{}}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		require.GreaterOrEqual(t, n, 0, "bad tag: %v", protowire.ParseError(n))
		b = b[n:]
		f := pbField{typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.u = uint64(v)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		require.GreaterOrEqual(t, n, 0, "field %d: %v", num, protowire.ParseError(n))
		b = b[n:]
		m.f[num] = append(m.f[num], f)
	}
	return m
}

func (m pb) has(num protowire.Number) bool { return len(m.f[num]) > 0 }

// msg decodes the one occurrence of message field num.
func (m pb) msg(num protowire.Number) pb {
	m.t.Helper()
	fs := m.f[num]
	require.Len(m.t, fs, 1, "message field %d", num)
	require.Equal(m.t, protowire.BytesType, fs[0].typ, "field %d", num)
	return decodePB(m.t, fs[0].b)
}

func (m pb) msgs(num protowire.Number) []pb {
	var out []pb
	for _, f := range m.f[num] {
		require.Equal(m.t, protowire.BytesType, f.typ)
		out = append(out, decodePB(m.t, f.b))
	}
	return out
}

func (m pb) strs(num protowire.Number) []string {
	var out []string
	for _, f := range m.f[num] {
		out = append(out, string(f.b))
	}
	return out
}

func (m pb) str(num protowire.Number) string {
	s := m.strs(num)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// uint returns the last value of a varint field, 0 (the default) if absent.
func (m pb) uint(num protowire.Number) uint64 {
	fs := m.f[num]
	if len(fs) == 0 {
		return 0
	}
	require.Equal(m.t, protowire.VarintType, fs[len(fs)-1].typ, "field %d", num)
	return fs[len(fs)-1].u
}

func (m pb) bool(num protowire.Number) bool { return m.uint(num) != 0 }

// ints returns a repeated int64/uint64 field, packed or not, as ints.
func (m pb) ints(num protowire.Number) []int {
	var out []int
	for _, f := range m.f[num] {
		if f.typ == protowire.VarintType {
			out = append(out, int(int64(f.u)))
			continue
		}
		for b := f.b; len(b) > 0; {
			v, n := protowire.ConsumeVarint(b)
			require.GreaterOrEqual(m.t, n, 0)
			out, b = append(out, int(int64(v))), b[n:]
		}
	}
	return out
}

func (m pb) bools(num protowire.Number) []bool {
	var out []bool
	for _, v := range m.ints(num) {
		out = append(out, v != 0)
	}
	return out
}

// float returns a float field, 0 if absent.
func (m pb) float(num protowire.Number) float32 {
	fs := m.f[num]
	if len(fs) == 0 {
		return 0
	}
	require.Equal(m.t, protowire.Fixed32Type, fs[len(fs)-1].typ, "field %d", num)
	return math.Float32frombits(uint32(fs[len(fs)-1].u))
}

// floats returns a repeated float field, packed or not.
func (m pb) floats(num protowire.Number) []float32 {
	var out []float32
	for _, f := range m.f[num] {
		if f.typ == protowire.Fixed32Type {
			out = append(out, math.Float32frombits(uint32(f.u)))
			continue
		}
		require.Zero(m.t, len(f.b)%4, "packed floats of field %d", num)
		for i := 0; i < len(f.b); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(f.b[i:])))
		}
	}
	return out
}

// halves returns a bytes field of little-endian float16 bit patterns.
func (m pb) halves(num protowire.Number) []uint16 {
	var out []uint16
	for _, f := range m.f[num] {
		require.Zero(m.t, len(f.b)%2)
		for i := 0; i < len(f.b); i += 2 {
			out = append(out, binary.LittleEndian.Uint16(f.b[i:]))
		}
	}
	return out
}

// pbLayer is a decoded NeuralNetworkLayer.
type pbLayer struct {
	name    string
	inputs  []string
	outputs []string
	kind    string // the schema's name of the oneof member
	params  pb     // that member's message
}

// pbModel is a decoded Model with a NeuralNetwork.
type pbModel struct {
	version  int
	inputs   map[string][]int // feature name -> MultiArray shape
	outputs  map[string][]int
	inOrder  []string
	outOrder []string
	meta     map[string]string
	mapping  int
	layers   []pbLayer
	desc     pb // the ModelDescription as stored, for the rule checker
	nn       pb // the NeuralNetwork as stored
}

func decodeModel(t testing.TB, b []byte) pbModel {
	t.Helper()
	m := decodePB(t, b)
	out := pbModel{version: int(m.uint(pbModelSpecVersion)), inputs: map[string][]int{}, outputs: map[string][]int{},
		meta: map[string]string{}}
	desc := m.msg(pbModelDescription)
	feature := func(f pb) (string, []int) {
		arr := f.msg(pbFeatureType).msg(pbTypeMultiArray)
		require.EqualValues(t, pbFLOAT32, arr.uint(pbArrayDataType), "feature %q data type", f.str(pbFeatureName))
		return f.str(pbFeatureName), arr.ints(pbArrayShape)
	}
	for _, f := range desc.msgs(pbDescInput) {
		name, shape := feature(f)
		out.inputs[name] = shape
		out.inOrder = append(out.inOrder, name)
	}
	for _, f := range desc.msgs(pbDescOutput) {
		name, shape := feature(f)
		out.outputs[name] = shape
		out.outOrder = append(out.outOrder, name)
	}
	for _, e := range desc.msg(pbDescMetadata).msgs(pbMetaUserDefined) {
		out.meta[e.str(1)] = e.str(2)
	}
	nn := m.msg(pbModelNN)
	out.desc, out.nn = desc, nn
	out.mapping = int(nn.uint(pbNNArrayMapping))
	for _, l := range nn.msgs(pbNNLayers) {
		pl := pbLayer{name: l.str(pbLayerName), inputs: l.strs(pbLayerInput), outputs: l.strs(pbLayerOutput)}
		for num := range l.f {
			if kind, ok := pbLayerKinds[int(num)]; ok {
				require.Empty(t, pl.kind, "layer %q sets two layer types", pl.name)
				pl.kind, pl.params = kind, l.msg(num)
			}
		}
		require.NotEmpty(t, pl.kind, "layer %q has no known layer type (fields %v)", pl.name, keys(l.f))
		out.layers = append(out.layers, pl)
	}
	return out
}

func keys[K comparable, V any](m map[K]V) []K {
	var out []K
	for k := range m {
		out = append(out, k)
	}
	return out
}

// weightValues returns a WeightParams message's values as float32: floatValue
// as stored, float16Value widened. half reports which one was set.
func weightValues(t testing.TB, w pb) (vals []float32, half bool) {
	t.Helper()
	require.False(t, w.has(pbWeightFloat) && w.has(pbWeightHalf), "both float and half weights set")
	if w.has(pbWeightHalf) {
		for _, h := range w.halves(pbWeightHalf) {
			vals = append(vals, halfToFloat(h))
		}
		return vals, true
	}
	return w.floats(pbWeightFloat), false
}

// halfToFloat widens IEEE binary16 bits by hand (no library), for the tests'
// own view of what the float16 bytes mean.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac·2^-24
		v := float32(frac) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

func TestHalfToFloatHandValues(t *testing.T) {
	// IEEE binary16 bit patterns worked out by hand: 0x3C00 = 2^0; 0xC000 = −2;
	// 0x3555 = 2^-2·(1+0x155/1024) = 0.333251953125; 0x7BFF = 2^15·(1+1023/1024)
	// = 65504; 0x0001 = 2^-24; 0x7C00 = +Inf.
	for h, want := range map[uint16]float32{0x3C00: 1, 0xC000: -2, 0x3555: 0.333251953125, 0x7BFF: 65504,
		0x0001: float32(math.Ldexp(1, -24)), 0x7C00: float32(math.Inf(1)), 0x8000: float32(math.Copysign(0, -1))} {
		require.Equal(t, math.Float32bits(want), math.Float32bits(halfToFloat(h)), "0x%04X", h)
	}
}

// protowireN is a field number of the tests' own tables.
func protowireN(n int) protowire.Number { return protowire.Number(n) }
