package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/backplane-ml/backplane/tensor"
	"github.com/x448/float16"
)

// dtypes maps the ONNX data types backplane supports to tensor dtypes.
var dtypes = map[DataType]tensor.DType{
	Float: tensor.Float32, Double: tensor.Float64, Float16: tensor.Float16, BFloat16: tensor.BFloat16,
	Int8: tensor.Int8, Uint8: tensor.Uint8, Int32: tensor.Int32, Int64: tensor.Int64, Bool: tensor.Bool,
	Int16: tensor.Int16, Uint16: tensor.Uint16, Uint32: tensor.Uint32, Uint64: tensor.Uint64,
}

// DType returns the backplane dtype of an ONNX data type, or an error
// wrapping ErrUnsupported naming the ONNX type (STRING, INT16, ...).
func (d DataType) DType() (tensor.DType, error) {
	if dt, ok := dtypes[d]; ok {
		return dt, nil
	}
	if d == Undefined {
		return tensor.Invalid, malformed("data type UNDEFINED")
	}
	return tensor.Invalid, unsupported("data type %v", d)
}

// DataTypeOf returns the ONNX data type of a backplane dtype.
func DataTypeOf(d tensor.DType) (DataType, error) {
	for o, dt := range dtypes {
		if dt == d {
			return o, nil
		}
	}
	return Undefined, unsupported("dtype %v has no ONNX data type", d)
}

// ExternalLoader returns length bytes at offset of the external data file
// location, a path relative to the model's directory as written in the
// tensor's external_data entry. It must return exactly length bytes or an
// error. DirLoader is the usual implementation.
type ExternalLoader func(location string, offset, length int64) ([]byte, error)

// ToTensor converts t to a backplane tensor, copying its data.
//
// The data may be in raw_data (little-endian, exactly elements×size bytes),
// in the typed field the data type uses (float_data for FLOAT, double_data
// for DOUBLE, int64_data for INT64, uint64_data for UINT32 and UINT64,
// int32_data for INT32, INT16, UINT16, INT8, UINT8, BOOL and, as bit patterns
// in the low 16 bits, FLOAT16 and BFLOAT16), which must
// hold exactly one value per element, or in an external file read through
// external (nil refuses external data). Data in any other field, in two
// places, or values out of range for the type (an INT8 of 300, a BOOL of 2)
// are ErrMalformed, as are negative dims and shapes of more than
// tensor.MaxElements elements. Data types backplane has no dtype for
// (STRING, COMPLEX64, COMPLEX128, float8 and 4-bit types) and segmented
// tensors are ErrUnsupported.
//
// Errors are *DecodeError with the path `tensor "name"`.
func ToTensor(t *Tensor, external ExternalLoader) (*tensor.Tensor, error) {
	if t == nil {
		return nil, &DecodeError{Path: "tensor", Err: malformed("nil tensor")}
	}
	out, err := toTensor(t, external)
	if err != nil {
		return nil, within(indexedName("tensor", t.Name), err)
	}
	return out, nil
}

func indexedName(what, name string) string {
	if name == "" {
		return what
	}
	return fmt.Sprintf("%s %q", what, name)
}

func toTensor(t *Tensor, external ExternalLoader) (*tensor.Tensor, error) {
	if t.HasSegment {
		return nil, unsupported("segmented tensor")
	}
	dt, err := t.DataType.DType()
	if err != nil {
		return nil, err
	}
	shape, err := checkDims(t.Dims)
	if err != nil {
		return nil, err
	}
	n := shape.NumElements()
	nbytes := int64(n) * int64(dt.Size())

	// Exactly one storage form may hold data.
	forms := map[string]int{
		"raw_data": len(t.RawData), "float_data": len(t.FloatData), "double_data": len(t.DoubleData),
		"int32_data": len(t.Int32Data), "int64_data": len(t.Int64Data), "uint64_data": len(t.Uint64Data),
		"string_data": len(t.StringData), "external_data": len(t.ExternalData),
	}
	var used string
	for _, f := range []string{"raw_data", "float_data", "double_data", "int32_data", "int64_data",
		"uint64_data", "string_data", "external_data"} {
		if forms[f] == 0 {
			continue
		}
		if used != "" {
			return nil, malformed("%v tensor has both %s and %s", t.DataType, used, f)
		}
		used = f
	}
	switch t.DataLocation {
	case DataDefault:
		if used == "external_data" {
			return nil, malformed("external_data entries but data_location is not EXTERNAL")
		}
	case DataExternal:
		if used != "external_data" {
			return nil, malformed("data_location EXTERNAL without external_data entries")
		}
		raw, err := loadExternal(t.ExternalData, nbytes, external)
		if err != nil {
			return nil, err
		}
		// The bytes were read for this tensor alone: adopt them rather than
		// copy, so a large weight costs its size once.
		out, err := tensor.AdoptLittleEndian(dt, shape, raw)
		if err != nil {
			return nil, malformed("external data: %v", err)
		}
		return out, nil
	default:
		return nil, malformed("data_location %d", int32(t.DataLocation))
	}

	want := typedField(t.DataType)
	switch used {
	case "":
		if n != 0 {
			return nil, malformed("no data for %d elements of %v", n, t.DataType)
		}
		return tensor.New(dt, shape...)
	case "raw_data":
		if int64(len(t.RawData)) != nbytes {
			return nil, malformed("raw_data has %d bytes, want %d (%d elements of %v)", len(t.RawData), nbytes, n, t.DataType)
		}
		return fromRaw(dt, shape, t.RawData)
	case want:
	default:
		return nil, malformed("%v tensor has data in %s, want raw_data or %s", t.DataType, used, want)
	}
	if forms[used] != n {
		return nil, malformed("%s has %d values, want %d", used, forms[used], n)
	}
	switch dt {
	case tensor.Float32:
		return tensor.FromSlice(append([]float32(nil), t.FloatData...), shape...)
	case tensor.Float64:
		return tensor.FromSlice(append([]float64(nil), t.DoubleData...), shape...)
	case tensor.Int64:
		return tensor.FromSlice(append([]int64(nil), t.Int64Data...), shape...)
	case tensor.Uint64:
		return tensor.FromSlice(append([]uint64(nil), t.Uint64Data...), shape...)
	case tensor.Uint32:
		vals := make([]uint32, len(t.Uint64Data))
		for i, v := range t.Uint64Data {
			if v > math.MaxUint32 {
				return nil, malformed("uint64_data[%d] = %d is out of range for UINT32", i, v)
			}
			vals[i] = uint32(v)
		}
		return tensor.FromSlice(vals, shape...)
	}
	return fromInt32Data(dt, shape, t.Int32Data)
}

// typedField names the typed field holding values of data type d.
func typedField(d DataType) string {
	switch d {
	case Float, Complex64:
		return "float_data"
	case Double, Complex128:
		return "double_data"
	case Int64:
		return "int64_data"
	case Uint32, Uint64:
		return "uint64_data"
	case String:
		return "string_data"
	}
	return "int32_data"
}

// checkDims converts dims to a validated tensor shape.
func checkDims(dims []int64) (tensor.Shape, error) {
	if len(dims) > MaxRank {
		return nil, limit("rank %d exceeds %d", len(dims), MaxRank)
	}
	shape := make(tensor.Shape, len(dims))
	for i, d := range dims {
		if d < 0 || d > tensor.MaxElements || uint64(d) > math.MaxInt {
			return nil, malformed("dims %v: dimension %d is %d", dims, i, d)
		}
		shape[i] = int(d)
	}
	if err := shape.Validate(); err != nil {
		return nil, fmt.Errorf("%w: dims: %w", ErrMalformed, err)
	}
	return shape, nil
}

// fromInt32Data converts int32_data to dtype dt, checking every value fits.
func fromInt32Data(dt tensor.DType, shape tensor.Shape, vals []int32) (*tensor.Tensor, error) {
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	switch dt {
	case tensor.Int8, tensor.Uint8, tensor.Bool, tensor.Int16, tensor.Uint16:
		lo, hi = tensor.IntRange(dt)
	case tensor.Float16, tensor.BFloat16:
		lo, hi = 0, math.MaxUint16 // a bit pattern in the low 16 bits
	}
	for i, v := range vals {
		if int64(v) < lo || int64(v) > hi {
			return nil, malformed("int32_data[%d] = %d is out of range [%d, %d] for %v", i, v, lo, hi, dt)
		}
	}
	out, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, err
	}
	switch data := out.Data().(type) {
	case []int8:
		convertInts(data, vals, func(v int32) int8 { return int8(v) })
	case []uint8:
		convertInts(data, vals, func(v int32) uint8 { return uint8(v) })
	case []int32:
		copy(data, vals)
	case []int16:
		convertInts(data, vals, func(v int32) int16 { return int16(v) })
	case []uint16:
		convertInts(data, vals, func(v int32) uint16 { return uint16(v) })
	case []bool:
		convertInts(data, vals, func(v int32) bool { return v != 0 })
	case []tensor.Float16Value:
		convertInts(data, vals, func(v int32) tensor.Float16Value { return float16.Frombits(uint16(v)) })
	case []tensor.BFloat16Value:
		convertInts(data, vals, func(v int32) tensor.BFloat16Value { return tensor.BFloat16Value(v) })
	}
	return out, nil
}

func convertInts[D any](dst []D, src []int32, conv func(int32) D) {
	for i, v := range src {
		dst[i] = conv(v)
	}
}

// littleEndianHost reports whether the host stores numbers little-endian,
// in which case raw_data is copied as is.
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// fromRaw converts little-endian raw bytes (already checked to have exactly
// the right length) to a tensor.
func fromRaw(dt tensor.DType, shape tensor.Shape, raw []byte) (*tensor.Tensor, error) {
	if dt == tensor.Bool {
		for i, c := range raw {
			if c > 1 {
				return nil, malformed("raw_data[%d] = %d is not a bool (0 or 1)", i, c)
			}
		}
	}
	out, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, err
	}
	dst := out.Bytes()
	if littleEndianHost || dt.Size() == 1 {
		copy(dst, raw)
		return out, nil
	}
	size := dt.Size()
	for i := 0; i < len(raw); i += size {
		switch size { // reverse each element's bytes
		case 2:
			binary.NativeEndian.PutUint16(dst[i:], binary.LittleEndian.Uint16(raw[i:]))
		case 4:
			binary.NativeEndian.PutUint32(dst[i:], binary.LittleEndian.Uint32(raw[i:]))
		case 8:
			binary.NativeEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(raw[i:]))
		}
	}
	return out, nil
}

// loadExternal reads the data of an externally stored tensor of nbytes bytes.
// When the entries give no length, exactly nbytes are read.
func loadExternal(entries []StringPair, nbytes int64, load ExternalLoader) ([]byte, error) {
	var location string
	offset, length := int64(0), int64(-1)
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Key] {
			return nil, malformed("external_data has key %q twice", e.Key)
		}
		seen[e.Key] = true
		switch e.Key {
		case "location":
			location = e.Value
		case "offset", "length":
			v, err := strconv.ParseInt(e.Value, 10, 64)
			if err != nil || v < 0 {
				return nil, malformed("external_data %s %q is not a non-negative integer", e.Key, e.Value)
			}
			if e.Key == "offset" {
				offset = v
			} else {
				length = v
			}
		}
		// Other keys (checksum, basepath) carry nothing backplane needs;
		// the checksum is not verified.
	}
	if location == "" {
		return nil, malformed("external_data without a location")
	}
	if length < 0 {
		length = nbytes
	}
	if length != nbytes {
		return nil, malformed("external_data length %d, want %d bytes", length, nbytes)
	}
	if load == nil {
		return nil, unsupported("tensor data in external file %q but no external data loader given", location)
	}
	raw, err := load(location, offset, length)
	if err != nil {
		return nil, fmt.Errorf("external data %q: %w", location, err)
	}
	if int64(len(raw)) != length {
		return nil, malformed("external data loader returned %d bytes, want %d", len(raw), length)
	}
	return raw, nil
}

// FromTensor converts a backplane tensor to a TensorProto named name, with
// the data copied into raw_data (little-endian).
func FromTensor(name string, t *tensor.Tensor) (*Tensor, error) {
	if t == nil {
		return nil, &DecodeError{Path: indexedName("tensor", name), Err: malformed("nil tensor")}
	}
	dt, err := DataTypeOf(t.DType())
	if err != nil {
		return nil, &DecodeError{Path: indexedName("tensor", name), Err: err}
	}
	out := &Tensor{Name: name, DataType: dt}
	if len(t.Shape()) > 0 {
		out.Dims = make([]int64, len(t.Shape()))
		for i, d := range t.Shape() {
			out.Dims[i] = int64(d)
		}
	}
	src := t.Bytes()
	if len(src) == 0 {
		return out, nil
	}
	raw := make([]byte, len(src))
	size := t.DType().Size()
	if littleEndianHost || size == 1 {
		copy(raw, src)
		out.RawData = raw
		return out, nil
	}
	for i := 0; i < len(src); i += size {
		switch size {
		case 2:
			binary.LittleEndian.PutUint16(raw[i:], binary.NativeEndian.Uint16(src[i:]))
		case 4:
			binary.LittleEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(src[i:]))
		case 8:
			binary.LittleEndian.PutUint64(raw[i:], binary.NativeEndian.Uint64(src[i:]))
		}
	}
	out.RawData = raw
	return out, nil
}
