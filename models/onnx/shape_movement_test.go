package onnx

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

func TestShapeConcat(t *testing.T) {
	a := shapeF([]float32{0, 1}, 2, 1)
	b := shapeF([]float32{2, 3, 4, 5}, 2, 2)
	ins := []onnxpb.ValueInfo{tin("a", onnxpb.Float, 2, 1), tin("b", onnxpb.Float, 2, 2)}
	// Along axis 1: [[0 2 3] [1 4 5]].
	want := shapeF([]float32{0, 2, 3, 1, 4, 5}, 2, 3)
	for _, tc := range []struct {
		name  string
		opset int64
		axis  int64
	}{{"opset 6", 6, 1}, {"negative axis", 13, -1}, {"negative axis before 11 (accepted)", 6, -1}} {
		t.Run(tc.name, func(t *testing.T) {
			got := shapeRun1(t, tc.opset, node("Concat", []string{"a", "b"}, []string{"y"}, aInt("axis", tc.axis)), ins, []*tensor.Tensor{a, b})
			requireClose(t, got, want)
		})
	}
	t.Run("with an initializer and a single input", func(t *testing.T) {
		// c = [[9]; [8]] ++ a along axis 1: [[9 0] [8 1]]; then Concat of one input is a copy.
		m := model(13, []onnxpb.Node{
			node("Concat", []string{"c", "a"}, []string{"t"}, aInt("axis", 1)),
			node("Concat", []string{"t"}, []string{"y"}, aInt("axis", 0)),
		}, ins[:1], []onnxpb.ValueInfo{tout("y")}, initializer(t, "c", shapeF([]float32{9, 8}, 2, 1)))
		m.Graph.Nodes[1].Name = "second"
		requireClose(t, runModel(t, m, a)[0], shapeF([]float32{9, 0, 8, 1}, 2, 2))
	})
	t.Run("constants fold", func(t *testing.T) {
		// Concat of two int64 lists, as shape computations do: [2] ++ [3 4].
		m := model(13, []onnxpb.Node{node("Concat", []string{"p", "q"}, []string{"y"}, aInt("axis", 0))}, nil,
			[]onnxpb.ValueInfo{tout("y")}, shapeList(t, "p", 2), shapeList(t, "q", 3, 4))
		art := shapeImport(t, m)
		require.Empty(t, art.Nodes)
		requireClose(t, shapeRunArt(t, art)[0], shapeI64([]int64{2, 3, 4}, 3))
	})
	y := []onnxpb.ValueInfo{tout("y")}
	shapeRunErrs(t, []shapeErrCase{
		{"no axis", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Concat", []string{"a", "b"}, []string{"y"})}, ins, y)
		}, ErrInvalidModel, "", "axis is required"},
		{"mismatched dims", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Concat", []string{"a", "b"}, []string{"y"}, aInt("axis", 0))}, ins, y)
		}, ErrInvalidModel, "b", "dim 1"},
		{"omitted input", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Concat", []string{"a", ""}, []string{"y"}, aInt("axis", 1))}, ins, y)
		}, ErrInvalidModel, "", "omitted"},
		{"no inputs", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Concat", nil, []string{"y"}, aInt("axis", 1))}, ins, y)
		}, ErrInvalidModel, "", "at least one input"},
	})
}

func TestShapeSplit(t *testing.T) {
	// x = [[0 1 2 3] [4 5 6 7]].
	x := shapeF(shapeIota(8), 2, 4)
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 4)}
	// Sizes 1 and 3 along axis 1: [[0] [4]] and [[1 2 3] [5 6 7]].
	uneven := []*tensor.Tensor{shapeF([]float32{0, 4}, 2, 1), shapeF([]float32{1, 2, 3, 5, 6, 7}, 2, 3)}
	// Two equal pieces along axis 1: [[0 1] [4 5]] and [[2 3] [6 7]].
	halves := []*tensor.Tensor{shapeF([]float32{0, 1, 4, 5}, 2, 2), shapeF([]float32{2, 3, 6, 7}, 2, 2)}
	cases := []struct {
		name   string
		opset  int64
		inputs []string
		attrs  []onnxpb.Attribute
		split  []int64 // initializer "s" when inputs name it
		want   []*tensor.Tensor
	}{
		{"opset 11 split attribute", 11, []string{"x"}, []onnxpb.Attribute{aInt("axis", 1), aInts("split", 1, 3)}, nil, uneven},
		{"opset 13 split input", 13, []string{"x", "s"}, []onnxpb.Attribute{aInt("axis", 1)}, []int64{1, 3}, uneven},
		{"opset 18 split input, negative axis", 18, []string{"x", "s"}, []onnxpb.Attribute{aInt("axis", -1)}, []int64{1, 3}, uneven},
		{"opset 6 equal pieces", 6, []string{"x"}, []onnxpb.Attribute{aInt("axis", 1)}, nil, halves},
		{"opset 13 equal pieces", 13, []string{"x"}, []onnxpb.Attribute{aInt("axis", 1)}, nil, halves},
		{"opset 18 num_outputs", 18, []string{"x"}, []onnxpb.Attribute{aInt("axis", 1), aInt("num_outputs", 2)}, nil, halves},
		// Default axis 0: rows.
		{"default axis", 13, []string{"x"}, nil, nil, []*tensor.Tensor{shapeF(shapeIota(4), 1, 4), shapeF([]float32{4, 5, 6, 7}, 1, 4)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inits []onnxpb.Tensor
			if tc.split != nil {
				inits = append(inits, shapeList(t, "s", tc.split...))
			}
			m := model(tc.opset, []onnxpb.Node{node("Split", tc.inputs, []string{"y0", "y1"}, tc.attrs...)}, ins,
				[]onnxpb.ValueInfo{tout("y0"), tout("y1")}, inits...)
			got := runModel(t, m, x)
			require.Len(t, got, 2)
			requireClose(t, got[0], tc.want[0])
			requireClose(t, got[1], tc.want[1])
		})
	}
	t.Run("opset 18 num_outputs uneven", func(t *testing.T) {
		// 5 into 3: ceil(5/3) = 2, so 2, 2 and the remaining 1.
		m := model(18, []onnxpb.Node{node("Split", []string{"x"}, []string{"a", "b", "c"}, aInt("num_outputs", 3))},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Int64, 5)}, []onnxpb.ValueInfo{tout("a"), tout("b"), tout("c")})
		got := runModel(t, m, shapeI64([]int64{10, 11, 12, 13, 14}, 5))
		requireClose(t, got[0], shapeI64([]int64{10, 11}, 2))
		requireClose(t, got[1], shapeI64([]int64{12, 13}, 2))
		requireClose(t, got[2], shapeI64([]int64{14}, 1))
	})
	t.Run("two equal pieces of a symbolic dim", func(t *testing.T) {
		// [N, 2] into two along N: for N=2 the rows [0 1] and [2 3].
		m := model(11, []onnxpb.Node{node("Split", []string{"x"}, []string{"a", "b"})},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 2)}, []onnxpb.ValueInfo{tout("a"), tout("b")})
		art := shapeImport(t, m)
		require.True(t, art.Inputs[0].Dims[0].IsSymbolic())
		got := shapeRunArt(t, art, shapeF(shapeIota(4), 2, 2))
		requireClose(t, got[0], shapeF([]float32{0, 1}, 1, 2))
		requireClose(t, got[1], shapeF([]float32{2, 3}, 1, 2))
	})
	t.Run("unused output and symbolic batch", func(t *testing.T) {
		// [N, 4] split 1+3 along axis 1 keeps N symbolic; only the second piece is wanted.
		m := model(13, []onnxpb.Node{node("Split", []string{"x", "s"}, []string{"", "y"}, aInt("axis", 1))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 4)}, []onnxpb.ValueInfo{tout("y")}, shapeList(t, "s", 1, 3))
		art := shapeImport(t, m)
		require.True(t, art.Inputs[0].Dims[0].IsSymbolic())
		requireClose(t, shapeRunArt(t, art, x)[0], uneven[1])
	})
}

func TestShapeSplitErrors(t *testing.T) {
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 4)}
	outs := []onnxpb.ValueInfo{tout("y0"), tout("y1")}
	split := func(opset int64, inputs []string, attrs ...onnxpb.Attribute) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model {
			return model(opset, []onnxpb.Node{node("Split", inputs, []string{"y0", "y1"}, attrs...)}, ins, outs,
				shapeList(t, "s", 1, 3), shapeList(t, "bad", 1, 2))
		}
	}
	shapeRunErrs(t, []shapeErrCase{
		{"sizes do not sum", split(13, []string{"x", "bad"}, aInt("axis", 1)), ErrInvalidModel, "", "sum"},
		{"sizes and outputs differ", split(11, []string{"x"}, aInt("axis", 1), aInts("split", 1, 1, 2)), ErrInvalidModel, "", "3 sizes for 2 outputs"},
		{"uneven equal split", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Split", []string{"x"}, []string{"a", "b", "c"}, aInt("axis", 1))}, ins,
				[]onnxpb.ValueInfo{tout("a")})
		}, ErrInvalidModel, "", "3 equal pieces"},
		{"split attribute in opset 13", split(13, []string{"x"}, aInts("split", 1, 3)), ErrInvalidModel, "", "input from opset 13"},
		{"split input in opset 11", split(11, []string{"x", "s"}), ErrInvalidModel, "", "inputs"},
		{"num_outputs before 18", split(13, []string{"x"}, aInt("num_outputs", 2)), ErrUnsupported, "", `"num_outputs"`},
		{"num_outputs and outputs differ", split(18, []string{"x"}, aInt("num_outputs", 3)), ErrInvalidModel, "", "num_outputs is 3"},
		{"num_outputs and split", split(18, []string{"x", "s"}, aInt("axis", 1), aInt("num_outputs", 2)), ErrInvalidModel, "", "not both"},
		{"bad axis", split(13, []string{"x"}, aInt("axis", 2)), ErrInvalidModel, "", "axis"},
		{"split from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Split", []string{"x", "s"}, []string{"y0", "y1"}, aInt("axis", 1))},
				[]onnxpb.ValueInfo{ins[0], tin("s", onnxpb.Int64, 2)}, outs)
		}, ErrUnsupported, "s", "known at import"},
		{"three equal pieces of a symbolic dim", func(t *testing.T) *onnxpb.Model {
			return model(18, []onnxpb.Node{node("Split", []string{"x"}, []string{"a", "b", "c"}, aInt("num_outputs", 3))},
				[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 4)}, []onnxpb.ValueInfo{tout("a")})
		}, ErrUnsupported, "", "3 pieces"},
		{"sizes along a symbolic dim", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Split", []string{"x", "s"}, []string{"y0", "y1"})},
				[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 4)}, outs, shapeList(t, "s", 1, 3))
		}, ErrUnsupported, "", "symbolic dimension 0"},
	})
}

func TestShapeSlice(t *testing.T) {
	// x = [[0 1 2 3] [4 5 6 7] [8 9 10 11]].
	x := shapeF(shapeIota(12), 3, 4)
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 3, 4)}
	corner := shapeF([]float32{4, 5, 8, 9}, 2, 2) // rows 1..2, cols 0..1
	cases := []struct {
		name   string
		opset  int64
		inputs []string
		attrs  []onnxpb.Attribute
		lists  map[string][]int64 // initializers
		want   *tensor.Tensor
	}{
		{"opset 6 attributes", 6, []string{"x"}, []onnxpb.Attribute{aInts("starts", 1, 0), aInts("ends", 3, 2)}, nil, corner},
		// cols 1..end: 1 2 3 / 5 6 7 / 9 10 11.
		{"opset 9 axes attribute, huge end", 9, []string{"x"},
			[]onnxpb.Attribute{aInts("axes", 1), aInts("starts", 1), aInts("ends", math.MaxInt64)}, nil,
			shapeF([]float32{1, 2, 3, 5, 6, 7, 9, 10, 11}, 3, 3)},
		{"opset 10 inputs", 10, []string{"x", "st", "en"}, nil,
			map[string][]int64{"st": {1, 0}, "en": {3, 2}}, corner},
		// Row 2 only: [8 9 10 11].
		{"opset 11 negative axis", 11, []string{"x", "st", "en", "ax"}, nil,
			map[string][]int64{"st": {2}, "en": {3}, "ax": {-2}}, shapeF([]float32{8, 9, 10, 11}, 1, 4)},
		// Column 3 down to 0 by -2: cols 3, 1: [3 1 / 7 5 / 11 9].
		{"opset 13 negative step", 13, []string{"x", "st", "en", "ax", "sp"}, nil,
			map[string][]int64{"st": {-1}, "en": {math.MinInt64}, "ax": {1}, "sp": {-2}},
			shapeF([]float32{3, 1, 7, 5, 11, 9}, 3, 2)},
		// Every other row from 0: rows 0 and 2; omitted axes default to 0..n-1.
		{"opset 13 steps without axes", 13, []string{"x", "st", "en", "", "sp"}, nil,
			map[string][]int64{"st": {0}, "en": {3}, "sp": {2}}, shapeF([]float32{0, 1, 2, 3, 8, 9, 10, 11}, 2, 4)},
		{"empty result", 13, []string{"x", "st", "en"}, nil,
			map[string][]int64{"st": {2}, "en": {1}}, shapeF(nil, 0, 4)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inits []onnxpb.Tensor
			for name, v := range tc.lists {
				inits = append(inits, shapeList(t, name, v...))
			}
			got := shapeRun1(t, tc.opset, node("Slice", tc.inputs, []string{"y"}, tc.attrs...), ins, []*tensor.Tensor{x}, inits...)
			requireClose(t, got, tc.want)
		})
	}
	t.Run("int32 bounds, symbolic batch", func(t *testing.T) {
		// Drop the first column of [N, 4]: [[1 2 3] [5 6 7] [9 10 11]] for N=3.
		m := model(13, []onnxpb.Node{node("Slice", []string{"x", "st", "en", "ax"}, []string{"y"})},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 4)}, []onnxpb.ValueInfo{tout("y")},
			initializer(t, "st", tensor.MustFromSlice([]int32{1}, 1)), initializer(t, "en", tensor.MustFromSlice([]int32{4}, 1)),
			initializer(t, "ax", tensor.MustFromSlice([]int32{1}, 1)))
		art := shapeImport(t, m)
		require.True(t, art.Inputs[0].Dims[0].IsSymbolic())
		requireClose(t, shapeRunArt(t, art, x)[0], shapeF([]float32{1, 2, 3, 5, 6, 7, 9, 10, 11}, 3, 3))
	})
	y := []onnxpb.ValueInfo{tout("y")}
	shapeRunErrs(t, []shapeErrCase{
		{"opset 9 without ends", func(t *testing.T) *onnxpb.Model {
			return model(9, []onnxpb.Node{node("Slice", []string{"x"}, []string{"y"}, aInts("starts", 0))}, ins, y)
		}, ErrInvalidModel, "", "ends is required"},
		{"opset 10 without ends", func(t *testing.T) *onnxpb.Model {
			return model(10, []onnxpb.Node{node("Slice", []string{"x", "st"}, []string{"y"})}, ins, y, shapeList(t, "st", 0))
		}, ErrInvalidModel, "", "inputs"},
		{"attributes in opset 10", func(t *testing.T) *onnxpb.Model {
			return model(10, []onnxpb.Node{node("Slice", []string{"x", "st", "st"}, []string{"y"}, aInts("starts", 0))}, ins, y,
				shapeList(t, "st", 0))
		}, ErrUnsupported, "", `"starts"`},
		{"zero step", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Slice", []string{"x", "st", "st", "", "z"}, []string{"y"})}, ins, y,
				shapeList(t, "st", 0), shapeList(t, "z", 0))
		}, ErrInvalidModel, "", "steps"},
		{"starts from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Slice", []string{"x", "st", "en"}, []string{"y"})},
				[]onnxpb.ValueInfo{ins[0], tin("st", onnxpb.Int64, 1)}, y, shapeList(t, "en", 1))
		}, ErrUnsupported, "st", "known at import"},
		{"lengths differ", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Slice", []string{"x", "st", "en"}, []string{"y"})}, ins, y,
				shapeList(t, "st", 0, 0), shapeList(t, "en", 1))
		}, ErrInvalidModel, "", "ends"},
	})
}

func TestShapeGather(t *testing.T) {
	// data = [[0 1] [2 3] [4 5]].
	data := shapeF(shapeIota(6), 3, 2)
	cases := []struct {
		name  string
		opset int64
		axis  *int64
		idx   *tensor.Tensor
		want  *tensor.Tensor
	}{
		{"rows", 6, nil, shapeI64([]int64{2, 0}, 2), shapeF([]float32{4, 5, 0, 1}, 2, 2)},
		{"negative index", 13, nil, shapeI64([]int64{-1}, 1), shapeF([]float32{4, 5}, 1, 2)},
		// Scalar index 1 along the last axis: [1 3 5].
		{"scalar index, axis -1", 13, shapePtr(int64(-1)), tensor.Scalar(int32(1)), shapeF([]float32{1, 3, 5}, 3)},
		// 2-D indices along axis 1: y[i, a, b] = data[i, idx[a, b]] with idx = [[1 0] [1 1]].
		{"2-D indices", 11, shapePtr(int64(1)), tensor.MustFromSlice([]int32{1, 0, 1, 1}, 2, 2),
			shapeF([]float32{1, 0, 1, 1, 3, 2, 3, 3, 5, 4, 5, 5}, 3, 2, 2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var attrs []onnxpb.Attribute
			if tc.axis != nil {
				attrs = append(attrs, aInt("axis", *tc.axis))
			}
			n := node("Gather", []string{"x", "i"}, []string{"y"}, attrs...)
			got := shapeRun1(t, tc.opset, n, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 3, 2)}, []*tensor.Tensor{data},
				initializer(t, "i", tc.idx))
			requireClose(t, got, tc.want)
		})
	}
	t.Run("indices from data", func(t *testing.T) {
		m := model(13, []onnxpb.Node{node("Gather", []string{"x", "i"}, []string{"y"})},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 3, 2), tin("i", onnxpb.Int64, 1)}, []onnxpb.ValueInfo{tout("y")})
		requireClose(t, runModel(t, m, data, shapeI64([]int64{1}, 1))[0], shapeF([]float32{2, 3}, 1, 2))
	})
	shapeRunErrs(t, []shapeErrCase{
		{"float indices", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Gather", []string{"x", "i"}, []string{"y"})},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 3, 2), tin("i", onnxpb.Float, 1)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrInvalidModel, "i", "indices"},
		{"axis out of range", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Gather", []string{"x", "i"}, []string{"y"}, aInt("axis", 2))},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 3, 2), tin("i", onnxpb.Int64, 1)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrInvalidModel, "", "axis"},
	})
}

func shapePtr[T any](v T) *T { return &v }

func TestShapeTileExpand(t *testing.T) {
	col := shapeF([]float32{1, 2}, 2, 1) // [[1] [2]]
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 1)}
	cases := []struct {
		name  string
		opset int64
		op    string
		list  []int64
		want  *tensor.Tensor
	}{
		// [[1] [2]] repeated 3 times along axis 1: [[1 1 1] [2 2 2]].
		{"tile columns", 6, "Tile", []int64{1, 3}, shapeF([]float32{1, 1, 1, 2, 2, 2}, 2, 3)},
		// and twice along axis 0 too: rows 1 1, 2 2, 1 1, 2 2.
		{"tile both", 13, "Tile", []int64{2, 2}, shapeF([]float32{1, 1, 2, 2, 1, 1, 2, 2}, 4, 2)},
		{"tile zero", 13, "Tile", []int64{0, 1}, shapeF(nil, 0, 1)},
		{"expand columns", 8, "Expand", []int64{2, 3}, shapeF([]float32{1, 1, 1, 2, 2, 2}, 2, 3)},
		// Broadcast [2,1] with [3,1,1]: [3,2,1], the column three times.
		{"expand rank up", 13, "Expand", []int64{3, 1, 1}, shapeF([]float32{1, 2, 1, 2, 1, 2}, 3, 2, 1)},
		{"expand shorter shape", 13, "Expand", []int64{1}, col},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := shapeRun1(t, tc.opset, node(tc.op, []string{"x", "r"}, []string{"y"}), ins, []*tensor.Tensor{col},
				shapeList(t, "r", tc.list...))
			requireClose(t, got, tc.want)
		})
	}
	y := []onnxpb.ValueInfo{tout("y")}
	fromData := func(op string) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node(op, []string{"x", "r"}, []string{"y"})}, []onnxpb.ValueInfo{ins[0], tin("r", onnxpb.Int64, 2)}, y)
		}
	}
	shapeRunErrs(t, []shapeErrCase{
		{"tile repeats from data", fromData("Tile"), ErrUnsupported, "r", "known at import"},
		{"expand shape from data", fromData("Expand"), ErrUnsupported, "r", "known at import"},
		{"tile repeats length", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Tile", []string{"x", "r"}, []string{"y"})}, ins, y, shapeList(t, "r", 2))
		}, ErrInvalidModel, "", "repeats"},
		{"tile huge repeats", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Tile", []string{"x", "r"}, []string{"y"})}, ins, y, shapeList(t, "r", 1<<40, 1<<40))
		}, ErrInvalidModel, "", "repeats"},
		{"expand incompatible", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Expand", []string{"x", "r"}, []string{"y"})}, ins, y, shapeList(t, "r", 3, 1))
		}, ErrInvalidModel, "", "expand"},
		{"expand before opset 8", func(t *testing.T) *onnxpb.Model {
			return model(7, []onnxpb.Node{node("Expand", []string{"x", "r"}, []string{"y"})}, ins, y, shapeList(t, "r", 2, 1))
		}, ErrUnsupported, "", "opset 7"},
	})
}

func TestShapePad(t *testing.T) {
	// x = [[1 2] [3 4]]; pads [1 0 0 1]: one row before, one column after.
	x := shapeF([]float32{1, 2, 3, 4}, 2, 2)
	ins := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 2)}
	nine := shapeF([]float32{9, 9, 9, 1, 2, 9, 3, 4, 9}, 3, 3)
	zero := shapeF([]float32{0, 0, 0, 1, 2, 0, 3, 4, 0}, 3, 3)
	cases := []struct {
		name   string
		opset  int64
		inputs []string
		attrs  []onnxpb.Attribute
		inits  func(t *testing.T) []onnxpb.Tensor
		want   *tensor.Tensor
	}{
		{"opset 2-10 attributes", 6, []string{"x"}, []onnxpb.Attribute{aInts("pads", 1, 0, 0, 1), aFloat("value", 9)}, nil, nine},
		{"opset 10 default value", 10, []string{"x"}, []onnxpb.Attribute{aInts("pads", 1, 0, 0, 1), aString("mode", "constant")}, nil, zero},
		{"opset 11 inputs", 11, []string{"x", "p", "v"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 1, 0, 0, 1), initializer(t, "v", tensor.Scalar(float32(9)))}
		}, nine},
		{"opset 13 default value", 13, []string{"x", "p"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 1, 0, 0, 1)}
		}, zero},
		{"opset 18 omitted value", 18, []string{"x", "p", ""}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 1, 0, 0, 1)}
		}, zero},
		// axes [1] with pads [1 1]: a zero column on each side: [[0 1 2 0] [0 3 4 0]].
		{"opset 18 axes", 18, []string{"x", "p", "", "a"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 1, 1), shapeList(t, "a", 1)}
		}, shapeF([]float32{0, 1, 2, 0, 0, 3, 4, 0}, 2, 4)},
		// axes [-2, 1] with pads [1 0 0 1]: the same as the full pads [1 0 0 1].
		{"opset 18 negative axes", 19, []string{"x", "p", "v", "a"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 1, 0, 0, 1), shapeList(t, "a", -2, 1), initializer(t, "v", tensor.Scalar(float32(9)))}
		}, nine},
		// Negative pads crop: drop the first row: [[3 4]].
		{"negative pad crops", 13, []string{"x", "p"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", -1, 0, 0, 0)}
		}, shapeF([]float32{3, 4}, 1, 2)},
		// reflect, 1 column before and after: [[2 1 2 1] [4 3 4 3]].
		{"opset 6 reflect", 6, []string{"x"}, []onnxpb.Attribute{aInts("pads", 0, 1, 0, 1), aString("mode", "reflect")}, nil,
			shapeF([]float32{2, 1, 2, 1, 4, 3, 4, 3}, 2, 4)},
		{"opset 11 reflect", 11, []string{"x", "p"}, []onnxpb.Attribute{aString("mode", "reflect")}, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 0, 1, 0, 1)}
		}, shapeF([]float32{2, 1, 2, 1, 4, 3, 4, 3}, 2, 4)},
		// edge, 1 row after: the last row repeats: [[1 2] [3 4] [3 4]].
		{"opset 6 edge", 6, []string{"x"}, []onnxpb.Attribute{aInts("pads", 0, 0, 1, 0), aString("mode", "edge")}, nil,
			shapeF([]float32{1, 2, 3, 4, 3, 4}, 3, 2)},
		{"opset 13 edge", 13, []string{"x", "p"}, []onnxpb.Attribute{aString("mode", "edge")}, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 0, 0, 1, 0)}
		}, shapeF([]float32{1, 2, 3, 4, 3, 4}, 3, 2)},
		// wrap, 1 row before and 3 columns after (more than the width: it
		// wraps twice): row (j−1) mod 2, column j mod 2:
		// [[3 4 3 4 3] [1 2 1 2 1] [3 4 3 4 3]].
		{"opset 19 wrap", 19, []string{"x", "p"}, []onnxpb.Attribute{aString("mode", "wrap")}, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 1, 0, 0, 3)}
		}, shapeF([]float32{3, 4, 3, 4, 3, 1, 2, 1, 2, 1, 3, 4, 3, 4, 3}, 3, 5)},
		// wrap with a crop: the first column dropped, one wrapped in after: [[2 1] [4 3]].
		{"opset 19 wrap crop", 19, []string{"x", "p"}, []onnxpb.Attribute{aString("mode", "wrap")}, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "p", 0, -1, 0, 1)}
		}, shapeF([]float32{2, 1, 4, 3}, 2, 2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inits []onnxpb.Tensor
			if tc.inits != nil {
				inits = tc.inits(t)
			}
			got := shapeRun1(t, tc.opset, node("Pad", tc.inputs, []string{"y"}, tc.attrs...), ins, []*tensor.Tensor{x}, inits...)
			requireClose(t, got, tc.want)
		})
	}
	t.Run("int64 value", func(t *testing.T) {
		// [1 2] with 1 before, filled with 7: [7 1 2].
		got := shapeRun1(t, 13, node("Pad", []string{"x", "p", "v"}, []string{"y"}),
			[]onnxpb.ValueInfo{tin("x", onnxpb.Int64, 2)}, []*tensor.Tensor{shapeI64([]int64{1, 2}, 2)},
			shapeList(t, "p", 1, 0), initializer(t, "v", tensor.Scalar(int64(7))))
		requireClose(t, got, shapeI64([]int64{7, 1, 2}, 3))
	})
	y := []onnxpb.ValueInfo{tout("y")}
	pad := func(opset int64, inputs []string, attrs ...onnxpb.Attribute) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model {
			return model(opset, []onnxpb.Node{node("Pad", inputs, []string{"y"}, attrs...)}, ins, y,
				shapeList(t, "p", 0, 1, 0, 1), shapeList(t, "a", 1, 1), initializer(t, "v2", shapeF([]float32{1, 2}, 2)))
		}
	}
	shapeRunErrs(t, []shapeErrCase{
		{"unknown mode", pad(13, []string{"x", "p"}, aString("mode", "mirror")), ErrInvalidModel, "", "mirror"},
		{"opset 10 without pads", pad(10, []string{"x"}), ErrInvalidModel, "", "pads is required"},
		{"pads attribute in opset 11", pad(11, []string{"x", "p"}, aInts("pads", 0, 0, 0, 0)), ErrUnsupported, "", `"pads"`},
		{"value attribute in opset 11", pad(11, []string{"x", "p"}, aFloat("value", 1)), ErrUnsupported, "", `"value"`},
		{"pads input in opset 10", pad(10, []string{"x", "p"}, aInts("pads", 0, 0, 0, 0)), ErrInvalidModel, "", "inputs"},
		{"axes input before 18", pad(13, []string{"x", "p", "", "a"}), ErrInvalidModel, "", "inputs"},
		{"repeated axes", pad(18, []string{"x", "p", "", "a"}), ErrInvalidModel, "", "repeats"},
		{"value not a scalar", pad(13, []string{"x", "p", "v2"}), ErrInvalidModel, "v2", "scalar"},
		{"wrong pads length", pad(6, []string{"x"}, aInts("pads", 1, 1)), ErrInvalidModel, "", "pads"},
		{"reflect too far", pad(6, []string{"x"}, aInts("pads", 0, 2, 0, 0), aString("mode", "reflect")), ErrInvalidModel, "", "reflect"},
		{"pads from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Pad", []string{"x", "p"}, []string{"y"})},
				[]onnxpb.ValueInfo{ins[0], tin("p", onnxpb.Int64, 4)}, y)
		}, ErrUnsupported, "p", "known at import"},
		{"value from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Pad", []string{"x", "p", "v"}, []string{"y"})},
				[]onnxpb.ValueInfo{ins[0], tin("v", onnxpb.Float)}, y, shapeList(t, "p", 0, 0, 0, 0))
		}, ErrUnsupported, "v", "known at import"},
		{"int64 value beyond float64", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Pad", []string{"x", "p", "v"}, []string{"y"})},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Int64, 2)}, y, shapeList(t, "p", 1, 0), initializer(t, "v", tensor.Scalar(int64(1<<53+1))))
		}, ErrUnsupported, "v", "float64"},
	})
}
