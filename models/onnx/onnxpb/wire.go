package onnxpb

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// fields walks the fields of one serialized message. Each call to next reads
// a tag; the caller then consumes the value with exactly one of the typed
// readers (which check the wire type) or skip.
type fields struct {
	b   []byte
	num protowire.Number
	typ protowire.Type
}

// next reads the next tag. It returns false at the end of the message.
func (f *fields) next() (bool, error) {
	if len(f.b) == 0 {
		return false, nil
	}
	num, typ, n := protowire.ConsumeTag(f.b)
	if n < 0 {
		return false, malformed("field tag: %v", protowire.ParseError(n))
	}
	if num > protowire.MaxValidNumber {
		return false, malformed("field number %d out of range", num)
	}
	f.b, f.num, f.typ = f.b[n:], num, typ
	return true, nil
}

var wireTypeNames = map[protowire.Type]string{
	protowire.VarintType: "varint", protowire.Fixed32Type: "fixed32", protowire.Fixed64Type: "fixed64",
	protowire.BytesType: "length-delimited", protowire.StartGroupType: "group start",
	protowire.EndGroupType: "group end",
}

func wireName(t protowire.Type) string {
	if s, ok := wireTypeNames[t]; ok {
		return s
	}
	return "reserved wire type"
}

// want checks the wire type of the current field.
func (f *fields) want(t protowire.Type) error {
	if f.typ != t {
		return malformed("wire type %s, want %s", wireName(f.typ), wireName(t))
	}
	return nil
}

func (f *fields) varint() (uint64, error) {
	if err := f.want(protowire.VarintType); err != nil {
		return 0, err
	}
	return f.rawVarint()
}

// rawVarint consumes a varint without looking at the wire type (used inside
// packed runs).
func (f *fields) rawVarint() (uint64, error) {
	v, n := protowire.ConsumeVarint(f.b)
	if n < 0 {
		return 0, malformed("varint: %v", protowire.ParseError(n))
	}
	f.b = f.b[n:]
	return v, nil
}

func (f *fields) int64() (int64, error) {
	v, err := f.varint()
	return int64(v), err
}

// int32 reads an int32 or enum field. Protobuf writes a negative int32 as the
// sign-extended 64-bit varint; anything outside the int32 range cannot come
// from a correct writer and is refused rather than silently truncated.
func (f *fields) int32() (int32, error) {
	v, err := f.varint()
	if err != nil {
		return 0, err
	}
	return toInt32(v)
}

func toInt32(v uint64) (int32, error) {
	x := int64(v)
	if x < math.MinInt32 || x > math.MaxInt32 {
		return 0, malformed("int32 value %d out of range", x)
	}
	return int32(x), nil
}

func (f *fields) fixed32() (uint32, error) {
	if err := f.want(protowire.Fixed32Type); err != nil {
		return 0, err
	}
	v, n := protowire.ConsumeFixed32(f.b)
	if n < 0 {
		return 0, malformed("fixed32: %v", protowire.ParseError(n))
	}
	f.b = f.b[n:]
	return v, nil
}

func (f *fields) fixed64() (uint64, error) {
	if err := f.want(protowire.Fixed64Type); err != nil {
		return 0, err
	}
	v, n := protowire.ConsumeFixed64(f.b)
	if n < 0 {
		return 0, malformed("fixed64: %v", protowire.ParseError(n))
	}
	f.b = f.b[n:]
	return v, nil
}

// bytes reads a length-delimited field. The result aliases the input (with
// its capacity clipped so appending to it cannot overwrite the input).
func (f *fields) bytes() ([]byte, error) {
	if err := f.want(protowire.BytesType); err != nil {
		return nil, err
	}
	v, n := protowire.ConsumeBytes(f.b)
	if n < 0 {
		if size, m := protowire.ConsumeVarint(f.b); m > 0 {
			return nil, malformed("length %d exceeds the %d bytes left", size, len(f.b)-m)
		}
		return nil, malformed("length-delimited field: %v", protowire.ParseError(n))
	}
	f.b = f.b[n:]
	if len(v) == 0 {
		return nil, nil // one canonical form for empty, so decoded values compare equal
	}
	return v[:len(v):len(v)], nil
}

func (f *fields) string() (string, error) {
	v, err := f.bytes()
	return string(v), err
}

// skipBytes consumes a length-delimited field the decoder knows but does not
// keep (doc strings, sparse tensors, ...); any other wire type is an error.
func (f *fields) skipBytes() error {
	_, err := f.bytes()
	return err
}

// skip consumes the value of an unknown field, whatever its wire type.
func (f *fields) skip() error {
	n := protowire.ConsumeFieldValue(f.num, f.typ, f.b)
	if n < 0 {
		return malformed("unknown field %d: %v", f.num, protowire.ParseError(n))
	}
	f.b = f.b[n:]
	return nil
}

// The repeated scalar readers accept the packed form (one length-delimited
// run) and the unpacked form (one field per element), as protobuf requires of
// every parser. A packed run allocates exactly its element count, which the
// run's length bounds.

// appendVarints appends one or a packed run of varints, converted by conv.
func appendVarints[T any](f *fields, dst []T, conv func(uint64) (T, error)) ([]T, error) {
	return appendVarintsMax(f, dst, conv, math.MaxInt)
}

// appendVarintsMax is appendVarints failing with ErrLimit, before
// allocating, when the field would hold more than max values.
func appendVarintsMax[T any](f *fields, dst []T, conv func(uint64) (T, error), max int) ([]T, error) {
	if f.typ == protowire.VarintType {
		if len(dst) >= max {
			return dst, limit("more than %d values", max)
		}
		v, err := f.rawVarint()
		if err != nil {
			return dst, err
		}
		x, err := conv(v)
		return append(dst, x), err
	}
	if f.typ != protowire.BytesType {
		return dst, malformed("repeated varint field: wire type %s", wireName(f.typ))
	}
	run, err := f.bytes()
	if err != nil {
		return dst, err
	}
	count := 0
	for _, c := range run {
		if c < 0x80 {
			count++
		}
	}
	if count > max-len(dst) {
		return dst, limit("more than %d values", max)
	}
	dst = grow(dst, count)
	for len(run) > 0 {
		v, n := protowire.ConsumeVarint(run)
		if n < 0 {
			return dst, malformed("packed varint: %v", protowire.ParseError(n))
		}
		run = run[n:]
		x, err := conv(v)
		if err != nil {
			return dst, err
		}
		dst = append(dst, x)
	}
	return dst, nil
}

// appendFixed32s appends one or a packed run of 32-bit values.
func appendFixed32s[T any](f *fields, dst []T, conv func(uint32) T) ([]T, error) {
	return appendFixed32sMax(f, dst, conv, math.MaxInt)
}

// appendFixed32sMax is appendFixed32s failing with ErrLimit, before
// allocating, when the field would hold more than max values.
func appendFixed32sMax[T any](f *fields, dst []T, conv func(uint32) T, max int) ([]T, error) {
	if f.typ == protowire.Fixed32Type {
		if len(dst) >= max {
			return dst, limit("more than %d values", max)
		}
		v, err := f.fixed32()
		return append(dst, conv(v)), err
	}
	if f.typ != protowire.BytesType {
		return dst, malformed("repeated fixed32 field: wire type %s", wireName(f.typ))
	}
	run, err := f.bytes()
	if err != nil {
		return dst, err
	}
	if len(run)%4 != 0 {
		return dst, malformed("packed fixed32 run of %d bytes is not a multiple of 4", len(run))
	}
	if len(run)/4 > max-len(dst) {
		return dst, limit("more than %d values", max)
	}
	dst = grow(dst, len(run)/4)
	for i := 0; i < len(run); i += 4 {
		v, _ := protowire.ConsumeFixed32(run[i:])
		dst = append(dst, conv(v))
	}
	return dst, nil
}

// appendFixed64s appends one or a packed run of 64-bit values.
func appendFixed64s[T any](f *fields, dst []T, conv func(uint64) T) ([]T, error) {
	if f.typ == protowire.Fixed64Type {
		v, err := f.fixed64()
		return append(dst, conv(v)), err
	}
	if f.typ != protowire.BytesType {
		return dst, malformed("repeated fixed64 field: wire type %s", wireName(f.typ))
	}
	run, err := f.bytes()
	if err != nil {
		return dst, err
	}
	if len(run)%8 != 0 {
		return dst, malformed("packed fixed64 run of %d bytes is not a multiple of 8", len(run))
	}
	dst = grow(dst, len(run)/8)
	for i := 0; i < len(run); i += 8 {
		v, _ := protowire.ConsumeFixed64(run[i:])
		dst = append(dst, conv(v))
	}
	return dst, nil
}

// grow makes room for n more elements in one allocation.
func grow[T any](s []T, n int) []T {
	if n <= cap(s)-len(s) {
		return s
	}
	out := make([]T, len(s), len(s)+n)
	copy(out, s)
	return out
}

func asInt64(v uint64) (int64, error)   { return int64(v), nil }
func asUint64(v uint64) (uint64, error) { return v, nil }
func asFloat32(v uint32) float32        { return math.Float32frombits(v) }
func asFloat64(v uint64) float64        { return math.Float64frombits(v) }
