package onnxpb

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// sampleTensors holds one tensor per storage form the data model has.
func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "raw", Dims: []int64{2}, DataType: Float, RawData: []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}},
		{Name: "floats", Dims: []int64{2, 1}, DataType: Float, FloatData: []float32{1.5, -2}},
		{Name: "doubles", Dims: []int64{1}, DataType: Double, DoubleData: []float64{math.Pi}},
		{Name: "int32s", Dims: []int64{3}, DataType: Int8, Int32Data: []int32{-128, 0, 127}},
		{Name: "int64s", Dims: []int64{2}, DataType: Int64, Int64Data: []int64{math.MinInt64, math.MaxInt64}},
		{Name: "uint64s", Dims: []int64{1}, DataType: Uint64, Uint64Data: []uint64{math.MaxUint64}},
		{Name: "strings", Dims: []int64{2}, DataType: String, StringData: [][]byte{[]byte("a"), nil}},
		{Name: "external", Dims: []int64{4}, DataType: Float, DataLocation: DataExternal,
			ExternalData: []StringPair{{"location", "w.bin"}, {"offset", "16"}, {"length", "16"}}},
		{Name: "scalar", DataType: Int32, Int32Data: []int32{-7}},
		{Name: "empty", Dims: []int64{0, 3}, DataType: Float},
	}
}

// sampleModel uses every field of the data model the encoder can write and
// every attribute type.
func sampleModel() *Model {
	body := &Graph{
		Name:    "body",
		Nodes:   []Node{{OpType: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		Inputs:  []ValueInfo{{Name: "x"}},
		Outputs: []ValueInfo{{Name: "y", Type: &Type{Kind: "sequence"}}},
	}
	ts := sampleTensors()
	attrs := []Attribute{
		{Name: "alpha", Type: AttrFloat, F: 0.25},
		{Name: "zero", Type: AttrFloat}, // written even though 0
		{Name: "axis", Type: AttrInt, I: -1},
		{Name: "mode", Type: AttrString, S: []byte("constant")},
		{Name: "value", Type: AttrTensor, T: &ts[1]},
		{Name: "then_branch", Type: AttrGraph, G: body},
		{Name: "scales", Type: AttrFloats, Floats: []float32{1, float32(math.Inf(-1)), -0.5}},
		{Name: "pads", Type: AttrInts, Ints: []int64{0, 1, -2, math.MaxInt64}},
		{Name: "names", Type: AttrStrings, Strings: [][]byte{[]byte("a"), nil, []byte("ccc")}},
		{Name: "consts", Type: AttrTensors, Tensors: []Tensor{ts[0], ts[3]}},
		{Name: "branches", Type: AttrGraphs, Graphs: []Graph{*body, {Name: "empty"}}},
		{Name: "sparse", Type: AttrSparseTensor},
		{Name: "tp", Type: AttrTypeProto},
		{Name: "ref", Type: AttrInt, RefAttrName: "outer"},
	}
	return &Model{
		IRVersion:       9,
		OpsetImports:    []OpsetID{{Version: 21}, {Domain: "com.microsoft", Version: 1}},
		ProducerName:    "backplane-test",
		ProducerVersion: "0.1",
		Domain:          "ai.backplane",
		ModelVersion:    3,
		DocString:       "sample",
		Metadata:        []StringPair{{"author", "me"}, {"", ""}},
		Graph: &Graph{
			Name: "main",
			Nodes: []Node{
				{Name: "n0", OpType: "Everything", Domain: "ai.backplane.test", Inputs: []string{"x", "", "raw"},
					Outputs: []string{"y", ""}, Attributes: attrs},
				{OpType: "Relu", Inputs: []string{"y"}, Outputs: []string{"z"}},
			},
			Initializers: ts,
			Inputs: []ValueInfo{{Name: "x", Type: &Type{Kind: "tensor", Tensor: &TensorType{ElemType: Float,
				Shape: &Shape{Dims: []Dim{{Param: "N"}, {Value: 3, HasValue: true}, {Value: 0, HasValue: true}, {}}}}}}},
			Outputs: []ValueInfo{{Name: "z", Type: &Type{Kind: "tensor", Tensor: &TensorType{ElemType: Float}}}},
			ValueInfo: []ValueInfo{
				{Name: "y", Type: &Type{Kind: "tensor", Tensor: &TensorType{Shape: &Shape{}}}},
				{Name: "m", Type: &Type{Kind: "map"}},
				{Name: "o", Type: &Type{Kind: "optional"}},
				{Name: "s", Type: &Type{Kind: "sparse_tensor"}},
				{Name: "q", Type: &Type{Kind: "opaque"}},
				{Name: "u", Type: &Type{Kind: "unknown"}},
				{Name: "notype"},
			},
		},
	}
}

func TestModelRoundTrip(t *testing.T) {
	m := sampleModel()
	b, err := EncodeModel(m)
	require.NoError(t, err)
	got, err := DecodeModel(b)
	require.NoError(t, err)
	require.Equal(t, m, got)

	// Deterministic: encoding the decoded model gives the same bytes.
	b2, err := EncodeModel(got)
	require.NoError(t, err)
	require.Equal(t, b, b2)
}

func TestTensorRoundTrip(t *testing.T) {
	for _, tc := range sampleTensors() {
		t.Run(tc.Name, func(t *testing.T) {
			b, err := EncodeTensor(&tc)
			require.NoError(t, err)
			got, err := DecodeTensor(b)
			require.NoError(t, err)
			require.Equal(t, &tc, got)
		})
	}
}

func TestEncodeTensorBytes(t *testing.T) {
	// The encoder's exact output for a small tensor, field by field.
	tp := &Tensor{Name: "w", Dims: []int64{2}, DataType: Float, FloatData: []float32{1, 2}}
	want := []byte{
		0x08, 0x02, // field 1 (dims) varint: 2
		0x10, 0x01, // field 2 (data_type) varint: 1 = FLOAT
		0x22, 0x08, // field 4 (float_data) length-delimited, 8 bytes (packed)
		0x00, 0x00, 0x80, 0x3f, // 1.0f little-endian
		0x00, 0x00, 0x00, 0x40, // 2.0f
		0x42, 0x01, 'w', // field 8 (name) "w"
	}
	b, err := EncodeTensor(tp)
	require.NoError(t, err)
	require.Equal(t, want, b)
}

func TestEncodeErrors(t *testing.T) {
	cyclic := &Graph{Name: "loop"}
	cyclic.Nodes = []Node{{OpType: "If", Attributes: []Attribute{{Name: "g", Type: AttrGraph, G: cyclic}}}}
	tests := []struct {
		name  string
		model *Model
		is    error
		msg   string
	}{
		{"functions", &Model{Functions: 1}, ErrUnsupported, "functions"},
		{"sparse initializer", &Model{Graph: &Graph{SparseInitializers: 2}}, ErrUnsupported, "graph: "},
		{"segment", &Model{Graph: &Graph{Initializers: []Tensor{{Name: "w", HasSegment: true}}}},
			ErrUnsupported, `graph.initializer[0] "w": `},
		{"cycle", &Model{Graph: cyclic}, ErrLimit, "nested more than 32"},
		{"dim both", &Model{Graph: &Graph{Inputs: []ValueInfo{{Name: "x", Type: &Type{Tensor: &TensorType{
			Shape: &Shape{Dims: []Dim{{}, {Value: 1, HasValue: true, Param: "N"}}}}}}}}},
			ErrMalformed, `graph.input[0] "x".type.tensor_type.shape.dim[1]: `},
		{"dim value without HasValue", &Model{Graph: &Graph{Inputs: []ValueInfo{{Type: &Type{Tensor: &TensorType{
			Shape: &Shape{Dims: []Dim{{Value: 4}}}}}}}}}, ErrMalformed, "without HasValue"},
		{"kind contradicts tensor", &Model{Graph: &Graph{Outputs: []ValueInfo{{Type: &Type{Kind: "map",
			Tensor: &TensorType{}}}}}}, ErrMalformed, `kind "map"`},
		{"bad kind", &Model{Graph: &Graph{Outputs: []ValueInfo{{Type: &Type{Kind: "tensor"}}}}},
			ErrMalformed, `kind "tensor" without`},
		{"nil", nil, ErrMalformed, "nil model"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeModel(tc.model)
			require.ErrorIs(t, err, tc.is)
			require.Contains(t, err.Error(), tc.msg)
			var de *DecodeError
			require.True(t, errors.As(err, &de))
		})
	}
}

func TestEncodeMaxDepthAllowed(t *testing.T) {
	// A chain of exactly MaxGraphDepth graphs encodes and decodes; one more
	// fails both ways.
	chain := func(depth int) *Model {
		g := &Graph{Name: "leaf"}
		for i := 1; i < depth; i++ {
			g = &Graph{Nodes: []Node{{OpType: "If", Attributes: []Attribute{{Name: "g", Type: AttrGraph, G: g}}}}}
		}
		return &Model{Graph: g}
	}
	b, err := EncodeModel(chain(MaxGraphDepth))
	require.NoError(t, err)
	m, err := DecodeModel(b)
	require.NoError(t, err)
	require.Equal(t, chain(MaxGraphDepth), m)

	_, err = EncodeModel(chain(MaxGraphDepth + 1))
	require.ErrorIs(t, err, ErrLimit)

	// Hand-nest one more level around the valid encoding's graph: the
	// decoder refuses it too.
	deeper := appendMsg(nil, 7, appendMsg(nil, 1, appendMsg(nil, 5, appendMsg(nil, 6, graphOf(t, b)))))
	_, err = DecodeModel(deeper)
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "graph.node[0].attribute[0].g.node[0]")
}
