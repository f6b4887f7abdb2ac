package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for the data movement ops that rearrange or repeat whole tensors:
// reshape, transpose, concat, split, tile and expand. Slice, gather and pad
// are in movement_select.go. Movement ops copy elements, so every expected
// value is one of the input values placed where the op's definition puts it;
// the comments show where each element comes from.

// Values that float64 cannot hold exactly: a kernel that converts int64
// through float64 changes them.
const (
	movementBig1 = 1<<53 + 1
	movementBig2 = -(1 << 62) + 3
	movementBig3 = math.MaxInt64
	movementBig4 = math.MinInt64
)

// movementT builds a tensor of dtype d from values that d holds exactly.
func movementT(d tensor.DType, shape tensor.Shape, vals ...float64) *tensor.Tensor {
	t, err := tensor.FromFloat64s(d, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

// movementF is a float32 tensor.
func movementF(shape tensor.Shape, vals ...float64) *tensor.Tensor {
	return movementT(tensor.Float32, shape, vals...)
}

// movementI64 is an int64 tensor built without any float64 round trip.
func movementI64(shape tensor.Shape, vals ...int64) *tensor.Tensor {
	return tensor.MustFromSlice(vals, shape...)
}

// movementB is a bool tensor.
func movementB(shape tensor.Shape, vals ...bool) *tensor.Tensor {
	return tensor.MustFromSlice(vals, shape...)
}

// movementIota is a float32 tensor holding 0, 1, 2, ... in row-major order.
func movementIota(shape ...int) *tensor.Tensor {
	vals := make([]float64, tensor.Shape(shape).NumElements())
	for i := range vals {
		vals[i] = float64(i)
	}
	return movementF(shape, vals...)
}

// movementOuts wraps expected outputs.
func movementOuts(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

// movementIns wraps inputs.
func movementIns(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

func init() {
	Register(movementReshapeCases()...)
	Register(movementTransposeCases()...)
	Register(movementConcatCases()...)
	Register(movementSplitCases()...)
	Register(movementTileCases()...)
	Register(movementExpandCases()...)
}

func movementReshapeCases() []Case {
	seq24 := make([]float64, 24)
	for i := range seq24 {
		seq24[i] = float64(i)
	}
	return []Case{
		{
			// 0 keeps dim 0 (2); -1 is 24/2 = 12. Row-major order is unchanged.
			Name: "reshape/zero_and_infer", Op: "reshape", Attrs: ops.Attrs{"shape": []int{0, -1}},
			Inputs: movementIns(movementIota(2, 3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{2, 12}, seq24...)),
		},
		{
			// -1 first: 6/2 = 3 rows of 2.
			Name: "reshape/infer_leading", Op: "reshape", Attrs: ops.Attrs{"shape": []int{-1, 2}},
			Inputs: movementIns(movementF(tensor.Shape{2, 3}, 1, 2, 3, 4, 5, 6)),
			Want:   movementOuts(movementF(tensor.Shape{3, 2}, 1, 2, 3, 4, 5, 6)),
		},
		{
			Name: "reshape/to_scalar", Op: "reshape", Attrs: ops.Attrs{"shape": []int{}},
			Inputs: movementIns(movementF(tensor.Shape{1, 1}, 7)),
			Want:   movementOuts(movementF(tensor.Shape{}, 7)),
		},
		{
			Name: "reshape/from_scalar", Op: "reshape", Attrs: ops.Attrs{"shape": []int{1, -1, 1}},
			Inputs: movementIns(movementF(tensor.Shape{}, 5)),
			Want:   movementOuts(movementF(tensor.Shape{1, 1, 1}, 5)),
		},
		{
			// The 0 copies input dim 1, which is itself 0: [3 0 2] holds no elements, like the input.
			Name: "reshape/zero_size", Op: "reshape", Attrs: ops.Attrs{"shape": []int{3, 0, 2}},
			Inputs: movementIns(movementF(tensor.Shape{2, 0, 3})),
			Want:   movementOuts(movementF(tensor.Shape{3, 0, 2})),
		},
		{
			Name: "reshape/bool", Op: "reshape", Attrs: ops.Attrs{"shape": []int{3, -1}},
			Inputs: movementIns(movementB(tensor.Shape{2, 3}, true, false, false, true, true, false)),
			Want:   movementOuts(movementB(tensor.Shape{3, 2}, true, false, false, true, true, false)),
		},
		{
			Name: "reshape/float16", Op: "reshape", Attrs: ops.Attrs{"shape": []int{4}},
			Inputs: movementIns(movementT(tensor.Float16, tensor.Shape{2, 2}, 0.5, -1.25, 1024, 0.0009765625)),
			Want:   movementOuts(movementT(tensor.Float16, tensor.Shape{4}, 0.5, -1.25, 1024, 0.0009765625)),
		},
		{
			Name: "reshape/int64_exact", Op: "reshape", Attrs: ops.Attrs{"shape": []int{2, 2}},
			Inputs: movementIns(movementI64(tensor.Shape{4}, movementBig1, movementBig2, movementBig3, movementBig4)),
			Want:   movementOuts(movementI64(tensor.Shape{2, 2}, movementBig1, movementBig2, movementBig3, movementBig4)),
		},
	}
}

func movementTransposeCases() []Case {
	return []Case{
		{
			// Default perm reverses the axes: out[j][i] = x[i][j].
			Name: "transpose/2d_default", Op: "transpose",
			Inputs: movementIns(movementF(tensor.Shape{2, 3}, 0, 1, 2, 3, 4, 5)),
			Want:   movementOuts(movementF(tensor.Shape{3, 2}, 0, 3, 1, 4, 2, 5)),
		},
		{
			// x[i][j][k] = 12i+4j+k; out[j][i][k] = x[i][j][k], listed j, then i, then k.
			Name: "transpose/3d_perm_102", Op: "transpose", Attrs: ops.Attrs{"perm": []int{1, 0, 2}},
			Inputs: movementIns(movementIota(2, 3, 4)),
			Want: movementOuts(movementF(tensor.Shape{3, 2, 4},
				0, 1, 2, 3, 12, 13, 14, 15,
				4, 5, 6, 7, 16, 17, 18, 19,
				8, 9, 10, 11, 20, 21, 22, 23)),
		},
		{
			// x[i][j][k] = 6i+3j+k; out[i][k][j]: i=0: (0,3) (1,4) (2,5); i=1: (6,9) (7,10) (8,11).
			Name: "transpose/3d_perm_021", Op: "transpose", Attrs: ops.Attrs{"perm": []int{0, 2, 1}},
			Inputs: movementIns(movementIota(2, 2, 3)),
			Want:   movementOuts(movementF(tensor.Shape{2, 3, 2}, 0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11)),
		},
		{
			// x[i][j][k] = 4i+2j+k; default perm [2 1 0]: out[k][j][i], listed k, j, i.
			Name: "transpose/3d_default", Op: "transpose",
			Inputs: movementIns(movementIota(2, 2, 2)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2, 2}, 0, 4, 2, 6, 1, 5, 3, 7)),
		},
		{
			// out[c][h][w] = x[h][w][c] with x[h][w][c] = 4h+2w+c (HWC to CHW).
			Name: "transpose/3d_perm_201", Op: "transpose", Attrs: ops.Attrs{"perm": []int{2, 0, 1}},
			Inputs: movementIns(movementIota(2, 2, 2)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2, 2}, 0, 2, 4, 6, 1, 3, 5, 7)),
		},
		{
			Name: "transpose/zero_size", Op: "transpose",
			Inputs: movementIns(movementF(tensor.Shape{0, 3})),
			Want:   movementOuts(movementF(tensor.Shape{3, 0})),
		},
		{
			Name: "transpose/scalar", Op: "transpose",
			Inputs: movementIns(movementF(tensor.Shape{}, 3)),
			Want:   movementOuts(movementF(tensor.Shape{}, 3)),
		},
		{
			Name: "transpose/bool", Op: "transpose",
			Inputs: movementIns(movementB(tensor.Shape{2, 3}, true, false, false, false, true, true)),
			Want:   movementOuts(movementB(tensor.Shape{3, 2}, true, false, false, true, false, true)),
		},
		{
			Name: "transpose/float16", Op: "transpose",
			Inputs: movementIns(movementT(tensor.Float16, tensor.Shape{2, 3}, 0.5, 1.25, -2, 3, 4.5, -0.125)),
			Want:   movementOuts(movementT(tensor.Float16, tensor.Shape{3, 2}, 0.5, 3, 1.25, 4.5, -2, -0.125)),
		},
		{
			Name: "transpose/bfloat16", Op: "transpose",
			Inputs: movementIns(movementT(tensor.BFloat16, tensor.Shape{2, 2}, 1.5, -3, 256, 0.25)),
			Want:   movementOuts(movementT(tensor.BFloat16, tensor.Shape{2, 2}, 1.5, 256, -3, 0.25)),
		},
		{
			Name: "transpose/int64_exact", Op: "transpose",
			Inputs: movementIns(movementI64(tensor.Shape{2, 2}, movementBig1, movementBig2, movementBig3, movementBig4)),
			Want:   movementOuts(movementI64(tensor.Shape{2, 2}, movementBig1, movementBig3, movementBig2, movementBig4)),
		},
	}
}

func movementConcatCases() []Case {
	return []Case{
		{
			Name: "concat/axis0", Op: "concat", Attrs: ops.Attrs{"axis": 0},
			Inputs: movementIns(movementF(tensor.Shape{1, 2}, 1, 2), movementF(tensor.Shape{2, 2}, 3, 4, 5, 6)),
			Want:   movementOuts(movementF(tensor.Shape{3, 2}, 1, 2, 3, 4, 5, 6)),
		},
		{
			// Each output row is row i of the first input followed by row i of the second.
			Name: "concat/axis1", Op: "concat", Attrs: ops.Attrs{"axis": 1},
			Inputs: movementIns(movementF(tensor.Shape{2, 1}, 1, 2), movementF(tensor.Shape{2, 2}, 3, 4, 5, 6)),
			Want:   movementOuts(movementF(tensor.Shape{2, 3}, 1, 3, 4, 2, 5, 6)),
		},
		{
			// The [2 0] input adds nothing: rows are [1 2 | | 5] and [3 4 | | 6].
			Name: "concat/neg_axis_zero_size_input", Op: "concat", Attrs: ops.Attrs{"axis": -1},
			Inputs: movementIns(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4), movementF(tensor.Shape{2, 0}),
				movementF(tensor.Shape{2, 1}, 5, 6)),
			Want: movementOuts(movementF(tensor.Shape{2, 3}, 1, 2, 5, 3, 4, 6)),
		},
		{
			// Along the middle axis of [2 1 2] and [2 2 2]: block i is x0[i] then x1[i].
			Name: "concat/3d_middle_axis", Op: "concat", Attrs: ops.Attrs{"axis": 1},
			Inputs: movementIns(movementF(tensor.Shape{2, 1, 2}, 1, 2, 3, 4),
				movementF(tensor.Shape{2, 2, 2}, 10, 11, 12, 13, 14, 15, 16, 17)),
			Want: movementOuts(movementF(tensor.Shape{2, 3, 2}, 1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17)),
		},
		{
			Name: "concat/single_input", Op: "concat", Attrs: ops.Attrs{"axis": 0},
			Inputs: movementIns(movementF(tensor.Shape{2}, 1, 2)),
			Want:   movementOuts(movementF(tensor.Shape{2}, 1, 2)),
		},
		{
			Name: "concat/bool", Op: "concat", Attrs: ops.Attrs{"axis": 1},
			Inputs: movementIns(movementB(tensor.Shape{2, 1}, true, false), movementB(tensor.Shape{2, 1}, false, true)),
			Want:   movementOuts(movementB(tensor.Shape{2, 2}, true, false, false, true)),
		},
		{
			Name: "concat/float16", Op: "concat", Attrs: ops.Attrs{"axis": 0},
			Inputs: movementIns(movementT(tensor.Float16, tensor.Shape{1}, 0.5),
				movementT(tensor.Float16, tensor.Shape{2}, -1.75, 2048)),
			Want: movementOuts(movementT(tensor.Float16, tensor.Shape{3}, 0.5, -1.75, 2048)),
		},
		{
			Name: "concat/int64_exact", Op: "concat", Attrs: ops.Attrs{"axis": -1},
			Inputs: movementIns(movementI64(tensor.Shape{2, 1}, movementBig1, movementBig2),
				movementI64(tensor.Shape{2, 1}, movementBig3, movementBig4)),
			Want: movementOuts(movementI64(tensor.Shape{2, 2}, movementBig1, movementBig3, movementBig2, movementBig4)),
		},
		{
			Name: "concat/uint8", Op: "concat", Attrs: ops.Attrs{"axis": 0},
			Inputs: movementIns(movementT(tensor.Uint8, tensor.Shape{2}, 255, 0), movementT(tensor.Uint8, tensor.Shape{1}, 7)),
			Want:   movementOuts(movementT(tensor.Uint8, tensor.Shape{3}, 255, 0, 7)),
		},
	}
}

func movementSplitCases() []Case {
	return []Case{
		{
			Name: "split/sizes", Op: "split", Attrs: ops.Attrs{"split": []int{1, 3, 2}},
			Inputs: movementIns(movementIota(6)),
			Want: movementOuts(movementF(tensor.Shape{1}, 0), movementF(tensor.Shape{3}, 1, 2, 3),
				movementF(tensor.Shape{2}, 4, 5)),
		},
		{
			// ceil(5/2) = 3, the last piece takes the remaining 2.
			Name: "split/num_outputs_uneven", Op: "split", Attrs: ops.Attrs{"num_outputs": 2},
			Inputs: movementIns(movementIota(5)),
			Want:   movementOuts(movementF(tensor.Shape{3}, 0, 1, 2), movementF(tensor.Shape{2}, 3, 4)),
		},
		{
			// Columns 0-1 and 2-3 of [[0 1 2 3] [4 5 6 7]].
			Name: "split/neg_axis_even", Op: "split", Attrs: ops.Attrs{"axis": -1, "num_outputs": 2},
			Inputs: movementIns(movementIota(2, 4)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 0, 1, 4, 5), movementF(tensor.Shape{2, 2}, 2, 3, 6, 7)),
		},
		{
			Name: "split/zero_size_piece", Op: "split", Attrs: ops.Attrs{"axis": 1, "split": []int{2, 0, 1}},
			Inputs: movementIns(movementIota(2, 3)),
			Want: movementOuts(movementF(tensor.Shape{2, 2}, 0, 1, 3, 4), movementF(tensor.Shape{2, 0}),
				movementF(tensor.Shape{2, 1}, 2, 5)),
		},
		{
			Name: "split/int64_exact", Op: "split", Attrs: ops.Attrs{"num_outputs": 2},
			Inputs: movementIns(movementI64(tensor.Shape{4}, movementBig1, movementBig2, movementBig3, movementBig4)),
			Want: movementOuts(movementI64(tensor.Shape{2}, movementBig1, movementBig2),
				movementI64(tensor.Shape{2}, movementBig3, movementBig4)),
		},
	}
}

func movementTileCases() []Case {
	return []Case{
		{
			Name: "tile/1d", Op: "tile", Attrs: ops.Attrs{"repeats": []int{2}},
			Inputs: movementIns(movementF(tensor.Shape{3}, 1, 2, 3)),
			Want:   movementOuts(movementF(tensor.Shape{6}, 1, 2, 3, 1, 2, 3)),
		},
		{
			// Each row repeated 3 times across, the whole block twice down.
			Name: "tile/2d", Op: "tile", Attrs: ops.Attrs{"repeats": []int{2, 3}},
			Inputs: movementIns(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4)),
			Want: movementOuts(movementF(tensor.Shape{4, 6},
				1, 2, 1, 2, 1, 2,
				3, 4, 3, 4, 3, 4,
				1, 2, 1, 2, 1, 2,
				3, 4, 3, 4, 3, 4)),
		},
		{
			Name: "tile/zero_repeat", Op: "tile", Attrs: ops.Attrs{"repeats": []int{1, 0}},
			Inputs: movementIns(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{2, 0})),
		},
		{
			Name: "tile/bool", Op: "tile", Attrs: ops.Attrs{"repeats": []int{3}},
			Inputs: movementIns(movementB(tensor.Shape{2}, true, false)),
			Want:   movementOuts(movementB(tensor.Shape{6}, true, false, true, false, true, false)),
		},
		{
			Name: "tile/int64_exact", Op: "tile", Attrs: ops.Attrs{"repeats": []int{2, 1}},
			Inputs: movementIns(movementI64(tensor.Shape{1, 2}, movementBig1, movementBig3)),
			Want:   movementOuts(movementI64(tensor.Shape{2, 2}, movementBig1, movementBig3, movementBig1, movementBig3)),
		},
	}
}

func movementExpandCases() []Case {
	return []Case{
		{
			// [3 1] against [2 3 4]: a new leading axis of 2, each row's value repeated 4 times.
			Name: "expand/3x1_to_2x3x4", Op: "expand", Attrs: ops.Attrs{"shape": []int{2, 3, 4}},
			Inputs: movementIns(movementF(tensor.Shape{3, 1}, 1, 2, 3)),
			Want: movementOuts(movementF(tensor.Shape{2, 3, 4},
				1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
				1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3)),
		},
		{
			// Bidirectional: [3] against [2 1] is [2 3], not [2 1].
			Name: "expand/bidirectional", Op: "expand", Attrs: ops.Attrs{"shape": []int{2, 1}},
			Inputs: movementIns(movementF(tensor.Shape{3}, 1, 2, 3)),
			Want:   movementOuts(movementF(tensor.Shape{2, 3}, 1, 2, 3, 1, 2, 3)),
		},
		{
			// A shorter shape of ones keeps x as it is.
			Name: "expand/keep", Op: "expand", Attrs: ops.Attrs{"shape": []int{1}},
			Inputs: movementIns(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4)),
		},
		{
			Name: "expand/scalar", Op: "expand", Attrs: ops.Attrs{"shape": []int{2, 2}},
			Inputs: movementIns(movementF(tensor.Shape{}, 5)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 5, 5, 5, 5)),
		},
		{
			Name: "expand/zero_size", Op: "expand", Attrs: ops.Attrs{"shape": []int{0, 1}},
			Inputs: movementIns(movementF(tensor.Shape{1, 2}, 1, 2)),
			Want:   movementOuts(movementF(tensor.Shape{0, 2})),
		},
		{
			Name: "expand/bool", Op: "expand", Attrs: ops.Attrs{"shape": []int{2, 2}},
			Inputs: movementIns(movementB(tensor.Shape{2, 1}, true, false)),
			Want:   movementOuts(movementB(tensor.Shape{2, 2}, true, true, false, false)),
		},
		{
			Name: "expand/int64_exact", Op: "expand", Attrs: ops.Attrs{"shape": []int{2, 2}},
			Inputs: movementIns(movementI64(tensor.Shape{2}, movementBig2, movementBig4)),
			Want:   movementOuts(movementI64(tensor.Shape{2, 2}, movementBig2, movementBig4, movementBig2, movementBig4)),
		},
	}
}
