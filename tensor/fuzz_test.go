package tensor

import (
	"encoding/binary"
	"testing"
)

// fuzzShape decodes a shape from fuzz bytes: a byte below 0x80 is a small
// dimension (byte-2, so -2..125), a byte from 0x80 up takes the next 8 bytes
// as an arbitrary int64 dimension (huge, negative, overflowing products).
func fuzzShape(b []byte) Shape {
	s := Shape{}
	for len(b) > 0 && len(s) < 10 {
		c := b[0]
		b = b[1:]
		if c < 0x80 || len(b) < 8 {
			s = append(s, int(c&0x7F)-2)
			continue
		}
		s = append(s, int(int64(binary.LittleEndian.Uint64(b))))
		b = b[8:]
	}
	return s
}

// FuzzShapes checks that shape validation, broadcasting and reshaping never
// panic on hostile dimensions and that what they accept is consistent.
func FuzzShapes(f *testing.F) {
	f.Add([]byte{4, 5}, []byte{5})
	f.Add([]byte{2, 1}, []byte{3, 3})
	f.Add([]byte{1}, []byte{0})
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0x40}, []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0x40}) // 2^62 each
	f.Add([]byte{0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []byte{1, 1})       // -1
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 1, 0, 0, 0x80, 0, 0, 0, 0, 0, 1, 0, 0}, []byte{})     // 2^40 · 2^40
	f.Fuzz(func(t *testing.T, ab, bb []byte) {
		a, b := fuzzShape(ab), fuzzShape(bb)
		errA := a.Validate()
		if errA == nil {
			if n := a.NumElements(); n < 0 || n > MaxElements {
				t.Fatalf("%v validated with %d elements", a, n)
			}
			if _, err := checkedBytes(Float64, a); err != nil {
				t.Fatalf("%v validated but checkedBytes fails: %v", a, err)
			}
			_ = a.Strides()
		}

		out, err := BroadcastShapes(a, b)
		_, errSwap := BroadcastShapes(b, a)
		if (err == nil) != (errSwap == nil) {
			t.Fatalf("broadcast %v with %v: %v, swapped: %v", a, b, err, errSwap)
		}
		if err == nil {
			if errA != nil || b.Validate() != nil || out.Validate() != nil {
				t.Fatalf("broadcast %v with %v accepted an invalid shape: %v", a, b, out)
			}
			if len(out) != max(len(a), len(b)) {
				t.Fatalf("broadcast %v with %v has rank %d", a, b, len(out))
			}
			for _, s := range []Shape{a, b} {
				off := len(out) - len(s)
				for i, d := range s {
					if d != 1 && d != out[off+i] {
						t.Fatalf("broadcast %v with %v gave %v", a, b, out)
					}
				}
			}
		}

		// reshaping a small tensor of shape a to b
		if errA == nil && a.NumElements() <= 1<<12 {
			x, err := New(Bool, a...)
			if err != nil {
				t.Fatalf("New(%v): %v", a, err)
			}
			r, err := x.Reshape(b...)
			if err == nil && (r.NumElements() != x.NumElements() || r.Shape().Validate() != nil) {
				t.Fatalf("reshape %v to %v gave %v", a, b, r.Shape())
			}
		}
	})
}
