package onnxpb

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

func TestDecodeTensorHandBytes(t *testing.T) {
	// The wire bytes of TensorProto{dims: [2], data_type: FLOAT, float_data: [1, 2]},
	// written out by hand in the forms a producer may use.
	packed := []byte{
		0x08, 0x02, // tag (field 1 dims << 3 | varint 0), value 2
		0x10, 0x01, // tag (field 2 data_type << 3 | varint 0), value 1 = FLOAT
		0x22, 0x08, // tag (field 4 float_data << 3 | length-delimited 2), 8 bytes follow
		0x00, 0x00, 0x80, 0x3f, // 1.0f: 0x3f800000 little-endian
		0x00, 0x00, 0x00, 0x40, // 2.0f: 0x40000000 little-endian
	}
	unpacked := []byte{
		0x0a, 0x01, 0x02, // dims packed instead: tag (1 << 3 | 2), 1 byte, varint 2
		0x25, 0x00, 0x00, 0x80, 0x3f, // tag (4 << 3 | fixed32 5), 1.0f
		0x10, 0x01, // data_type FLOAT, after the data: order does not matter
		0x25, 0x00, 0x00, 0x00, 0x40, // tag (4 << 3 | fixed32 5), 2.0f
		0xa0, 0x06, 0x07, // unknown field 100 (tag 100<<3 = 800 = varint a0 06), value 7: skipped
	}
	raw := []byte{
		0x08, 0x02, // dims [2]
		0x10, 0x01, // FLOAT
		0x4a, 0x08, // tag (field 9 raw_data << 3 | 2), 8 bytes
		0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40,
		0x42, 0x02, 'i', 'n', // tag (field 8 name << 3 | 2), "in"
	}
	want := &Tensor{Dims: []int64{2}, DataType: Float, FloatData: []float32{1, 2}}
	for name, b := range map[string][]byte{"packed": packed, "unpacked": unpacked} {
		got, err := DecodeTensor(b)
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
		tt, err := ToTensor(got, nil)
		require.NoError(t, err)
		require.Equal(t, []float32{1, 2}, tt.Data())
	}
	got, err := DecodeTensor(raw)
	require.NoError(t, err)
	require.Equal(t, "in", got.Name)
	tt, err := ToTensor(got, nil)
	require.NoError(t, err)
	require.Equal(t, []int{2}, []int(tt.Shape()))
	require.Equal(t, []float32{1, 2}, tt.Data())
}

// TestPackedUnpackedEquivalent encodes every repeated scalar field packed,
// unpacked and mixed (a packed run followed by single elements), and checks
// all three decode to the same values.
func TestPackedUnpackedEquivalent(t *testing.T) {
	varints := []uint64{0, 1, 300, math.MaxUint64}
	fixed32s := []uint32{0, 0x3f800000, math.MaxUint32}
	fixed64s := []uint64{0, math.Float64bits(-2.5)}
	type form int
	const (
		packedForm form = iota
		unpackedForm
		mixedForm
	)
	encodeVarints := func(num protowire.Number, vals []uint64, f form) []byte {
		var b []byte
		split := map[form]int{packedForm: len(vals), unpackedForm: 0, mixedForm: 2}[f]
		if split > 0 {
			var run []byte
			for _, v := range vals[:split] {
				run = protowire.AppendVarint(run, v)
			}
			b = appendMsg(b, num, run)
		}
		for _, v := range vals[split:] {
			b = appendVarintField(b, num, v)
		}
		return b
	}
	encodeFixed32 := func(num protowire.Number, vals []uint32, f form) []byte {
		var b []byte
		split := map[form]int{packedForm: len(vals), unpackedForm: 0, mixedForm: 1}[f]
		if split > 0 {
			var run []byte
			for _, v := range vals[:split] {
				run = protowire.AppendFixed32(run, v)
			}
			b = appendMsg(b, num, run)
		}
		for _, v := range vals[split:] {
			b = appendFixed32Field(b, num, v)
		}
		return b
	}
	encodeFixed64 := func(num protowire.Number, vals []uint64, f form) []byte {
		var b []byte
		split := map[form]int{packedForm: len(vals), unpackedForm: 0, mixedForm: 1}[f]
		if split > 0 {
			var run []byte
			for _, v := range vals[:split] {
				run = protowire.AppendFixed64(run, v)
			}
			b = appendMsg(b, num, run)
		}
		for _, v := range vals[split:] {
			b = appendFixed64Field(b, num, v)
		}
		return b
	}
	minus5 := int64(-5)
	int32s := []uint64{0, 1, uint64(minus5), math.MaxInt32} // a negative int32 is written sign-extended

	tensorWant := &Tensor{
		Dims:       []int64{0, 1, 300, -1},
		FloatData:  []float32{0, 1, math.Float32frombits(math.MaxUint32)},
		Int32Data:  []int32{0, 1, -5, math.MaxInt32},
		Int64Data:  []int64{0, 1, 300, -1},
		DoubleData: []float64{0, -2.5},
		Uint64Data: []uint64{0, 1, 300, math.MaxUint64},
	}
	attrWant := &Attribute{
		Floats: []float32{0, 1, math.Float32frombits(math.MaxUint32)},
		Ints:   []int64{0, 1, 300, -1},
	}
	for _, f := range []form{packedForm, unpackedForm, mixedForm} {
		var tb []byte
		tb = append(tb, encodeVarints(1, varints, f)...)
		tb = append(tb, encodeFixed32(4, fixed32s, f)...)
		tb = append(tb, encodeVarints(5, int32s, f)...)
		tb = append(tb, encodeVarints(7, varints, f)...)
		tb = append(tb, encodeFixed64(10, fixed64s, f)...)
		tb = append(tb, encodeVarints(11, varints, f)...)
		got, err := DecodeTensor(tb)
		require.NoError(t, err, f)
		// NaN != NaN for require.Equal, so compare float bits.
		require.Equal(t, math.Float32bits(tensorWant.FloatData[2]), math.Float32bits(got.FloatData[2]))
		got.FloatData[2], tensorWant.FloatData[2] = 0, 0
		require.Equal(t, tensorWant, got, f)
		tensorWant.FloatData[2] = math.Float32frombits(math.MaxUint32)

		ab := append(encodeFixed32(7, fixed32s, f), encodeVarints(8, varints, f)...)
		node := appendMsg(nil, 5, ab)
		m, err := DecodeModel(appendMsg(nil, 7, appendMsg(nil, 1, node)))
		require.NoError(t, err, f)
		a := m.Graph.Nodes[0].Attributes[0]
		require.Equal(t, attrWant.Ints, a.Ints)
		require.Equal(t, math.MaxUint32, int(math.Float32bits(a.Floats[2])))
		require.Equal(t, attrWant.Floats[:2], a.Floats[:2])
	}
}

func TestDecodeTensorErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		is   error
		msg  string
	}{
		{"wrong wire type for data_type", []byte{0x15, 1, 0, 0, 0}, ErrMalformed,
			"data_type: malformed ONNX protobuf: wire type fixed32, want varint"},
		{"wrong wire type for name", []byte{0x40, 0x01}, ErrMalformed, "name: "},
		{"wrong wire type for float_data", []byte{0x21, 0, 0, 0, 0, 0, 0, 0, 0}, ErrMalformed,
			"float_data: malformed ONNX protobuf: repeated fixed32 field: wire type fixed64"},
		{"truncated packed run", []byte{0x22, 0x08, 0, 0, 0x80, 0x3f}, ErrMalformed, "float_data: "},
		{"length 2^40", []byte{0x22, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0}, ErrMalformed,
			"float_data: malformed ONNX protobuf: length 1099511627776 exceeds the 2 bytes left"},
		{"raw_data length beyond buffer", []byte{0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrMalformed, "raw_data"},
		{"packed floats not a multiple of 4", []byte{0x22, 0x03, 1, 2, 3}, ErrMalformed, "multiple of 4"},
		{"packed doubles not a multiple of 8", []byte{0x52, 0x04, 1, 2, 3, 4}, ErrMalformed, "multiple of 8"},
		{"truncated packed varint", []byte{0x3a, 0x01, 0x80}, ErrMalformed, "int64_data"},
		{"overlong varint", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
			ErrMalformed, "dims: "},
		{"overlong tag", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrMalformed, "tag"},
		{"field number 0", []byte{0x00, 0x01}, ErrMalformed, "field number"},
		{"field number above 2^29-1", []byte{0x80, 0x80, 0x80, 0x80, 0x10, 0x00}, ErrMalformed, "out of range"},
		{"reserved wire type", []byte{0x0e}, ErrMalformed, "dims"},
		{"stray end group", []byte{0xa4, 0x06}, ErrMalformed, "unknown field 100"},
		{"unterminated group", []byte{0xa3, 0x06, 0x08, 0x01}, ErrMalformed, "unknown field 100"},
		{"int32_data out of int32 range", []byte{0x28, 0x80, 0x80, 0x80, 0x80, 0x08}, ErrMalformed, "int32_data"},
		{"data_type out of int32 range", []byte{0x10, 0x80, 0x80, 0x80, 0x80, 0x10}, ErrMalformed, "data_type"},
		{"bad external_data entry", []byte{0x6a, 0x02, 0x0d, 0x00}, ErrMalformed, "external_data[0].key"},
		{"segment not a message", []byte{0x18, 0x01}, ErrMalformed, "segment"},
		{"rank above 64 packed", append([]byte{0x0a, 65}, make([]byte, 65)...), ErrLimit, "dims: ONNX decoder limit exceeded: more than 64 values"},
		{"rank above 64 unpacked", bytes.Repeat([]byte{0x08, 0x01}, 65), ErrLimit, "more than 64 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeTensor(tc.in)
			require.Nil(t, got)
			require.ErrorIs(t, err, tc.is)
			require.Contains(t, err.Error(), tc.msg)
			var de *DecodeError
			require.True(t, errors.As(err, &de))
		})
	}
}

func TestDecodeSkipsUnknownAndIgnoredFields(t *testing.T) {
	var b []byte
	b = appendVarintField(b, 100, 7)
	b = appendFixed64Field(b, 101, 1)
	b = appendFixed32Field(b, 102, 1)
	b = appendMsg(b, 103, []byte("whatever"))
	b = append(b, 0xab, 0x06, 0x08, 0x01, 0xac, 0x06) // group 101 { field 1 = 1 }, end group 101
	b = appendMsg(b, 12, []byte("doc"))               // doc_string: known, dropped
	b = appendVarintField(b, 2, 7)                    // data_type INT64
	got, err := DecodeTensor(b)
	require.NoError(t, err)
	require.Equal(t, &Tensor{DataType: Int64}, got)
}

func TestDecodeLastValueWinsAndMerges(t *testing.T) {
	// Singular scalars: the last occurrence wins. Singular messages: merged.
	// Oneofs: the last case wins.
	var tp []byte
	tp = appendVarintField(tp, 2, 1)
	tp = appendVarintField(tp, 2, 7)
	tp = appendMsg(tp, 8, []byte("a"))
	tp = appendMsg(tp, 8, []byte("b"))
	var attr []byte
	attr = appendMsg(attr, 5, appendVarintField(nil, 1, 3))
	attr = appendMsg(attr, 5, appendVarintField(nil, 1, 4))
	var dim []byte
	dim = appendVarintField(dim, 1, 5)
	dim = appendMsg(dim, 2, []byte("N"))
	typ := appendMsg(nil, 1, appendMsg(appendVarintField(nil, 1, 1), 2, appendMsg(nil, 1, dim)))
	typ = appendMsg(typ, 1, appendMsg(nil, 2, appendMsg(nil, 1, appendVarintField(nil, 1, 2))))
	seqType := appendMsg(appendMsg(nil, 1, nil), 4, nil) // tensor_type, then sequence_type
	var g []byte
	g = appendMsg(g, 1, appendMsg(nil, 5, attr))
	g = appendMsg(g, 11, appendMsg(appendMsg(nil, 1, []byte("x")), 2, typ))
	g = appendMsg(g, 11, appendMsg(appendMsg(nil, 1, []byte("s")), 2, seqType))
	var m []byte
	m = appendMsg(m, 7, appendMsg(nil, 2, []byte("first")))
	m = appendMsg(m, 7, g)

	got, err := DecodeTensor(tp)
	require.NoError(t, err)
	require.Equal(t, &Tensor{DataType: Int64, Name: "b"}, got)

	model, err := DecodeModel(m)
	require.NoError(t, err)
	require.Equal(t, "first", model.Graph.Name)
	require.Equal(t, []int64{3, 4}, model.Graph.Nodes[0].Attributes[0].T.Dims)
	require.Equal(t, &Type{Kind: "tensor", Tensor: &TensorType{ElemType: Float,
		Shape: &Shape{Dims: []Dim{{Param: "N"}, {Value: 2, HasValue: true}}}}}, model.Graph.Inputs[0].Type)
	require.Equal(t, &Type{Kind: "sequence"}, model.Graph.Inputs[1].Type)
}

func TestDecodeModelErrorPaths(t *testing.T) {
	pads := appendMsg(nil, 1, []byte("pads"))
	pads = append(pads, 0x42, 0x02, 0x80, 0x80) // ints packed, 2 bytes: an unterminated varint
	conv := appendMsg(appendMsg(nil, 3, []byte("conv1")), 5, pads)
	var g []byte
	g = appendMsg(g, 1, appendMsg(nil, 4, []byte("Relu")))
	g = appendMsg(g, 1, conv)
	_, err := DecodeModel(appendMsg(nil, 7, g))
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), `graph.node[1] (name "conv1").attribute[0] "pads".ints: `)
	var de *DecodeError
	require.True(t, errors.As(err, &de))
	require.Equal(t, `graph.node[1] (name "conv1").attribute[0] "pads".ints`, de.Path)

	init := appendMsg(appendMsg(nil, 8, []byte("fc.weight")), 2, []byte{1})
	_, err = DecodeModel(appendMsg(nil, 7, appendMsg(nil, 5, init)))
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), `graph.initializer[0] "fc.weight".data_type: `)

	_, err = DecodeModel(appendMsg(nil, 8, appendMsg(nil, 2, []byte("x"))))
	require.Contains(t, err.Error(), `opset_import[0].version: `)

	_, err = DecodeModel([]byte{0x3a, 0x05, 0x0a})
	require.Contains(t, err.Error(), `graph: `)
}

func TestDecodeTruncatedPrefixes(t *testing.T) {
	// Every prefix of a valid encoding must decode without panicking; it
	// must fail unless it ends exactly between two top-level fields (such a
	// prefix is itself a valid, shorter message).
	b, err := EncodeModel(sampleModel())
	require.NoError(t, err)
	ends := topLevelFields(t, b)
	for i := 0; i < len(b); i++ {
		_, err := DecodeModel(b[:i])
		if ends[i] {
			require.NoError(t, err, "prefix %d", i)
		} else {
			require.ErrorIs(t, err, ErrMalformed, "prefix %d", i)
		}
	}
	tb, err := EncodeTensor(&Tensor{Name: "t", Dims: []int64{2, 300}, DataType: Float, FloatData: make([]float32, 600)})
	require.NoError(t, err)
	ends = topLevelFields(t, tb)
	for i := 0; i < len(tb); i++ {
		_, err := DecodeTensor(tb[:i])
		if !ends[i] {
			require.ErrorIs(t, err, ErrMalformed, "prefix %d", i)
		}
	}
}

func TestDecodeMemoryBudget(t *testing.T) {
	// One node with 100k empty attributes: 2 bytes each on the wire but a
	// couple of hundred as Go structs, beyond MemoryFactor per input byte.
	var node []byte
	for range 100_000 {
		node = append(node, 0x2a, 0x00) // attribute (field 5), empty
	}
	_, err := DecodeModel(appendMsg(nil, 7, appendMsg(nil, 1, node)))
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "bytes per input byte")

	// The same number of nodes with one short attribute each fits.
	var g []byte
	for range 20_000 {
		n := appendMsg(nil, 4, []byte("Relu"))
		n = appendMsg(n, 5, appendVarintField(appendMsg(nil, 1, []byte("axis")), 3, 1))
		g = appendMsg(g, 1, n)
	}
	m, err := DecodeModel(appendMsg(nil, 7, g))
	require.NoError(t, err)
	require.Len(t, m.Graph.Nodes, 20_000)
}

func TestDecodeShapeRankLimit(t *testing.T) {
	var shape []byte
	for range MaxRank + 1 {
		shape = appendMsg(shape, 1, nil)
	}
	typ := appendMsg(nil, 1, appendMsg(nil, 2, shape))
	vi := appendMsg(appendMsg(nil, 1, []byte("x")), 2, typ)
	_, err := DecodeModel(appendMsg(nil, 7, appendMsg(nil, 11, vi)))
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), `graph.input[0] "x".type.tensor_type.shape.dim[64]: `)
}

func TestDataTypeNames(t *testing.T) {
	require.Equal(t, "FLOAT", Float.String())
	require.Equal(t, "BFLOAT16", BFloat16.String())
	require.Equal(t, "FLOAT8E4M3FN", DataType(17).String())
	require.Equal(t, "DataType(99)", DataType(99).String())
	require.Equal(t, "INTS", AttrInts.String())
	require.Equal(t, "AttrType(-1)", AttrType(-1).String())
}
