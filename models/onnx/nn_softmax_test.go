package onnx

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Import tests of Softmax and LogSoftmax: the per-axis form of opset 13 and
// the coerce-to-2-D form before it, including symbolic dims. Inputs are logs
// of small integers, so softmax gives those integers over their sum.

// nnLn returns float32 natural logs of v.
func nnLn(shape []int, v ...float64) *tensor.Tensor {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(math.Log(x))
	}
	return tensor.MustFromSlice(out, shape...)
}

// nnSymIn declares a float32 graph input whose dims are ints (static) or
// strings (symbolic).
func nnSymIn(name string, dims ...any) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			s.Dims = append(s.Dims, onnxpb.Dim{Value: int64(d), HasValue: true})
		case string:
			s.Dims = append(s.Dims, onnxpb.Dim{Param: d})
		}
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: onnxpb.Float, Shape: s}}}
}

func TestNNSoftmax(t *testing.T) {
	sm := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("Softmax", []string{"x"}, []string{"y"}, attrs...)
	}
	x4 := nnLn(nnShape(1, 2, 2), 1, 2, 3, 4)
	tenths := nnF32(nnShape(1, 2, 2), 0.1, 0.2, 0.3, 0.4)
	nnRun(t, []nnCase{
		// rows ln[1,3] and ln[2,2]: [1/4, 3/4] and [1/2, 1/2]
		{name: "opset13 default last axis", opset: 13, node: sm(),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{nnLn(nnShape(2, 2), 1, 3, 2, 2)},
			want: nnF32(nnShape(2, 2), 0.25, 0.75, 0.5, 0.5)},
		// axis 1 of ln[[[1,2],[3,4]]] pairs 1 with 3 and 2 with 4: [[1/4, 2/6], [3/4, 4/6]]
		{name: "opset13 axis 1 per axis", opset: 13, node: sm(aInt("axis", 1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x4},
			want: nnF32(nnShape(1, 2, 2), 0.25, 2./6, 0.75, 4./6)},
		// before 13, axis 1 flattens dims 1.. into one row: [1,2,3,4]/10
		{name: "opset11 axis 1 coerced", opset: 11, node: sm(aInt("axis", 1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x4}, want: tenths},
		// the default axis before 13 is 1
		{name: "opset6 default axis", opset: 6, node: sm(),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x4}, want: tenths},
		// axis 0 flattens everything
		{name: "opset11 axis 0", opset: 11, node: sm(aInt("axis", 0)),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{nnLn(nnShape(2, 2), 1, 2, 3, 4)},
			want: nnF32(nnShape(2, 2), 0.1, 0.2, 0.3, 0.4)},
		// axis −1 (last) is per-row either way: [1,2]/3 and [3,4]/7
		{name: "opset11 axis -1", opset: 11, node: sm(aInt("axis", -1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x4},
			want: nnF32(nnShape(1, 2, 2), 1./3, 2./3, 3./7, 4./7)},
		// trailing dims of size 1 make the coerced softmax the per-axis one: ln[1,3] → [1/4, 3/4]
		{name: "opset11 trailing ones", opset: 11, node: sm(),
			inputs: nnIn(1, 2, 1), feeds: []*tensor.Tensor{nnLn(nnShape(1, 2, 1), 1, 3)},
			want: nnF32(nnShape(1, 2, 1), 0.25, 0.75)},
		// zero-size input: the output is empty whatever the axis
		{name: "opset11 empty", opset: 11, node: sm(aInt("axis", 0)),
			inputs: nnIn(0, 3), feeds: []*tensor.Tensor{nnF32(nnShape(0, 3))}, want: nnF32(nnShape(0, 3))},
		// float64, opset 13 axis 0: columns ln[1,3] and ln[1,1]
		{name: "opset13 float64 axis 0", opset: 13, node: sm(aInt("axis", 0)),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Double, 2, 2)},
			feeds:  []*tensor.Tensor{tensor.MustFromSlice([]float64{0, 0, math.Log(3), 0}, 2, 2)},
			want:   tensor.MustFromSlice([]float64{0.25, 0.5, 0.75, 0.5}, 2, 2)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "opset11 axis out of range", opset: 11, node: sm(aInt("axis", 2)),
			inputs: nnIn(2, 2), kind: ErrInvalidModel, msg: "axis"},
		{name: "opset13 axis out of range", opset: 13, node: sm(aInt("axis", -3)),
			inputs: nnIn(2, 2), kind: ErrInvalidModel, msg: "axis"},
		{name: "opset11 scalar", opset: 11, node: sm(), inputs: nnIn(), kind: ErrInvalidModel, msg: "scalar"},
		{name: "integer input", opset: 13, node: sm(),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Int32, 2)}, kind: ErrInvalidModel, msg: "int32"},
		{name: "axis wrong type", opset: 13, node: sm(aFloat("axis", 1)),
			inputs: nnIn(2, 2), kind: ErrInvalidModel, msg: "axis"},
		{name: "two symbolic dims each side of axis 2", opset: 11, node: sm(aInt("axis", 2)),
			inputs: []onnxpb.ValueInfo{nnSymIn("x", "N", 2, "M", 2)}, kind: ErrUnsupported, msg: "symbolic"},
	})
}

func TestNNLogSoftmax(t *testing.T) {
	ls := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("LogSoftmax", []string{"x"}, []string{"y"}, attrs...)
	}
	l := func(v float64) float32 { return float32(math.Log(v)) }
	nnRun(t, []nnCase{
		// ln[1,3] → ln(1/4), ln(3/4)
		{name: "opset13", opset: 13, node: ls(),
			inputs: nnIn(2), feeds: []*tensor.Tensor{nnLn(nnShape(2), 1, 3)}, want: nnF32(nnShape(2), l(0.25), l(0.75))},
		// coerced at the default axis 1: ln of [1,2,3,4]/10
		{name: "opset11 coerced", opset: 11, node: ls(),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{nnLn(nnShape(1, 2, 2), 1, 2, 3, 4)},
			want: nnF32(nnShape(1, 2, 2), l(0.1), l(0.2), l(0.3), l(0.4))},
		// opset 13 axis 1, per axis: ln of [[1/4, 2/6], [3/4, 4/6]]
		{name: "opset13 axis 1", opset: 13, node: ls(aInt("axis", 1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{nnLn(nnShape(1, 2, 2), 1, 2, 3, 4)},
			want: nnF32(nnShape(1, 2, 2), l(0.25), l(2./6), l(0.75), l(4./6))},
	})
}

// TestNNSoftmaxSymbolic checks the coerced form keeps symbolic dims symbolic:
// the reshapes use 0 and -1 for them, and the model runs at other sizes.
func TestNNSoftmaxSymbolic(t *testing.T) {
	cases := []struct {
		name       string
		axis       int64
		in         onnxpb.ValueInfo
		flat, back []int
		x, want    *tensor.Tensor
	}{
		// [N,2,2] at axis 1: rows of 4; N = 2: ln[1,2,3,4] → tenths, ln[1,1,1,1] → quarters
		{name: "batch outer", axis: 1, in: nnSymIn("x", "N", 2, 2), flat: []int{-1, 4}, back: []int{0, 2, 2},
			x:    nnLn(nnShape(2, 2, 2), 1, 2, 3, 4, 1, 1, 1, 1),
			want: nnF32(nnShape(2, 2, 2), 0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.25, 0.25)},
		// [2,N] at axis 0: one row of everything; N = 2
		{name: "symbolic inner", axis: 0, in: nnSymIn("x", 2, "N"), flat: []int{1, -1}, back: []int{2, -1},
			x: nnLn(nnShape(2, 2), 1, 2, 3, 4), want: nnF32(nnShape(2, 2), 0.1, 0.2, 0.3, 0.4)},
		// [N,2,M] at axis 1: N copied by 0, M inferred; N = 1, M = 2
		{name: "both sides axis 1", axis: 1, in: nnSymIn("x", "N", 2, "M"), flat: []int{0, -1}, back: []int{0, 2, -1},
			x: nnLn(nnShape(1, 2, 2), 1, 2, 3, 4), want: nnF32(nnShape(1, 2, 2), 0.1, 0.2, 0.3, 0.4)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := model(11, []onnxpb.Node{node("Softmax", []string{"x"}, []string{"y"}, aInt("axis", tc.axis))},
				[]onnxpb.ValueInfo{tc.in}, []onnxpb.ValueInfo{tout("y")})
			art, err := ImportModel(m, Options{})
			require.NoError(t, err)
			var shapes [][]int
			for _, n := range art.Nodes {
				if n.Op == "reshape" {
					shapes = append(shapes, n.Attrs.Ints("shape", nil))
				}
			}
			require.Equal(t, [][]int{tc.flat, tc.back}, shapes)
			require.NotEmpty(t, art.SymbolicDims())
			out := runModel(t, m, tc.x)
			requireClose(t, out[0], tc.want)
		})
	}
}
