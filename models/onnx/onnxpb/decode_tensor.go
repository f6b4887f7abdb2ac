package onnxpb

import (
	"unsafe"
)

// tensor decodes a TensorProto into t. As protobuf requires, a singular field
// seen twice keeps the last value and repeated fields accumulate.
func (d *decoder) tensor(b []byte, t *Tensor) error {
	if err := d.charge(int(unsafe.Sizeof(*t))); err != nil {
		return err
	}
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "dims"
			before := len(t.Dims)
			if t.Dims, err = appendVarintsMax(&f, t.Dims, asInt64, MaxRank); err == nil {
				err = chargeSlice(d, before, t.Dims)
			}
		case 2:
			name = "data_type"
			var v int32
			v, err = f.int32()
			t.DataType = DataType(v)
		case 3:
			name = "segment"
			if err = f.skipBytes(); err == nil {
				t.HasSegment = true
			}
		case 4:
			name = "float_data"
			before := len(t.FloatData)
			if t.FloatData, err = appendFixed32s(&f, t.FloatData, asFloat32); err == nil {
				err = chargeSlice(d, before, t.FloatData)
			}
		case 5:
			name = "int32_data"
			before := len(t.Int32Data)
			if t.Int32Data, err = appendVarints(&f, t.Int32Data, toInt32); err == nil {
				err = chargeSlice(d, before, t.Int32Data)
			}
		case 6:
			name = indexed("string_data", len(t.StringData), "", false)
			t.StringData, err = d.byteStrs(&f, t.StringData)
		case 7:
			name = "int64_data"
			before := len(t.Int64Data)
			if t.Int64Data, err = appendVarints(&f, t.Int64Data, asInt64); err == nil {
				err = chargeSlice(d, before, t.Int64Data)
			}
		case 8:
			name = "name"
			t.Name, err = d.str(&f)
		case 9:
			name = "raw_data"
			t.RawData, err = f.bytes()
		case 10:
			name = "double_data"
			before := len(t.DoubleData)
			if t.DoubleData, err = appendFixed64s(&f, t.DoubleData, asFloat64); err == nil {
				err = chargeSlice(d, before, t.DoubleData)
			}
		case 11:
			name = "uint64_data"
			before := len(t.Uint64Data)
			if t.Uint64Data, err = appendVarints(&f, t.Uint64Data, asUint64); err == nil {
				err = chargeSlice(d, before, t.Uint64Data)
			}
		case 12:
			name = "doc_string"
			err = f.skipBytes()
		case 13:
			name = indexed("external_data", len(t.ExternalData), "", false)
			t.ExternalData, err = d.pair(&f, t.ExternalData)
		case 14:
			name = "data_location"
			var v int32
			v, err = f.int32()
			t.DataLocation = DataLocation(v)
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

func (d *decoder) valueInfo(b []byte, vi *ValueInfo) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "name"
			vi.Name, err = d.str(&f)
		case 2:
			name = "type"
			var v []byte
			if v, err = f.bytes(); err == nil {
				if vi.Type == nil {
					vi.Type = &Type{Kind: "unknown"}
					err = d.charge(int(unsafe.Sizeof(*vi.Type)))
				}
				if err == nil {
					err = d.typ(v, vi.Type)
				}
			}
		case 3:
			name = "doc_string"
			err = f.skipBytes()
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

// typeKinds names the TypeProto oneof cases other than tensor_type, which
// the data model only names, by field number. Field 7 (opaque_type) is from
// the ONNX-ML schema.
var typeKinds = map[int32]string{4: "sequence", 5: "map", 7: "opaque", 8: "sparse_tensor", 9: "optional"}

// typ decodes a TypeProto. Its value cases form a oneof: a later case
// replaces an earlier one, and tensor_type seen twice merges.
func (d *decoder) typ(b []byte, t *Type) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "tensor_type"
			var v []byte
			if v, err = f.bytes(); err == nil {
				if t.Tensor == nil {
					t.Tensor = &TensorType{}
					err = d.charge(int(unsafe.Sizeof(*t.Tensor)))
				}
				t.Kind = "tensor"
				if err == nil {
					err = d.tensorType(v, t.Tensor)
				}
			}
		case 4, 5, 7, 8, 9:
			kind := typeKinds[int32(f.num)]
			name = kind + "_type"
			if err = f.skipBytes(); err == nil {
				t.Tensor, t.Kind = nil, kind
			}
		case 6:
			name = "denotation"
			err = f.skipBytes()
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

func (d *decoder) tensorType(b []byte, tt *TensorType) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "elem_type"
			var v int32
			v, err = f.int32()
			tt.ElemType = DataType(v)
		case 2:
			name = "shape"
			var v []byte
			if v, err = f.bytes(); err == nil {
				if tt.Shape == nil {
					tt.Shape = &Shape{}
					err = d.charge(int(unsafe.Sizeof(*tt.Shape)))
				}
				if err == nil {
					err = d.shape(v, tt.Shape)
				}
			}
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

func (d *decoder) shape(b []byte, s *Shape) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			i := len(s.Dims)
			name = indexed("dim", i, "", false)
			var v []byte
			if v, err = f.bytes(); err == nil {
				if i >= MaxRank {
					err = limit("more than %d dims", MaxRank)
				} else {
					s.Dims = append(s.Dims, Dim{})
					if err = d.charge(int(unsafe.Sizeof(Dim{}))); err == nil {
						err = d.dim(v, &s.Dims[i])
					}
				}
			}
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

// dim decodes a Dimension. dim_value and dim_param form a oneof: the last
// one seen wins.
func (d *decoder) dim(b []byte, dm *Dim) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "dim_value"
			var v int64
			if v, err = f.int64(); err == nil {
				*dm = Dim{Value: v, HasValue: true}
			}
		case 2:
			name = "dim_param"
			var p string
			if p, err = d.str(&f); err == nil {
				*dm = Dim{Param: p}
			}
		case 3:
			name = "denotation"
			err = f.skipBytes()
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}
