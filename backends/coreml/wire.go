package coreml

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/x448/float16"
	"google.golang.org/protobuf/encoding/protowire"
)

// wire appends a protobuf message to one buffer. Nested messages are opened
// and closed: open writes the tag and remembers where the body starts, close
// inserts the body's length in front of it. Shifting the body by the few bytes
// of its length varint is cheaper than encoding every sub-message into its own
// buffer and copying it into its parent, which would copy the weights once per
// nesting level as well and allocate each time.
//
// Scalar setters skip proto3 default values (zero, false, ""), as a protobuf
// encoder does; a message field is always written, so that an empty message
// still selects its member of a oneof.
type wire struct {
	b     []byte
	stack []int
}

// open starts the message field num.
func (w *wire) open(num protowire.Number) {
	w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
	w.stack = append(w.stack, len(w.b))
}

// close ends the innermost open message by inserting its length varint.
func (w *wire) close() {
	start := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	n := len(w.b) - start
	k := protowire.SizeVarint(uint64(n))
	w.b = append(w.b, make([]byte, k)...)
	copy(w.b[start+k:], w.b[start:start+n])
	protowire.AppendVarint(w.b[:start], uint64(n))
}

// empty writes the message field num with no content.
func (w *wire) empty(num protowire.Number) {
	w.open(num)
	w.close()
}

func (w *wire) uint(num protowire.Number, v uint64) {
	if v != 0 {
		w.b = protowire.AppendTag(w.b, num, protowire.VarintType)
		w.b = protowire.AppendVarint(w.b, v)
	}
}

// int writes an int64 or enum field (two's complement varint, as proto3 does).
func (w *wire) int(num protowire.Number, v int) { w.uint(num, uint64(int64(v))) }

func (w *wire) boolean(num protowire.Number, v bool) {
	if v {
		w.uint(num, 1)
	}
}

// float writes a float field; only +0 is the default, so -0 is kept.
func (w *wire) float(num protowire.Number, v float64) {
	bits := math.Float32bits(float32(v))
	if bits != 0 {
		w.b = protowire.AppendTag(w.b, num, protowire.Fixed32Type)
		w.b = protowire.AppendFixed32(w.b, bits)
	}
}

func (w *wire) str(num protowire.Number, s string) {
	if s != "" {
		w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
		w.b = protowire.AppendString(w.b, s)
	}
}

// ints writes a packed repeated int64 or uint64 field (the values here are
// dims, axes and counts; uint64 fields only ever receive values >= 0).
func (w *wire) ints(num protowire.Number, vs []int) {
	if len(vs) == 0 {
		return
	}
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(int64(v)))
	}
	w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
	w.b = protowire.AppendVarint(w.b, uint64(n))
	for _, v := range vs {
		w.b = protowire.AppendVarint(w.b, uint64(int64(v)))
	}
}

// bools writes a packed repeated bool field.
func (w *wire) bools(num protowire.Number, vs []bool) {
	if len(vs) == 0 {
		return
	}
	w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
	w.b = protowire.AppendVarint(w.b, uint64(len(vs)))
	for _, v := range vs {
		w.b = protowire.AppendVarint(w.b, protowire.EncodeBool(v))
	}
}

// weights writes a WeightParams message as field num: packed floatValue for
// Float32, float16Value bytes for Float16 (each value rounded to nearest,
// ties to even). It reports the index of the first value that is finite in
// float32 but overflows float16, or -1.
func (w *wire) weights(num protowire.Number, vs []float32, p Precision) (overflow int) {
	return w.weightsT(num, vs, 0, 0, p)
}

// weightsT is weights for a [rows, cols] row-major matrix written transposed
// (column by column) when rows > 0, which is how BatchedMatMul stores its
// weight matrix; it saves building the transpose in memory first.
func (w *wire) weightsT(num protowire.Number, vs []float32, rows, cols int, p Precision) (overflow int) {
	overflow = -1
	w.open(num)
	size, field, half := 4, fWeightFloatValue, p == Float16
	if half {
		size, field = 2, fWeightFloat16Value
	}
	w.b = protowire.AppendTag(w.b, field, protowire.BytesType)
	w.b = protowire.AppendVarint(w.b, uint64(size*len(vs)))
	// Fill the bytes in place: appending value by value would store the
	// slice header back into w at every step.
	n := len(w.b)
	w.b = slices.Grow(w.b, size*len(vs))[:n+size*len(vs)]
	dst := w.b[n:]
	j := 0
	if rows > 0 {
		for c := range cols {
			for r := range rows {
				if putWeight(dst, j, vs[r*cols+c], half) && overflow < 0 {
					overflow = r*cols + c
				}
				j++
			}
		}
	} else {
		for i, v := range vs {
			if putWeight(dst, i, v, half) && overflow < 0 {
				overflow = i
			}
		}
	}
	w.close()
	return overflow
}

// putWeight stores v as the j-th float32 or float16 of dst and reports
// whether a finite v overflowed float16.
func putWeight(dst []byte, j int, v float32, half bool) bool {
	if !half {
		binary.LittleEndian.PutUint32(dst[4*j:], math.Float32bits(v))
		return false
	}
	h := float16.Fromfloat32(v)
	binary.LittleEndian.PutUint16(dst[2*j:], uint16(h))
	return h.IsInf(0) && !math.IsInf(float64(v), 0)
}
