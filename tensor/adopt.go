package tensor

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// littleEndian reports whether the host stores numbers little-endian.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// AdoptLittleEndian returns a tensor of dtype d and the given shape whose
// elements are raw, little-endian bytes (as ONNX raw_data and external data
// files store them), without copying them when it can: on a little-endian
// host, with raw aligned for d, the tensor takes raw over as its storage,
// so a large external weight costs its size once, not twice. Otherwise the
// bytes are copied. The caller must not use raw afterwards. A bool byte
// other than 0 or 1, or a length that is not the shape's size, is an error.
func AdoptLittleEndian(d DType, shape Shape, raw []byte) (*Tensor, error) {
	size, err := checkedBytes(d, shape)
	if err != nil {
		return nil, err
	}
	if len(raw) != size {
		return nil, fmt.Errorf("%w: %d bytes for %v%v (%d bytes)", ErrShape, len(raw), d, shape, size)
	}
	if d == Bool {
		for i, c := range raw {
			if c > 1 {
				return nil, fmt.Errorf("byte %d is %d, not a bool (0 or 1)", i, c)
			}
		}
	}
	n := shape.NumElements()
	if !littleEndian || n == 0 || uintptr(unsafe.Pointer(&raw[0]))%uintptr(d.Size()) != 0 {
		t, err := New(d, shape...)
		if err != nil {
			return nil, err
		}
		dst := t.Bytes()
		if littleEndian || d.Size() == 1 {
			copy(dst, raw)
			return t, nil
		}
		for i := 0; i < len(raw); i += d.Size() { // reverse each element's bytes
			switch d.Size() {
			case 2:
				binary.NativeEndian.PutUint16(dst[i:], binary.LittleEndian.Uint16(raw[i:]))
			case 4:
				binary.NativeEndian.PutUint32(dst[i:], binary.LittleEndian.Uint32(raw[i:]))
			case 8:
				binary.NativeEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(raw[i:]))
			}
		}
		return t, nil
	}
	p := unsafe.Pointer(&raw[0])
	var data any
	switch d {
	case Float32:
		data = unsafe.Slice((*float32)(p), n)
	case Float64:
		data = unsafe.Slice((*float64)(p), n)
	case Float16:
		data = unsafe.Slice((*Float16Value)(p), n)
	case BFloat16:
		data = unsafe.Slice((*BFloat16Value)(p), n)
	case Int8:
		data = unsafe.Slice((*int8)(p), n)
	case Uint8:
		data = raw[:n:n]
	case Int32:
		data = unsafe.Slice((*int32)(p), n)
	case Int64:
		data = unsafe.Slice((*int64)(p), n)
	case Bool:
		data = unsafe.Slice((*bool)(p), n) // every byte checked to be 0 or 1 above
	}
	s := shape.Clone()
	if s == nil {
		s = Shape{}
	}
	return &Tensor{dtype: d, shape: s, data: data}, nil
}
