package onnx

import (
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

func TestReduce(t *testing.T) {
	// x = [[1 2 3] [4 5 6]].
	x := shapeF([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	cases := []struct {
		name  string
		op    string
		opset int64
		attrs []onnxpb.Attribute
		axes  []int64 // given as input "a" when non-nil
		want  *tensor.Tensor
	}{
		// Row sums 1+2+3 = 6, 4+5+6 = 15.
		{"sum opset 11 attribute", "ReduceSum", 11, []onnxpb.Attribute{aInts("axes", 1), aInt("keepdims", 0)}, nil, shapeF([]float32{6, 15}, 2)},
		{"sum opset 13 input", "ReduceSum", 13, []onnxpb.Attribute{aInt("keepdims", 0)}, []int64{1}, shapeF([]float32{6, 15}, 2)},
		{"sum keepdims default", "ReduceSum", 13, nil, []int64{-1}, shapeF([]float32{6, 15}, 2, 1)},
		// Everything: 21.
		{"sum all (opset 6)", "ReduceSum", 6, nil, nil, shapeF([]float32{21}, 1, 1)},
		{"sum all (opset 13, no axes)", "ReduceSum", 13, []onnxpb.Attribute{aInt("keepdims", 0)}, nil, tensor.Scalar(float32(21))},
		{"sum all (opset 13, empty axes)", "ReduceSum", 13, nil, []int64{}, shapeF([]float32{21}, 1, 1)},
		{"sum noop", "ReduceSum", 13, []onnxpb.Attribute{aInt("noop_with_empty_axes", 1)}, nil, x},
		// Column sums 5 7 9; noop only matters when axes are empty.
		{"sum noop with axes", "ReduceSum", 13, []onnxpb.Attribute{aInt("noop_with_empty_axes", 1)}, []int64{0}, shapeF([]float32{5, 7, 9}, 1, 3)},
		// Column means (1+4)/2 = 2.5, 3.5, 4.5.
		{"mean opset 13 attribute", "ReduceMean", 13, []onnxpb.Attribute{aInts("axes", 0)}, nil, shapeF([]float32{2.5, 3.5, 4.5}, 1, 3)},
		{"mean opset 18 input", "ReduceMean", 18, []onnxpb.Attribute{aInt("keepdims", 0)}, []int64{0}, shapeF([]float32{2.5, 3.5, 4.5}, 3)},
		// 21/6 = 3.5.
		{"mean all", "ReduceMean", 18, nil, nil, shapeF([]float32{3.5}, 1, 1)},
		{"max opset 11", "ReduceMax", 11, []onnxpb.Attribute{aInts("axes", 1)}, nil, shapeF([]float32{3, 6}, 2, 1)},
		{"max opset 18", "ReduceMax", 18, nil, []int64{1}, shapeF([]float32{3, 6}, 2, 1)},
		{"max noop", "ReduceMax", 18, []onnxpb.Attribute{aInt("noop_with_empty_axes", 1)}, []int64{}, x},
		{"min opset 13", "ReduceMin", 13, []onnxpb.Attribute{aInts("axes", -1), aInt("keepdims", 0)}, nil, shapeF([]float32{1, 4}, 2)},
		{"min opset 20", "ReduceMin", 20, []onnxpb.Attribute{aInt("keepdims", 0)}, []int64{1}, shapeF([]float32{1, 4}, 2)},
		// 1*2*3 = 6, 4*5*6 = 120; everything 720.
		{"prod opset 6", "ReduceProd", 6, []onnxpb.Attribute{aInts("axes", 1)}, nil, shapeF([]float32{6, 120}, 2, 1)},
		{"prod opset 18 all", "ReduceProd", 18, []onnxpb.Attribute{aInt("keepdims", 0)}, nil, tensor.Scalar(float32(720))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inputs := []string{"x"}
			var inits []onnxpb.Tensor
			if tc.axes != nil {
				inputs = append(inputs, "a")
				inits = append(inits, shapeList(t, "a", tc.axes...))
			}
			got := shapeRun1(t, tc.opset, node(tc.op, inputs, []string{"y"}, tc.attrs...),
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []*tensor.Tensor{x}, inits...)
			requireClose(t, got, tc.want)
		})
	}
	t.Run("int32 sum", func(t *testing.T) {
		// Column sums of [[1 -2] [3 4]]: 4, 2.
		got := shapeRun1(t, 13, node("ReduceSum", []string{"x", "a"}, []string{"y"}, aInt("keepdims", 0)),
			[]onnxpb.ValueInfo{tin("x", onnxpb.Int32, 2, 2)}, []*tensor.Tensor{tensor.MustFromSlice([]int32{1, -2, 3, 4}, 2, 2)},
			shapeList(t, "a", 0))
		requireClose(t, got, tensor.MustFromSlice([]int32{4, 2}, 2))
	})
	t.Run("symbolic batch", func(t *testing.T) {
		m := model(18, []onnxpb.Node{node("ReduceMax", []string{"x", "a"}, []string{"y"}, aInt("keepdims", 0))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3)}, []onnxpb.ValueInfo{tout("y")}, shapeList(t, "a", 1))
		requireClose(t, runModel(t, m, x)[0], shapeF([]float32{3, 6}, 2))
	})
}

func TestReduceErrors(t *testing.T) {
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	y := []onnxpb.ValueInfo{tout("y")}
	red := func(op string, opset int64, inputs []string, attrs ...onnxpb.Attribute) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model {
			return model(opset, []onnxpb.Node{node(op, inputs, []string{"y"}, attrs...)}, ins, y, shapeList(t, "a", 1))
		}
	}
	shapeRunErrs(t, []shapeErrCase{
		{"sum axes attribute in opset 13", red("ReduceSum", 13, []string{"x"}, aInts("axes", 1)), ErrInvalidModel, "", "input from opset 13"},
		{"mean axes attribute in opset 18", red("ReduceMean", 18, []string{"x"}, aInts("axes", 1)), ErrInvalidModel, "", "input from opset 18"},
		{"max axes input in opset 13", red("ReduceMax", 13, []string{"x", "a"}), ErrInvalidModel, "", "inputs"},
		{"sum noop before 13", red("ReduceSum", 12, []string{"x"}, aInt("noop_with_empty_axes", 1)), ErrUnsupported, "", "noop_with_empty_axes"},
		{"min noop before 18", red("ReduceMin", 17, []string{"x"}, aInt("noop_with_empty_axes", 1)), ErrUnsupported, "", "noop_with_empty_axes"},
		{"noop 2", red("ReduceProd", 18, []string{"x"}, aInt("noop_with_empty_axes", 2)), ErrInvalidModel, "", "want 0 or 1"},
		{"keepdims 2", red("ReduceSum", 11, []string{"x"}, aInt("keepdims", 2)), ErrInvalidModel, "", "keepdims"},
		{"axis out of range", red("ReduceMax", 11, []string{"x"}, aInts("axes", 2)), ErrInvalidModel, "", "axes"},
		{"repeated axis", red("ReduceMin", 11, []string{"x"}, aInts("axes", 1, -1)), ErrInvalidModel, "", "axes"},
		{"axes from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("ReduceSum", []string{"x", "a"}, []string{"y"})},
				[]onnxpb.ValueInfo{ins[0], tin("a", onnxpb.Int64, 1)}, y)
		}, ErrUnsupported, "a", "known at import"},
		{"mean of ints", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("ReduceMean", []string{"x"}, []string{"y"})},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Int32, 2)}, y)
		}, ErrInvalidModel, "x", "reduce_mean"},
	})
}

func TestReduceArg(t *testing.T) {
	// x = [[1 5 3] [4 2 4]]: row 1 has its max 4 twice (indices 0 and 2).
	x := shapeF([]float32{1, 5, 3, 4, 2, 4}, 2, 3)
	cases := []struct {
		name  string
		op    string
		opset int64
		attrs []onnxpb.Attribute
		want  *tensor.Tensor
	}{
		// Row maxima at 1 (5) and 0 (the first 4); keepdims defaults to 1.
		{"argmax rows", "ArgMax", 6, []onnxpb.Attribute{aInt("axis", 1)}, shapeI64([]int64{1, 0}, 2, 1)},
		{"argmax last index", "ArgMax", 12, []onnxpb.Attribute{aInt("axis", -1), aInt("select_last_index", 1)}, shapeI64([]int64{1, 2}, 2, 1)},
		// Column maxima: max(1,4) row 1, max(5,2) row 0, max(3,4) row 1; axis defaults to 0.
		{"argmax default axis", "ArgMax", 13, []onnxpb.Attribute{aInt("keepdims", 0)}, shapeI64([]int64{1, 0, 1}, 3)},
		// Column minima: min(1,4) row 0, min(5,2) row 1, min(3,4) row 0.
		{"argmin columns", "ArgMin", 11, []onnxpb.Attribute{aInt("keepdims", 0)}, shapeI64([]int64{0, 1, 0}, 3)},
		// Row minima: 1 at 0, 2 at 1 (no ties).
		{"argmin rows, last index", "ArgMin", 21, []onnxpb.Attribute{aInt("axis", 1), aInt("select_last_index", 1)}, shapeI64([]int64{0, 1}, 2, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := shapeRun1(t, tc.opset, node(tc.op, []string{"x"}, []string{"y"}, tc.attrs...),
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []*tensor.Tensor{x})
			requireClose(t, got, tc.want)
		})
	}
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	y := []onnxpb.ValueInfo{tout("y")}
	arg := func(op string, opset int64, attrs ...onnxpb.Attribute) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model {
			return model(opset, []onnxpb.Node{node(op, []string{"x"}, []string{"y"}, attrs...)}, ins, y)
		}
	}
	shapeRunErrs(t, []shapeErrCase{
		{"select_last_index before 12", arg("ArgMax", 11, aInt("select_last_index", 1)), ErrUnsupported, "", "select_last_index"},
		{"select_last_index 2", arg("ArgMin", 13, aInt("select_last_index", 2)), ErrInvalidModel, "", "select_last_index"},
		{"axis out of range", arg("ArgMax", 13, aInt("axis", 2)), ErrInvalidModel, "", "axis"},
		{"axes instead of axis", arg("ArgMin", 13, aInts("axis", 1)), ErrInvalidModel, "", `"axis" has type`},
	})
}
