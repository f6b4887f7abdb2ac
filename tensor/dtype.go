package tensor

import (
	"fmt"
	"math"

	"github.com/x448/float16"
)

// DType identifies the element type of a tensor.
//
// The zero value is Invalid so that an uninitialised DType is never mistaken
// for a real one.
type DType uint8

// The element types backplane supports.
const (
	Invalid  DType = iota // no dtype; the zero value
	Float32               // IEEE-754 binary32, Go float32
	Float64               // IEEE-754 binary64, Go float64
	Float16               // IEEE-754 binary16, stored as Float16Value
	BFloat16              // bfloat16 (8-bit exponent, 7-bit mantissa), stored as BFloat16Value
	Int8                  // Go int8
	Uint8                 // Go uint8
	Int32                 // Go int32
	Int64                 // Go int64
	Bool                  // Go bool, one byte per element
	Int16                 // Go int16
	Uint16                // Go uint16
	Uint32                // Go uint32
	Uint64                // Go uint64
	numDTypes
)

var dtypeNames = [numDTypes]string{
	Invalid: "invalid", Float32: "float32", Float64: "float64", Float16: "float16", BFloat16: "bfloat16",
	Int8: "int8", Uint8: "uint8", Int32: "int32", Int64: "int64", Bool: "bool",
	Int16: "int16", Uint16: "uint16", Uint32: "uint32", Uint64: "uint64",
}

var dtypeSizes = [numDTypes]int{
	Float32: 4, Float64: 8, Float16: 2, BFloat16: 2, Int8: 1, Uint8: 1, Int32: 4, Int64: 8, Bool: 1,
	Int16: 2, Uint16: 2, Uint32: 4, Uint64: 8,
}

// DTypes lists every valid dtype in declaration order.
func DTypes() []DType {
	out := make([]DType, 0, numDTypes-1)
	for d := Float32; d < numDTypes; d++ {
		out = append(out, d)
	}
	return out
}

// String returns the lower-case name of the dtype, e.g. "float32".
func (d DType) String() string {
	if d < numDTypes {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Valid reports whether d is one of the supported dtypes.
func (d DType) Valid() bool { return d > Invalid && d < numDTypes }

// Size is the number of bytes one element occupies; 0 for an invalid dtype.
func (d DType) Size() int {
	if d < numDTypes {
		return dtypeSizes[d]
	}
	return 0
}

// IsFloat reports whether d is a floating-point dtype.
func (d DType) IsFloat() bool {
	return d == Float32 || d == Float64 || d == Float16 || d == BFloat16
}

// IsInt reports whether d is a (signed or unsigned) integer dtype.
func (d DType) IsInt() bool {
	switch d {
	case Int8, Uint8, Int16, Uint16, Int32, Uint32, Int64, Uint64:
		return true
	}
	return false
}

// IsUnsigned reports whether d is an unsigned integer dtype.
func (d DType) IsUnsigned() bool { return d == Uint8 || d == Uint16 || d == Uint32 || d == Uint64 }

// IsNumeric reports whether d supports arithmetic (every valid dtype but bool).
func (d DType) IsNumeric() bool { return d.IsFloat() || d.IsInt() }

// IntRange returns the smallest and largest value of integer dtype d (for
// bool 0 and 1; for float dtypes the int64 range, which any caller wanting a
// float range must special-case).
func IntRange(d DType) (lo, hi int64) {
	switch d {
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint8:
		return 0, math.MaxUint8
	case Int32:
		return math.MinInt32, math.MaxInt32
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint16:
		return 0, math.MaxUint16
	case Uint32:
		return 0, math.MaxUint32
	case Uint64:
		// int64 holds uint64 values up to 2^63−1; backplane's integer
		// arithmetic works in int64, see Uint64.
		return 0, math.MaxInt64
	case Bool:
		return 0, 1
	}
	return math.MinInt64, math.MaxInt64
}

// ParseDType returns the dtype with the given name (as printed by String).
func ParseDType(name string) (DType, error) {
	for d := Float32; d < numDTypes; d++ {
		if dtypeNames[d] == name {
			return d, nil
		}
	}
	return Invalid, fmt.Errorf("tensor: unknown dtype %q", name)
}

// Float16Value is one IEEE-754 half-precision number. It is the element type
// of Float16 tensors and the same type GoMLX uses, so data converts without copies.
type Float16Value = float16.Float16

// BFloat16Value is one bfloat16 number: the upper 16 bits of a float32.
type BFloat16Value uint16

// BFloat16FromFloat32 rounds f to the nearest bfloat16, ties to even; NaN stays NaN.
func BFloat16FromFloat32(f float32) BFloat16Value {
	bits := math.Float32bits(f)
	if f != f { // keep NaN a NaN even if its payload sits in the low bits
		return BFloat16Value(bits>>16 | 0x40)
	}
	rounding := uint32(0x7fff) + (bits>>16)&1
	return BFloat16Value((bits + rounding) >> 16)
}

// Float32 widens b to float32 exactly.
func (b BFloat16Value) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// String formats b like a float32.
func (b BFloat16Value) String() string { return fmt.Sprint(b.Float32()) }

// Element is the set of Go types that back tensor data, one per DType.
type Element interface {
	float32 | float64 | Float16Value | BFloat16Value | int8 | uint8 | int32 | int64 | bool |
		int16 | uint16 | uint32 | uint64
}

// DTypeOf returns the dtype whose elements have Go type T.
func DTypeOf[T Element]() DType {
	var zero T
	switch any(zero).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case Float16Value:
		return Float16
	case BFloat16Value:
		return BFloat16
	case int8:
		return Int8
	case uint8:
		return Uint8
	case int32:
		return Int32
	case int64:
		return Int64
	case bool:
		return Bool
	case int16:
		return Int16
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	}
	panic("unreachable: Element constraint covers every case")
}
