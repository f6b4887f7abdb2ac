package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for the data movement ops that select or border elements: slice,
// gather and pad, plus the randomized parity cases of the whole family.

func init() {
	Register(movementSliceCases()...)
	Register(movementGatherCases()...)
	Register(movementPadCases()...)
	RegisterRandom(movementRandomCases()...)
}

func movementSliceCases() []Case {
	return []Case{
		{
			// 1, 3, 5, 7: start 1, every second element, stop before 8.
			Name: "slice/step2", Op: "slice", Attrs: ops.Attrs{"starts": []int{1}, "ends": []int{8}, "steps": []int{2}},
			Inputs: movementIns(movementIota(10)),
			Want:   movementOuts(movementF(tensor.Shape{4}, 1, 3, 5, 7)),
		},
		{
			// The ONNX reversal idiom: start -1 is the last element, an end of
			// -MaxInt64 clamps to -1 so the walk runs through index 0.
			Name: "slice/reverse", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{-1}, "ends": []int{-math.MaxInt64}, "steps": []int{-1}},
			Inputs: movementIns(movementIota(5)),
			Want:   movementOuts(movementF(tensor.Shape{5}, 4, 3, 2, 1, 0)),
		},
		{
			// -4 and -1 on 10 elements are 6 and 9: elements 6, 7, 8.
			Name: "slice/negative_bounds", Op: "slice", Attrs: ops.Attrs{"starts": []int{-4}, "ends": []int{-1}},
			Inputs: movementIns(movementIota(10)),
			Want:   movementOuts(movementF(tensor.Shape{3}, 6, 7, 8)),
		},
		{
			// An end of MaxInt64 clamps to the dim: rows 1 and 2 of the 3x2 iota.
			Name: "slice/huge_end", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{1}, "ends": []int{math.MaxInt64}, "axes": []int{0}},
			Inputs: movementIns(movementIota(3, 2)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 2, 3, 4, 5)),
		},
		{
			// A start of MinInt64 clamps to 0.
			Name: "slice/huge_negative_start", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{math.MinInt64}, "ends": []int{2}},
			Inputs: movementIns(movementIota(4)),
			Want:   movementOuts(movementF(tensor.Shape{2}, 0, 1)),
		},
		{
			// A start of MaxInt64 with a negative step clamps to the last index 5: 5, 3 (stop before 1).
			Name: "slice/huge_start_negative_step", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{math.MaxInt64}, "ends": []int{1}, "steps": []int{-2}},
			Inputs: movementIns(movementIota(6)),
			Want:   movementOuts(movementF(tensor.Shape{2}, 5, 3)),
		},
		{
			// Only the last axis is sliced: columns 1 and 2 of every row of the 3x4 iota.
			Name: "slice/axes_subset_negative", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{1}, "ends": []int{3}, "axes": []int{-1}},
			Inputs: movementIns(movementIota(3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{3, 2}, 1, 2, 5, 6, 9, 10)),
		},
		{
			// Rows 0, 2 (step 2); columns 3, 1 (start 3, step -2, stop before 0).
			Name: "slice/2d_mixed_steps", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{0, 3}, "ends": []int{3, 0}, "axes": []int{0, 1}, "steps": []int{2, -2}},
			Inputs: movementIns(movementIota(3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 3, 1, 11, 9)),
		},
		{
			// Axes in reverse order: axis 1 gets starts[0], axis 0 gets starts[1].
			Name: "slice/axes_reordered", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{2, 1}, "ends": []int{4, 3}, "axes": []int{1, 0}},
			Inputs: movementIns(movementIota(3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 6, 7, 10, 11)),
		},
		{
			// start 3 >= end 1 with a positive step selects nothing.
			Name: "slice/empty", Op: "slice", Attrs: ops.Attrs{"starts": []int{3}, "ends": []int{1}},
			Inputs: movementIns(movementIota(5)),
			Want:   movementOuts(movementF(tensor.Shape{0})),
		},
		{
			Name: "slice/bool", Op: "slice", Attrs: ops.Attrs{"starts": []int{1}, "ends": []int{5}, "steps": []int{2}},
			Inputs: movementIns(movementB(tensor.Shape{5}, true, false, true, true, false)),
			Want:   movementOuts(movementB(tensor.Shape{2}, false, true)),
		},
		{
			Name: "slice/float16_reverse", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{-1}, "ends": []int{math.MinInt64}, "steps": []int{-1}},
			Inputs: movementIns(movementT(tensor.Float16, tensor.Shape{4}, 0.5, 1.5, 2.5, -4)),
			Want:   movementOuts(movementT(tensor.Float16, tensor.Shape{4}, -4, 2.5, 1.5, 0.5)),
		},
		{
			Name: "slice/int64_exact", Op: "slice", Attrs: ops.Attrs{"starts": []int{1}, "ends": []int{3}},
			Inputs: movementIns(movementI64(tensor.Shape{4}, movementBig1, movementBig2, movementBig3, movementBig4)),
			Want:   movementOuts(movementI64(tensor.Shape{2}, movementBig2, movementBig3)),
		},
	}
}

func movementGatherCases() []Case {
	rows := movementF(tensor.Shape{3, 2}, 1, 2, 3, 4, 5, 6) // rows [1 2] [3 4] [5 6]
	return []Case{
		{
			// Output [2 2 2]: indices [[0 1] [1 2]] each replaced by that row.
			Name: "gather/axis0_int64", Op: "gather",
			Inputs: movementIns(rows, movementI64(tensor.Shape{2, 2}, 0, 1, 1, 2)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2, 2}, 1, 2, 3, 4, 3, 4, 5, 6)),
		},
		{
			// Columns 2 then 0 of [[1 2 3] [4 5 6]].
			Name: "gather/axis1_int32", Op: "gather", Attrs: ops.Attrs{"axis": 1},
			Inputs: movementIns(movementF(tensor.Shape{2, 3}, 1, 2, 3, 4, 5, 6), tensor.MustFromSlice([]int32{2, 0})),
			Want:   movementOuts(movementF(tensor.Shape{2, 2}, 3, 1, 6, 4)),
		},
		{
			// x[i][j][k] = 6i+2j+k; out[i][q][k] = x[i][idx[q]][k] with idx = [2 0].
			Name: "gather/3d_middle_axis", Op: "gather", Attrs: ops.Attrs{"axis": -2},
			Inputs: movementIns(movementIota(2, 3, 2), movementI64(tensor.Shape{2}, 2, 0)),
			Want:   movementOuts(movementF(tensor.Shape{2, 2, 2}, 4, 5, 0, 1, 10, 11, 6, 7)),
		},
		{
			// -1 is the last element, -3 the first.
			Name: "gather/negative_index", Op: "gather",
			Inputs: movementIns(movementF(tensor.Shape{3}, 10, 20, 30), movementI64(tensor.Shape{3}, -1, 0, -3)),
			Want:   movementOuts(movementF(tensor.Shape{3}, 30, 10, 10)),
		},
		{
			// A scalar index removes the axis: row 1 of a [3 2] is a [2].
			Name: "gather/scalar_index", Op: "gather",
			Inputs: movementIns(rows, tensor.Scalar[int64](1)),
			Want:   movementOuts(movementF(tensor.Shape{2}, 3, 4)),
		},
		{
			// Column 0 via a scalar int32 index on axis -1.
			Name: "gather/scalar_index_last_axis", Op: "gather", Attrs: ops.Attrs{"axis": -1},
			Inputs: movementIns(rows, tensor.Scalar[int32](0)),
			Want:   movementOuts(movementF(tensor.Shape{3}, 1, 3, 5)),
		},
		{
			Name: "gather/empty_indices", Op: "gather",
			Inputs: movementIns(rows, movementI64(tensor.Shape{0})),
			Want:   movementOuts(movementF(tensor.Shape{0, 2})),
		},
		{
			Name: "gather/int64_data_exact", Op: "gather",
			Inputs: movementIns(movementI64(tensor.Shape{4}, movementBig1, movementBig2, movementBig3, movementBig4),
				movementI64(tensor.Shape{3}, 2, 0, -1)),
			Want: movementOuts(movementI64(tensor.Shape{3}, movementBig3, movementBig1, movementBig4)),
		},
		{
			Name: "gather/bool", Op: "gather",
			Inputs: movementIns(movementB(tensor.Shape{3}, true, false, false), movementI64(tensor.Shape{2}, 1, 0)),
			Want:   movementOuts(movementB(tensor.Shape{2}, false, true)),
		},
		{
			Name: "gather/bfloat16", Op: "gather",
			Inputs: movementIns(movementT(tensor.BFloat16, tensor.Shape{2}, 0.375, -96), tensor.MustFromSlice([]int32{1, 1, 0})),
			Want:   movementOuts(movementT(tensor.BFloat16, tensor.Shape{3}, -96, -96, 0.375)),
		},
	}
}

func movementPadCases() []Case {
	return []Case{
		{
			Name: "pad/constant_1d", Op: "pad", Attrs: ops.Attrs{"pads": []int{2, 1}, "value": 9.0},
			Inputs: movementIns(movementF(tensor.Shape{3}, 1, 2, 3)),
			Want:   movementOuts(movementF(tensor.Shape{6}, 9, 9, 1, 2, 3, 9)),
		},
		{
			// Mirror without repeating the border: before 1 comes 3 2; after 4 comes 3 2 1.
			Name: "pad/reflect_1d", Op: "pad", Attrs: ops.Attrs{"pads": []int{2, 3}, "mode": "reflect"},
			Inputs: movementIns(movementF(tensor.Shape{4}, 1, 2, 3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{9}, 3, 2, 1, 2, 3, 4, 3, 2, 1)),
		},
		{
			Name: "pad/edge_1d", Op: "pad", Attrs: ops.Attrs{"pads": []int{2, 1}, "mode": "edge"},
			Inputs: movementIns(movementF(tensor.Shape{3}, 1, 2, 3)),
			Want:   movementOuts(movementF(tensor.Shape{6}, 1, 1, 1, 2, 3, 3)),
		},
		{
			// pads = [begin0 begin1 end0 end1] = [1 0 0 1]: a zero row on top, a zero column on the right.
			Name: "pad/constant_2d", Op: "pad", Attrs: ops.Attrs{"pads": []int{1, 0, 0, 1}},
			Inputs: movementIns(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{3, 3}, 0, 0, 0, 1, 2, 0, 3, 4, 0)),
		},
		{
			// Rows: mirror of row 0 is row 1, so rows are r1 r0 r1. Each row [a b c] becomes [b a b c b].
			Name: "pad/reflect_2d", Op: "pad", Attrs: ops.Attrs{"pads": []int{1, 1, 0, 1}, "mode": "reflect"},
			Inputs: movementIns(movementF(tensor.Shape{2, 3}, 1, 2, 3, 4, 5, 6)),
			Want: movementOuts(movementF(tensor.Shape{3, 5},
				5, 4, 5, 6, 5,
				2, 1, 2, 3, 2,
				5, 4, 5, 6, 5)),
		},
		{
			// One more copy of the last row below, one more copy of the first column on the left.
			Name: "pad/edge_2d", Op: "pad", Attrs: ops.Attrs{"pads": []int{0, 1, 1, 0}, "mode": "edge"},
			Inputs: movementIns(movementF(tensor.Shape{2, 2}, 1, 2, 3, 4)),
			Want:   movementOuts(movementF(tensor.Shape{3, 3}, 1, 1, 2, 3, 3, 4, 3, 3, 4)),
		},
		{
			// Negative pads crop: drop 1 in front and 2 at the back of 1..5.
			Name: "pad/negative_crop", Op: "pad", Attrs: ops.Attrs{"pads": []int{-1, -2}},
			Inputs: movementIns(movementF(tensor.Shape{5}, 1, 2, 3, 4, 5)),
			Want:   movementOuts(movementF(tensor.Shape{2}, 2, 3)),
		},
		{
			// Axis 0 gains a zero row below; axis 1 loses column 0 and gains a zero column.
			Name: "pad/crop_and_pad_2d", Op: "pad", Attrs: ops.Attrs{"pads": []int{0, -1, 1, 1}},
			Inputs: movementIns(movementF(tensor.Shape{2, 3}, 1, 2, 3, 4, 5, 6)),
			Want:   movementOuts(movementF(tensor.Shape{3, 3}, 2, 3, 0, 5, 6, 0, 0, 0, 0)),
		},
		{
			// Edge-pad 2 at the back, then crop 1 in front: [1 2 3 3 3] minus its first element.
			Name: "pad/edge_crop_and_pad", Op: "pad", Attrs: ops.Attrs{"pads": []int{-1, 2}, "mode": "edge"},
			Inputs: movementIns(movementF(tensor.Shape{3}, 1, 2, 3)),
			Want:   movementOuts(movementF(tensor.Shape{4}, 2, 3, 3, 3)),
		},
		{
			// Constant padding of an empty axis is all fill.
			Name: "pad/zero_size_input", Op: "pad", Attrs: ops.Attrs{"pads": []int{1, 1}, "value": 7.0},
			Inputs: movementIns(movementF(tensor.Shape{0})),
			Want:   movementOuts(movementF(tensor.Shape{2}, 7, 7)),
		},
		{
			Name: "pad/int32_value", Op: "pad", Attrs: ops.Attrs{"pads": []int{1, 1}, "value": -5.0},
			Inputs: movementIns(tensor.MustFromSlice([]int32{1, 2})),
			Want:   movementOuts(tensor.MustFromSlice([]int32{-5, 1, 2, -5})),
		},
		{
			Name: "pad/int64_exact", Op: "pad", Attrs: ops.Attrs{"pads": []int{1, 1}, "value": -7.0},
			Inputs: movementIns(movementI64(tensor.Shape{1}, movementBig1)),
			Want:   movementOuts(movementI64(tensor.Shape{3}, -7, movementBig1, -7)),
		},
		{
			Name: "pad/float16_value", Op: "pad", Attrs: ops.Attrs{"pads": []int{0, 2}, "value": -0.5},
			Inputs: movementIns(movementT(tensor.Float16, tensor.Shape{1}, 1.25)),
			Want:   movementOuts(movementT(tensor.Float16, tensor.Shape{3}, 1.25, -0.5, -0.5)),
		},
		{
			Name: "pad/bool", Op: "pad", Attrs: ops.Attrs{"pads": []int{1, 1}, "value": 1.0},
			Inputs: movementIns(movementB(tensor.Shape{1}, false)),
			Want:   movementOuts(movementB(tensor.Shape{3}, true, false, true)),
		},
	}
}

func movementRandomCases() []RandomCase {
	f32 := func(shape ...int) Input { return Input{DType: tensor.Float32, Shape: shape} }
	return []RandomCase{
		{Name: "reshape/rand_f32", Op: "reshape", Attrs: ops.Attrs{"shape": []int{0, -1, 5}},
			Inputs: []Input{f32(2, 3, 4, 5)}},
		{Name: "transpose/rand_f32_nhwc", Op: "transpose", Attrs: ops.Attrs{"perm": []int{0, 2, 3, 1}},
			Inputs: []Input{f32(2, 3, 4, 5)}},
		{Name: "transpose/rand_f16_default", Op: "transpose",
			Inputs: []Input{{DType: tensor.Float16, Shape: tensor.Shape{3, 4, 5}}}},
		{Name: "concat/rand_f32", Op: "concat", Attrs: ops.Attrs{"axis": 1},
			Inputs: []Input{f32(2, 3, 4), f32(2, 1, 4), f32(2, 5, 4)}},
		{Name: "concat/rand_int32", Op: "concat", Attrs: ops.Attrs{"axis": -1},
			Inputs: []Input{{DType: tensor.Int32, Shape: tensor.Shape{3, 2}, Lo: -100, Hi: 100},
				{DType: tensor.Int32, Shape: tensor.Shape{3, 4}, Lo: -100, Hi: 100}}},
		{Name: "split/rand_f32_sizes", Op: "split", Attrs: ops.Attrs{"axis": 1, "split": []int{1, 2, 3}},
			Inputs: []Input{f32(4, 6, 5)}},
		{Name: "split/rand_f32_num_outputs", Op: "split", Attrs: ops.Attrs{"axis": -1, "num_outputs": 3},
			Inputs: []Input{f32(3, 4, 7)}},
		{Name: "slice/rand_f32", Op: "slice",
			Attrs:  ops.Attrs{"starts": []int{1, -1, 0}, "ends": []int{5, -8, math.MaxInt64}, "steps": []int{2, -1, 3}},
			Inputs: []Input{f32(6, 7, 8)}},
		{Name: "gather/rand_f32_axis1", Op: "gather", Attrs: ops.Attrs{"axis": 1},
			Inputs: []Input{f32(5, 4, 3), {DType: tensor.Int64, Shape: tensor.Shape{2, 3},
				Fixed: movementI64(tensor.Shape{2, 3}, 0, 3, -1, 2, -4, 1)}}},
		{Name: "gather/rand_f32_axis0", Op: "gather",
			Inputs: []Input{f32(6, 8), {DType: tensor.Int32, Shape: tensor.Shape{4},
				Fixed: tensor.MustFromSlice([]int32{5, 0, 5, -2})}}},
		{Name: "pad/rand_f32_constant", Op: "pad", Attrs: ops.Attrs{"pads": []int{0, 1, 2, 0, 0, 2, 1, 0}, "value": 0.5},
			Inputs: []Input{f32(2, 3, 4, 5)}},
		{Name: "pad/rand_f32_reflect", Op: "pad", Attrs: ops.Attrs{"pads": []int{0, 0, 1, 2, 0, 0, 2, 1}, "mode": "reflect"},
			Inputs: []Input{f32(2, 3, 4, 5)}},
		{Name: "pad/rand_f32_edge", Op: "pad", Attrs: ops.Attrs{"pads": []int{0, 0, 3, 1, 0, 0, 1, 3}, "mode": "edge"},
			Inputs: []Input{f32(2, 3, 4, 5)}},
		{Name: "tile/rand_f32", Op: "tile", Attrs: ops.Attrs{"repeats": []int{2, 1, 3}},
			Inputs: []Input{f32(2, 3, 4)}},
		{Name: "expand/rand_f32", Op: "expand", Attrs: ops.Attrs{"shape": []int{2, 3, 4, 5}},
			Inputs: []Input{f32(3, 1, 5)}},
	}
}
