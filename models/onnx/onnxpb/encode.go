package onnxpb

import (
	"math"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// EncodeModel serializes m as a ModelProto.
//
// The output is deterministic: fields in field-number order, each tensor's
// data in the storage form it has in m (FromTensor produces raw_data), the
// tensor data fields packed and dims, ints and floats unpacked, as the ONNX
// schema declares them. An attribute's value field matching its Type is
// written even when zero, because ONNX tools check that it is present.
//
// What the data model only counts cannot be written back: a model with
// Functions, a graph with SparseInitializers or a tensor with HasSegment
// fails with ErrUnsupported. Graphs nested deeper than MaxGraphDepth (or a
// cycle of graph pointers) fail with ErrLimit, and an incoherent value (a Dim
// with both a value and a param, a Type whose Kind contradicts its Tensor)
// with ErrMalformed.
func EncodeModel(m *Model) ([]byte, error) {
	if m == nil {
		return nil, &DecodeError{Err: malformed("nil model")}
	}
	return encode(func(e *enc) { e.model(m) })
}

// EncodeTensor serializes t as a standalone TensorProto (the format of the
// ONNX backend tests' input_0.pb files). Errors are as for EncodeModel.
func EncodeTensor(t *Tensor) ([]byte, error) {
	if t == nil {
		return nil, &DecodeError{Err: malformed("nil tensor")}
	}
	return encode(func(e *enc) { e.tensor(t) })
}

// encode runs fn once to size the output and once to write it.
func encode(fn func(*enc)) ([]byte, error) {
	s := &enc{sizing: true}
	fn(s)
	if s.err != nil {
		return nil, s.err
	}
	e := &enc{b: make([]byte, 0, s.n)}
	fn(e)
	return e.b, e.err
}

// enc either measures (sizing) or writes a message. Every message is written
// by one function used in both modes, so sizes and bytes cannot disagree; a
// nested message is measured just before it is written, which costs a
// factor of the nesting depth in time but copies no bytes.
type enc struct {
	sizing bool
	n      int    // bytes measured, when sizing
	b      []byte // output, when writing
	path   []string
	err    error
}

func (e *enc) fail(err error) {
	if e.err == nil {
		e.err = &DecodeError{Path: strings.Join(e.path, "."), Err: err}
	}
}

func (e *enc) tag(num protowire.Number, typ protowire.Type) {
	if e.sizing {
		e.n += protowire.SizeTag(num)
		return
	}
	e.b = protowire.AppendTag(e.b, num, typ)
}

func (e *enc) rawVarint(v uint64) {
	if e.sizing {
		e.n += protowire.SizeVarint(v)
		return
	}
	e.b = protowire.AppendVarint(e.b, v)
}

func (e *enc) varint(num protowire.Number, v uint64) {
	e.tag(num, protowire.VarintType)
	e.rawVarint(v)
}

// optVarint writes a varint field unless it is zero (the default).
func (e *enc) optVarint(num protowire.Number, v uint64) {
	if v != 0 {
		e.varint(num, v)
	}
}

func (e *enc) fixed32(num protowire.Number, v uint32) {
	e.tag(num, protowire.Fixed32Type)
	if e.sizing {
		e.n += 4
		return
	}
	e.b = protowire.AppendFixed32(e.b, v)
}

func (e *enc) bytes(num protowire.Number, v []byte) {
	e.tag(num, protowire.BytesType)
	if e.sizing {
		e.n += protowire.SizeBytes(len(v))
		return
	}
	e.b = protowire.AppendBytes(e.b, v)
}

func (e *enc) str(num protowire.Number, v string) {
	e.tag(num, protowire.BytesType)
	if e.sizing {
		e.n += protowire.SizeBytes(len(v))
		return
	}
	e.b = protowire.AppendString(e.b, v)
}

// optStr writes a string field unless it is empty (the default).
func (e *enc) optStr(num protowire.Number, v string) {
	if v != "" {
		e.str(num, v)
	}
}

// message writes field num holding the message fn writes; seg names it in
// error paths.
func (e *enc) message(num protowire.Number, seg string, fn func(*enc)) {
	if e.err != nil {
		return
	}
	e.path = append(e.path, seg)
	defer func() { e.path = e.path[:len(e.path)-1] }()
	s := &enc{sizing: true, path: e.path}
	fn(s)
	if s.err != nil {
		e.err = s.err
		return
	}
	e.tag(num, protowire.BytesType)
	e.rawVarint(uint64(s.n))
	if e.sizing {
		e.n += s.n
		return
	}
	fn(e)
}

// packedVarints writes a non-empty repeated varint field in packed form.
func packedVarints[T any](e *enc, num protowire.Number, vals []T, conv func(T) uint64) {
	if len(vals) == 0 {
		return
	}
	size := 0
	for _, v := range vals {
		size += protowire.SizeVarint(conv(v))
	}
	e.tag(num, protowire.BytesType)
	e.rawVarint(uint64(size))
	if e.sizing {
		e.n += size
		return
	}
	for _, v := range vals {
		e.b = protowire.AppendVarint(e.b, conv(v))
	}
}

// packedFixed writes a non-empty repeated fixed-width field in packed form.
func packedFixed[T any](e *enc, num protowire.Number, vals []T, width int, put func([]byte, T) []byte) {
	if len(vals) == 0 {
		return
	}
	size := len(vals) * width
	e.tag(num, protowire.BytesType)
	e.rawVarint(uint64(size))
	if e.sizing {
		e.n += size
		return
	}
	for _, v := range vals {
		e.b = put(e.b, v)
	}
}

func i64(v int64) uint64  { return uint64(v) }
func i32(v int32) uint64  { return uint64(int64(v)) } // sign-extended, as protobuf writes int32
func u64(v uint64) uint64 { return v }
func putF32(b []byte, v float32) []byte {
	return protowire.AppendFixed32(b, math.Float32bits(v))
}
func putF64(b []byte, v float64) []byte {
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

func (e *enc) model(m *Model) {
	if m.Functions != 0 {
		e.fail(unsupported("model-local functions are only counted and cannot be encoded"))
		return
	}
	e.optVarint(1, i64(m.IRVersion))
	e.optStr(2, m.ProducerName)
	e.optStr(3, m.ProducerVersion)
	e.optStr(4, m.Domain)
	e.optVarint(5, i64(m.ModelVersion))
	e.optStr(6, m.DocString)
	if m.Graph != nil {
		e.message(7, "graph", func(e *enc) { e.graph(m.Graph, 1) })
	}
	for i := range m.OpsetImports {
		op := &m.OpsetImports[i]
		e.message(8, indexed("opset_import", i, "", false), func(e *enc) {
			e.optStr(1, op.Domain)
			e.optVarint(2, i64(op.Version))
		})
	}
	e.pairs(14, "metadata_props", m.Metadata)
}

func (e *enc) pairs(num protowire.Number, field string, ps []StringPair) {
	for i := range ps {
		p := &ps[i]
		e.message(num, indexed(field, i, "", false), func(e *enc) {
			e.optStr(1, p.Key)
			e.optStr(2, p.Value)
		})
	}
}

func (e *enc) graph(g *Graph, depth int) {
	if depth > MaxGraphDepth {
		e.fail(limit("graphs nested more than %d deep", MaxGraphDepth))
		return
	}
	if g.SparseInitializers != 0 {
		e.fail(unsupported("sparse initializers are only counted and cannot be encoded"))
		return
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		e.message(1, indexed("node", i, n.Name, true), func(e *enc) { e.node(n, depth) })
	}
	e.optStr(2, g.Name)
	for i := range g.Initializers {
		t := &g.Initializers[i]
		e.message(5, indexed("initializer", i, t.Name, false), func(e *enc) { e.tensor(t) })
	}
	e.valueInfos(11, "input", g.Inputs)
	e.valueInfos(12, "output", g.Outputs)
	e.valueInfos(13, "value_info", g.ValueInfo)
}

func (e *enc) node(n *Node, depth int) {
	for _, s := range n.Inputs {
		e.str(1, s)
	}
	for _, s := range n.Outputs {
		e.str(2, s)
	}
	e.optStr(3, n.Name)
	e.optStr(4, n.OpType)
	for i := range n.Attributes {
		a := &n.Attributes[i]
		e.message(5, indexed("attribute", i, a.Name, false), func(e *enc) { e.attribute(a, depth) })
	}
	e.optStr(7, n.Domain)
}

func (e *enc) attribute(a *Attribute, depth int) {
	e.optStr(1, a.Name)
	if bits := math.Float32bits(a.F); bits != 0 || a.Type == AttrFloat {
		e.fixed32(2, bits)
	}
	if a.I != 0 || a.Type == AttrInt {
		e.varint(3, i64(a.I))
	}
	if len(a.S) != 0 || a.Type == AttrString {
		e.bytes(4, a.S)
	}
	if a.T != nil {
		e.message(5, "t", func(e *enc) { e.tensor(a.T) })
	}
	if a.G != nil {
		e.message(6, "g", func(e *enc) { e.graph(a.G, depth+1) })
	}
	for _, v := range a.Floats {
		e.fixed32(7, math.Float32bits(v))
	}
	for _, v := range a.Ints {
		e.varint(8, i64(v))
	}
	for _, v := range a.Strings {
		e.bytes(9, v)
	}
	for i := range a.Tensors {
		t := &a.Tensors[i]
		e.message(10, indexed("tensors", i, t.Name, false), func(e *enc) { e.tensor(t) })
	}
	for i := range a.Graphs {
		g := &a.Graphs[i]
		e.message(11, indexed("graphs", i, "", false), func(e *enc) { e.graph(g, depth+1) })
	}
	e.optVarint(20, i32(int32(a.Type)))
	e.optStr(21, a.RefAttrName)
}

func (e *enc) tensor(t *Tensor) {
	if t.HasSegment {
		e.fail(unsupported("segmented tensors cannot be encoded"))
		return
	}
	for _, d := range t.Dims {
		e.varint(1, i64(d))
	}
	e.optVarint(2, i32(int32(t.DataType)))
	packedFixed(e, 4, t.FloatData, 4, putF32)
	packedVarints(e, 5, t.Int32Data, i32)
	for _, s := range t.StringData {
		e.bytes(6, s)
	}
	packedVarints(e, 7, t.Int64Data, i64)
	e.optStr(8, t.Name)
	if len(t.RawData) != 0 {
		e.bytes(9, t.RawData)
	}
	packedFixed(e, 10, t.DoubleData, 8, putF64)
	packedVarints(e, 11, t.Uint64Data, u64)
	e.pairs(13, "external_data", t.ExternalData)
	e.optVarint(14, i32(int32(t.DataLocation)))
}

func (e *enc) valueInfos(num protowire.Number, field string, vs []ValueInfo) {
	for i := range vs {
		vi := &vs[i]
		e.message(num, indexed(field, i, vi.Name, false), func(e *enc) {
			e.optStr(1, vi.Name)
			if vi.Type != nil {
				e.message(2, "type", func(e *enc) { e.typ(vi.Type) })
			}
		})
	}
}

// kindFields maps Type.Kind to the TypeProto field of that oneof case.
var kindFields = map[string]protowire.Number{"sequence": 4, "map": 5, "opaque": 7, "sparse_tensor": 8, "optional": 9}

func (e *enc) typ(t *Type) {
	if t.Tensor != nil {
		if t.Kind != "tensor" && t.Kind != "" {
			e.fail(malformed("type has a tensor type but kind %q", t.Kind))
			return
		}
		tt := t.Tensor
		e.message(1, "tensor_type", func(e *enc) {
			e.optVarint(1, i32(int32(tt.ElemType)))
			if tt.Shape != nil {
				e.message(2, "shape", func(e *enc) { e.shape(tt.Shape) })
			}
		})
		return
	}
	switch num, ok := kindFields[t.Kind]; {
	case ok:
		// Only the kind is known; its element types were not kept.
		e.message(num, t.Kind+"_type", func(*enc) {})
	case t.Kind == "unknown" || t.Kind == "":
	default:
		e.fail(malformed("type kind %q without a tensor type", t.Kind))
	}
}

func (e *enc) shape(s *Shape) {
	for i := range s.Dims {
		d := &s.Dims[i]
		e.message(1, indexed("dim", i, "", false), func(e *enc) {
			switch {
			case d.HasValue && d.Param != "":
				e.fail(malformed("dim has both value %d and param %q", d.Value, d.Param))
			case d.HasValue:
				e.varint(1, i64(d.Value))
			case d.Value != 0:
				e.fail(malformed("dim value %d without HasValue", d.Value))
			default:
				e.optStr(2, d.Param)
			}
		})
	}
}
