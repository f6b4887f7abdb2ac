package ops_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// movementTy is a test shorthand for an ops.Type.
func movementTy(d tensor.DType, shape ...int) ops.Type {
	return ops.Type{DType: d, Shape: tensor.Shape(shape).Clone()}
}

func TestMovementInferTypes(t *testing.T) {
	f32, i64 := tensor.Float32, tensor.Int64
	tests := []struct {
		name  string
		op    string
		in    []ops.Type
		attrs ops.Attrs
		want  []ops.Type
	}{
		{"reshape zero and -1", "reshape", []ops.Type{movementTy(f32, 2, 3, 4)}, ops.Attrs{"shape": []int{0, -1}},
			[]ops.Type{movementTy(f32, 2, 12)}},
		{"reshape to scalar", "reshape", []ops.Type{movementTy(tensor.Bool, 1, 1)}, ops.Attrs{"shape": []int{}},
			[]ops.Type{movementTy(tensor.Bool)}},
		{"reshape from scalar", "reshape", []ops.Type{movementTy(f32)}, ops.Attrs{"shape": []int{-1}},
			[]ops.Type{movementTy(f32, 1)}},
		{"reshape zero size", "reshape", []ops.Type{movementTy(f32, 2, 0)}, ops.Attrs{"shape": []int{0, 0, 5}},
			[]ops.Type{movementTy(f32, 2, 0, 5)}},
		{"transpose default", "transpose", []ops.Type{movementTy(tensor.Float16, 2, 3, 4)}, nil,
			[]ops.Type{movementTy(tensor.Float16, 4, 3, 2)}},
		{"transpose perm", "transpose", []ops.Type{movementTy(f32, 2, 3, 4, 5)}, ops.Attrs{"perm": []int{0, 2, 3, 1}},
			[]ops.Type{movementTy(f32, 2, 4, 5, 3)}},
		{"concat neg axis", "concat", []ops.Type{movementTy(i64, 2, 1), movementTy(i64, 2, 0), movementTy(i64, 2, 3)},
			ops.Attrs{"axis": -1}, []ops.Type{movementTy(i64, 2, 4)}},
		{"split sizes", "split", []ops.Type{movementTy(f32, 2, 6)}, ops.Attrs{"axis": 1, "split": []int{1, 0, 5}},
			[]ops.Type{movementTy(f32, 2, 1), movementTy(f32, 2, 0), movementTy(f32, 2, 5)}},
		{"split num_outputs uneven", "split", []ops.Type{movementTy(f32, 5)}, ops.Attrs{"num_outputs": 2},
			[]ops.Type{movementTy(f32, 3), movementTy(f32, 2)}},
		{"split num_outputs last empty", "split", []ops.Type{movementTy(f32, 4)}, ops.Attrs{"num_outputs": 3},
			[]ops.Type{movementTy(f32, 2), movementTy(f32, 2), movementTy(f32, 0)}},
		{"slice steps and clamps", "slice", []ops.Type{movementTy(f32, 10, 6)},
			ops.Attrs{"starts": []int{math.MaxInt64, 1}, "ends": []int{-math.MaxInt64, math.MaxInt64},
				"axes": []int{0, -1}, "steps": []int{-3, 2}},
			[]ops.Type{movementTy(f32, 4, 3)}}, // rows 9 6 3 0; columns 1 3 5
		{"slice min int step", "slice", []ops.Type{movementTy(f32, 10)},
			ops.Attrs{"starts": []int{-1}, "ends": []int{math.MinInt64}, "steps": []int{math.MinInt64}},
			[]ops.Type{movementTy(f32, 1)}},
		{"slice max int step", "slice", []ops.Type{movementTy(f32, 10)},
			ops.Attrs{"starts": []int{0}, "ends": []int{math.MaxInt64}, "steps": []int{math.MaxInt64}},
			[]ops.Type{movementTy(f32, 1)}},
		{"slice empty axis negative step", "slice", []ops.Type{movementTy(f32, 0, 2)},
			ops.Attrs{"starts": []int{-1}, "ends": []int{math.MinInt64}, "steps": []int{-1}},
			[]ops.Type{movementTy(f32, 0, 2)}},
		{"gather axis 1", "gather", []ops.Type{movementTy(i64, 3, 4, 5), movementTy(tensor.Int32, 2, 6)},
			ops.Attrs{"axis": 1}, []ops.Type{movementTy(i64, 3, 2, 6, 5)}},
		{"gather scalar index", "gather", []ops.Type{movementTy(f32, 3, 4), movementTy(i64)}, nil,
			[]ops.Type{movementTy(f32, 4)}},
		{"pad crop and pad", "pad", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"pads": []int{1, -1, 0, 2}},
			[]ops.Type{movementTy(f32, 3, 4)}},
		{"pad reflect", "pad", []ops.Type{movementTy(tensor.Uint8, 4)}, ops.Attrs{"pads": []int{3, 3}, "mode": "reflect"},
			[]ops.Type{movementTy(tensor.Uint8, 10)}},
		{"pad int value", "pad", []ops.Type{movementTy(tensor.Int8, 1)}, ops.Attrs{"pads": []int{1, 0}, "value": -128.0},
			[]ops.Type{movementTy(tensor.Int8, 2)}},
		{"tile", "tile", []ops.Type{movementTy(f32, 2, 0, 3)}, ops.Attrs{"repeats": []int{3, 5, 0}},
			[]ops.Type{movementTy(f32, 6, 0, 0)}},
		{"tile huge repeat on empty dim", "tile", []ops.Type{movementTy(f32, 0)}, ops.Attrs{"repeats": []int{math.MaxInt64}},
			[]ops.Type{movementTy(f32, 0)}},
		{"expand", "expand", []ops.Type{movementTy(f32, 3, 1)}, ops.Attrs{"shape": []int{2, 3, 4}},
			[]ops.Type{movementTy(f32, 2, 3, 4)}},
		{"expand bidirectional", "expand", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"shape": []int{4, 1, 1}},
			[]ops.Type{movementTy(f32, 4, 2, 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ops.Infer(tt.op, tt.in, tt.attrs)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for i := range got {
				require.True(t, got[i].Equal(tt.want[i]), "output %d: got %v, want %v", i, got[i], tt.want[i])
			}
		})
	}
}

func TestMovementInferErrors(t *testing.T) {
	f32 := tensor.Float32
	tests := []struct {
		name    string
		op      string
		in      []ops.Type
		attrs   ops.Attrs
		kind    error
		mention string // a word the message must contain (the attribute or input at fault)
	}{
		{"reshape two -1", "reshape", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"shape": []int{-1, -1}},
			ops.ErrAttr, `"shape"`},
		{"reshape count mismatch", "reshape", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"shape": []int{4, 2}},
			ops.ErrAttr, "6"},
		{"reshape indivisible", "reshape", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"shape": []int{4, -1}},
			ops.ErrAttr, `"shape"`},
		{"reshape below -1", "reshape", []ops.Type{movementTy(f32, 6)}, ops.Attrs{"shape": []int{-2, -3}},
			ops.ErrAttr, `"shape"`},
		{"reshape 0 past rank", "reshape", []ops.Type{movementTy(f32, 6)}, ops.Attrs{"shape": []int{6, 0}},
			ops.ErrAttr, "rank 1"},
		{"reshape infer from empty", "reshape", []ops.Type{movementTy(f32, 0, 3)}, ops.Attrs{"shape": []int{0, -1}},
			ops.ErrAttr, "-1"},
		{"reshape overflow", "reshape", []ops.Type{movementTy(f32, 6)},
			ops.Attrs{"shape": []int{1 << 32, 1 << 32, -1}}, ops.ErrAttr, `"shape"`},
		{"reshape missing shape", "reshape", []ops.Type{movementTy(f32, 6)}, nil, ops.ErrAttr, `"shape"`},
		{"transpose repeated", "transpose", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"perm": []int{0, 0}},
			ops.ErrAttr, `"perm"`},
		{"transpose out of range", "transpose", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"perm": []int{1, 2}},
			ops.ErrAttr, `"perm"`},
		{"transpose wrong length", "transpose", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"perm": []int{1, 0, 2}},
			ops.ErrAttr, `"perm"`},
		{"transpose negative", "transpose", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"perm": []int{-1, 0}},
			ops.ErrAttr, `"perm"`},
		{"concat dims mismatch", "concat", []ops.Type{movementTy(f32, 2, 3), movementTy(f32, 2, 1), movementTy(f32, 3, 1)},
			ops.Attrs{"axis": 1}, ops.ErrInput, "input 2"},
		{"concat rank mismatch", "concat", []ops.Type{movementTy(f32, 2, 3), movementTy(f32, 2, 3, 1)},
			ops.Attrs{"axis": 0}, ops.ErrInput, "input 1"},
		{"concat dtype mismatch", "concat", []ops.Type{movementTy(f32, 2), movementTy(tensor.Float16, 2)},
			ops.Attrs{"axis": 0}, ops.ErrInput, "input 1"},
		{"concat axis out of range", "concat", []ops.Type{movementTy(f32, 2)}, ops.Attrs{"axis": 1},
			ops.ErrAttr, `"axis"`},
		{"concat scalar", "concat", []ops.Type{movementTy(f32), movementTy(f32)}, ops.Attrs{"axis": 0},
			ops.ErrAttr, `"axis"`},
		{"concat no inputs", "concat", nil, ops.Attrs{"axis": 0}, ops.ErrInput, "inputs"},
		{"split sizes do not sum", "split", []ops.Type{movementTy(f32, 6)}, ops.Attrs{"split": []int{2, 3}},
			ops.ErrAttr, `"split"`},
		{"split negative size", "split", []ops.Type{movementTy(f32, 6)}, ops.Attrs{"split": []int{7, -1}},
			ops.ErrAttr, `"split"`},
		{"split overflowing sizes", "split", []ops.Type{movementTy(f32, 6)},
			ops.Attrs{"split": []int{math.MaxInt64, math.MaxInt64, 2}}, ops.ErrAttr, `"split"`},
		{"split both", "split", []ops.Type{movementTy(f32, 6)}, ops.Attrs{"split": []int{3, 3}, "num_outputs": 2},
			ops.ErrAttr, "num_outputs"},
		{"split neither", "split", []ops.Type{movementTy(f32, 6)}, nil, ops.ErrAttr, "num_outputs"},
		{"split too many pieces", "split", []ops.Type{movementTy(f32, 5)}, ops.Attrs{"num_outputs": 4},
			ops.ErrAttr, "num_outputs"},
		{"split huge num_outputs", "split", []ops.Type{movementTy(f32, 0)}, ops.Attrs{"num_outputs": math.MaxInt64},
			ops.ErrAttr, "num_outputs"},
		{"split zero num_outputs", "split", []ops.Type{movementTy(f32, 4)}, ops.Attrs{"num_outputs": 0},
			ops.ErrAttr, "num_outputs"},
		{"split bad axis", "split", []ops.Type{movementTy(f32, 4)}, ops.Attrs{"axis": -2, "num_outputs": 2},
			ops.ErrAttr, `"axis"`},
		{"slice step 0", "slice", []ops.Type{movementTy(f32, 4)},
			ops.Attrs{"starts": []int{0}, "ends": []int{2}, "steps": []int{0}}, ops.ErrAttr, `"steps"`},
		{"slice ends length", "slice", []ops.Type{movementTy(f32, 4)},
			ops.Attrs{"starts": []int{0}, "ends": []int{2, 3}}, ops.ErrAttr, `"ends"`},
		{"slice axes repeated", "slice", []ops.Type{movementTy(f32, 4, 4)},
			ops.Attrs{"starts": []int{0, 0}, "ends": []int{2, 2}, "axes": []int{1, -1}}, ops.ErrAttr, `"axes"`},
		{"slice axes out of range", "slice", []ops.Type{movementTy(f32, 4, 4)},
			ops.Attrs{"starts": []int{0}, "ends": []int{2}, "axes": []int{2}}, ops.ErrAttr, `"axes"`},
		{"slice too many starts", "slice", []ops.Type{movementTy(f32, 4)},
			ops.Attrs{"starts": []int{0, 0}, "ends": []int{2, 2}}, ops.ErrAttr, `"starts"`},
		{"slice steps length", "slice", []ops.Type{movementTy(f32, 4)},
			ops.Attrs{"starts": []int{0}, "ends": []int{2}, "steps": []int{1, 1}}, ops.ErrAttr, `"steps"`},
		{"gather float indices", "gather", []ops.Type{movementTy(f32, 4), movementTy(f32, 2)}, nil,
			ops.ErrInput, "input 1"},
		{"gather scalar data", "gather", []ops.Type{movementTy(f32), movementTy(tensor.Int64, 2)}, nil,
			ops.ErrAttr, `"axis"`},
		{"gather axis out of range", "gather", []ops.Type{movementTy(f32, 4), movementTy(tensor.Int64, 2)},
			ops.Attrs{"axis": 1}, ops.ErrAttr, `"axis"`},
		{"gather huge output", "gather", []ops.Type{movementTy(f32, 1<<30, 2), movementTy(tensor.Int64, 1<<30)},
			ops.Attrs{"axis": 1}, ops.ErrInput, "input 1"},
		{"pad wrong length", "pad", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"pads": []int{1, 1}},
			ops.ErrAttr, `"pads"`},
		{"pad bad mode", "pad", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"pads": []int{1, 1}, "mode": "wrap"},
			ops.ErrAttr, `"mode"`},
		{"pad reflect too large", "pad", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"pads": []int{0, 3}, "mode": "reflect"},
			ops.ErrAttr, `"pads"`},
		{"pad edge on empty axis", "pad", []ops.Type{movementTy(f32, 0, 2)},
			ops.Attrs{"pads": []int{1, 0, 0, 0}, "mode": "edge"}, ops.ErrAttr, `"pads"`},
		{"pad crop too much", "pad", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"pads": []int{-2, -2}},
			ops.ErrAttr, `"pads"`},
		{"pad huge", "pad", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"pads": []int{math.MaxInt64, math.MaxInt64}},
			ops.ErrAttr, `"pads"`},
		{"pad huge negative", "pad", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"pads": []int{math.MinInt64, 5}},
			ops.ErrAttr, `"pads"`},
		{"pad too many elements", "pad", []ops.Type{movementTy(f32, 1, 1)},
			ops.Attrs{"pads": []int{1 << 39, 1 << 39, 1 << 39, 1 << 39}}, ops.ErrAttr, `"pads"`},
		{"pad fractional int value", "pad", []ops.Type{movementTy(tensor.Int32, 3)},
			ops.Attrs{"pads": []int{1, 1}, "value": 0.5}, ops.ErrAttr, `"value"`},
		{"pad int8 value out of range", "pad", []ops.Type{movementTy(tensor.Int8, 3)},
			ops.Attrs{"pads": []int{1, 1}, "value": 128.0}, ops.ErrAttr, `"value"`},
		{"pad bool value", "pad", []ops.Type{movementTy(tensor.Bool, 3)},
			ops.Attrs{"pads": []int{1, 1}, "value": 2.0}, ops.ErrAttr, `"value"`},
		{"pad int64 value NaN", "pad", []ops.Type{movementTy(tensor.Int64, 3)},
			ops.Attrs{"pads": []int{1, 1}, "value": math.NaN()}, ops.ErrAttr, `"value"`},
		{"pad int64 value 2^63", "pad", []ops.Type{movementTy(tensor.Int64, 3)},
			ops.Attrs{"pads": []int{1, 1}, "value": math.Pow(2, 63)}, ops.ErrAttr, `"value"`},
		{"tile wrong length", "tile", []ops.Type{movementTy(f32, 2, 3)}, ops.Attrs{"repeats": []int{2}},
			ops.ErrAttr, `"repeats"`},
		{"tile negative", "tile", []ops.Type{movementTy(f32, 2)}, ops.Attrs{"repeats": []int{-1}},
			ops.ErrAttr, `"repeats"`},
		{"tile huge repeats", "tile", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"repeats": []int{math.MaxInt64}},
			ops.ErrAttr, `"repeats"`},
		{"tile too many elements overall", "tile", []ops.Type{movementTy(f32, 2, 2)},
			ops.Attrs{"repeats": []int{1 << 30, 1 << 30}}, ops.ErrAttr, `"repeats"`},
		{"expand incompatible", "expand", []ops.Type{movementTy(f32, 3, 2)}, ops.Attrs{"shape": []int{3, 4}},
			ops.ErrAttr, `"shape"`},
		{"expand negative dim", "expand", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"shape": []int{-1}},
			ops.ErrAttr, `"shape"`},
		{"expand huge", "expand", []ops.Type{movementTy(f32, 3)}, ops.Attrs{"shape": []int{1 << 40, 1 << 40, 1}},
			ops.ErrAttr, `"shape"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ops.Infer(tt.op, tt.in, tt.attrs)
			require.Error(t, err)
			require.True(t, errors.Is(err, tt.kind), "want %v, got %v", tt.kind, err)
			require.Contains(t, err.Error(), tt.mention)
			require.Contains(t, err.Error(), "op "+tt.op)
		})
	}
}

// TestResolveSlice checks the per-axis starts and steps backends read.
func TestResolveSlice(t *testing.T) {
	starts, steps, out, err := ops.ResolveSlice(tensor.Shape{5, 6, 7},
		ops.Attrs{"starts": []int{-1, 100}, "ends": []int{math.MinInt64, -100}, "axes": []int{2, 0}, "steps": []int{-2, -1}})
	require.NoError(t, err)
	require.Equal(t, []int{4, 0, 6}, starts) // axis 0: 100 clamps to 4; axis 2: -1 is 6
	require.Equal(t, []int{-1, 1, -2}, steps)
	require.Equal(t, tensor.Shape{5, 6, 4}, out) // axis 0: 4..0; axis 2: 6 4 2 0
}

func TestTransposePerm(t *testing.T) {
	require.Equal(t, []int{2, 1, 0}, ops.TransposePerm(nil, 3))
	require.Equal(t, []int{}, ops.TransposePerm(nil, 0))
	require.Equal(t, []int{0, 2, 1}, ops.TransposePerm(ops.Attrs{"perm": []int{0, 2, 1}}, 3))
}
