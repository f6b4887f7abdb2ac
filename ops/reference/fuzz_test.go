package reference

import (
	"encoding/binary"
	"testing"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// fuzzReader hands out values from the fuzzer's bytes, then zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// int mostly returns small values (what valid models use) and sometimes
// extreme ones (what hostile files use).
func (r *fuzzReader) int() int {
	switch sel := r.byte(); {
	case sel < 200:
		return int(sel%16) - 4
	case sel < 230:
		return int(int8(r.byte()))
	default:
		var buf [8]byte
		for i := range buf {
			buf[i] = r.byte()
		}
		return int(binary.LittleEndian.Uint64(buf[:]))
	}
}

// FuzzOp builds an arbitrary call of an arbitrary catalog op — input count,
// dtypes, shapes and attribute values all drawn from the fuzzer — and checks
// that inference and, when it succeeds on a small output, the reference
// kernel return errors rather than panic. Untrusted model files reach
// exactly these two functions.
func FuzzOp(f *testing.F) {
	f.Add([]byte{0, 2, 1, 2, 3, 4, 1, 2, 3, 4})
	f.Add([]byte{17, 3, 2, 2, 2, 2, 7, 7, 7, 7, 1, 1, 1})
	f.Add([]byte{40, 1, 1, 4, 1, 3, 8, 8, 9, 9, 2, 2, 0, 0, 1})
	names := ops.Names()
	dtypes := tensor.DTypes()
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		op, _ := ops.Lookup(names[int(r.byte())%len(names)])
		n := int(r.byte() % 5)
		in := make([]*tensor.Tensor, n)
		types := make([]ops.Type, n)
		for i := range in {
			if r.byte()%8 == 0 {
				continue // an omitted input
			}
			d := dtypes[int(r.byte())%len(dtypes)]
			shape := make([]int, r.byte()%5)
			for j := range shape {
				shape[j] = int(r.byte() % 6)
			}
			x, err := tensor.New(d, shape...)
			if err != nil {
				t.Fatal(err)
			}
			in[i], types[i] = x, ops.TypeOf(x)
		}
		attrs := ops.Attrs{}
		for _, spec := range op.Attrs {
			if r.byte()%2 == 0 {
				continue
			}
			switch spec.Kind {
			case ops.AttrInt:
				attrs[spec.Name] = r.int()
			case ops.AttrInts:
				v := make([]int, r.byte()%9)
				for i := range v {
					v[i] = r.int()
				}
				attrs[spec.Name] = v
			case ops.AttrFloat:
				attrs[spec.Name] = float64(r.int()) / 4
			case ops.AttrFloats:
				v := make([]float64, r.byte()%5)
				for i := range v {
					v[i] = float64(r.int()) / 4
				}
				attrs[spec.Name] = v
			case ops.AttrString:
				choices := []string{"", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "constant", "reflect", "edge",
					"none", "tanh", "float32", "int64", "bool", "float16", "bogus"}
				attrs[spec.Name] = choices[int(r.byte())%len(choices)]
			}
		}
		out, err := ops.Infer(op.Name, types, attrs)
		if err != nil {
			return
		}
		total := 0
		for _, o := range out {
			total += o.Shape.NumElements()
		}
		if total > 1<<16 {
			return
		}
		Eval(op.Name, attrs, in...) // errors are fine; a panic fails the fuzz run
	})
}
