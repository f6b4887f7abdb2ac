package ops_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// reduceInferCase is one ops.Infer call and what it must return: either the
// output types, or an error of kind wantKind that names wantInput (>= 0) or
// wantAttr and mentions wantMsg.
type reduceInferCase struct {
	name      string
	op        string
	in        []ops.Type
	attrs     ops.Attrs
	want      []ops.Type
	wantKind  error
	wantInput int
	wantAttr  string
	wantMsg   string
}

// reduceRunInfer runs a table of reduceInferCases.
func reduceRunInfer(t *testing.T, cases []reduceInferCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ops.Infer(c.op, c.in, c.attrs)
			if c.wantKind == nil {
				require.NoError(t, err)
				require.Len(t, got, len(c.want))
				for i := range got {
					require.True(t, got[i].Equal(c.want[i]), "output %d: got %v want %v", i, got[i], c.want[i])
				}
				return
			}
			require.Error(t, err)
			require.True(t, errors.Is(err, c.wantKind), "error %q is not %v", err, c.wantKind)
			var e *ops.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, c.op, e.Op)
			if c.wantAttr != "" {
				require.Equal(t, c.wantAttr, e.Attr, "error %q", err)
				require.Contains(t, err.Error(), `"`+c.wantAttr+`"`)
			} else {
				require.Equal(t, c.wantInput, e.Input, "error %q", err)
			}
			if c.wantMsg != "" {
				require.True(t, strings.Contains(err.Error(), c.wantMsg), "error %q does not mention %q", err, c.wantMsg)
			}
		})
	}
}

// reduceTy is shorthand for an ops.Type.
func reduceTy(d tensor.DType, shape ...int) ops.Type {
	if shape == nil {
		shape = []int{}
	}
	return ops.Type{DType: d, Shape: shape}
}

func TestReduceInfer(t *testing.T) {
	f32 := func(s ...int) []ops.Type { return []ops.Type{reduceTy(tensor.Float32, s...)} }
	out := func(d tensor.DType, s ...int) []ops.Type { return []ops.Type{reduceTy(d, s...)} }
	x := f32(2, 3, 4)
	cases := []reduceInferCase{
		{name: "all_axes_default_keepdims", op: "reduce_sum", in: x, want: out(tensor.Float32, 1, 1, 1)},
		{name: "all_axes_keepdims0", op: "reduce_sum", in: x, attrs: ops.Attrs{"keepdims": 0}, want: out(tensor.Float32)},
		{name: "empty_axes", op: "reduce_max", in: x, attrs: ops.Attrs{"axes": []int{}, "keepdims": 0}, want: out(tensor.Float32)},
		{name: "one_axis", op: "reduce_min", in: x, attrs: ops.Attrs{"axes": []int{1}}, want: out(tensor.Float32, 2, 1, 4)},
		{name: "negative_axes_keepdims0", op: "reduce_mean", in: x, attrs: ops.Attrs{"axes": []int{-1, 0}, "keepdims": 0},
			want: out(tensor.Float32, 3)},
		{name: "zero_size_axis", op: "reduce_prod", in: f32(2, 0), attrs: ops.Attrs{"axes": []int{1}}, want: out(tensor.Float32, 2, 1)},
		{name: "scalar", op: "reduce_sum", in: f32(), want: out(tensor.Float32)},
		{name: "int32", op: "reduce_sum", in: []ops.Type{reduceTy(tensor.Int32, 5)}, want: out(tensor.Int32, 1)},
		{name: "uint8_max", op: "reduce_max", in: []ops.Type{reduceTy(tensor.Uint8, 5, 2)}, attrs: ops.Attrs{"axes": []int{0}},
			want: out(tensor.Uint8, 1, 2)},

		{name: "axis_out_of_range", op: "reduce_sum", in: x, attrs: ops.Attrs{"axes": []int{3}},
			wantKind: ops.ErrAttr, wantAttr: "axes", wantMsg: "out of range"},
		{name: "negative_axis_out_of_range", op: "reduce_sum", in: x, attrs: ops.Attrs{"axes": []int{-4}},
			wantKind: ops.ErrAttr, wantAttr: "axes", wantMsg: "out of range"},
		{name: "repeated_axis", op: "reduce_sum", in: x, attrs: ops.Attrs{"axes": []int{1, 1}},
			wantKind: ops.ErrAttr, wantAttr: "axes", wantMsg: "repeated"},
		{name: "repeated_axis_via_negative", op: "reduce_max", in: x, attrs: ops.Attrs{"axes": []int{2, -1}},
			wantKind: ops.ErrAttr, wantAttr: "axes", wantMsg: "repeated"},
		{name: "more_axes_than_rank", op: "reduce_min", in: x, attrs: ops.Attrs{"axes": make([]int, 1000)},
			wantKind: ops.ErrAttr, wantAttr: "axes"},
		{name: "axes_on_scalar", op: "reduce_sum", in: f32(), attrs: ops.Attrs{"axes": []int{0}},
			wantKind: ops.ErrAttr, wantAttr: "axes"},
		{name: "keepdims_2", op: "reduce_sum", in: x, attrs: ops.Attrs{"keepdims": 2},
			wantKind: ops.ErrAttr, wantAttr: "keepdims", wantMsg: "0 or 1"},
		{name: "keepdims_negative", op: "reduce_prod", in: x, attrs: ops.Attrs{"keepdims": -1},
			wantKind: ops.ErrAttr, wantAttr: "keepdims"},
		{name: "axes_wrong_kind", op: "reduce_sum", in: x, attrs: ops.Attrs{"axes": 1},
			wantKind: ops.ErrAttr, wantAttr: "axes"},
		{name: "mean_of_int", op: "reduce_mean", in: []ops.Type{reduceTy(tensor.Int32, 3)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "float"},
		{name: "sum_of_bool", op: "reduce_sum", in: []ops.Type{reduceTy(tensor.Bool, 3)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "numeric"},
		{name: "two_inputs", op: "reduce_sum", in: append(f32(3), reduceTy(tensor.Float32, 3)),
			wantKind: ops.ErrInput, wantInput: -1},
	}
	reduceRunInfer(t, cases)
}

func TestArgInfer(t *testing.T) {
	x := []ops.Type{reduceTy(tensor.Float32, 2, 3, 4)}
	i64 := func(s ...int) []ops.Type { return []ops.Type{reduceTy(tensor.Int64, s...)} }
	cases := []reduceInferCase{
		{name: "default_axis0", op: "argmax", in: x, want: i64(1, 3, 4)},
		{name: "axis1_keepdims0", op: "argmin", in: x, attrs: ops.Attrs{"axis": 1, "keepdims": 0}, want: i64(2, 4)},
		{name: "negative_axis", op: "argmax", in: x, attrs: ops.Attrs{"axis": -1, "select_last_index": 1}, want: i64(2, 3, 1)},
		{name: "int32_input", op: "argmin", in: []ops.Type{reduceTy(tensor.Int32, 5)}, attrs: ops.Attrs{"keepdims": 0}, want: i64()},
		{name: "zero_size_other_axis", op: "argmax", in: []ops.Type{reduceTy(tensor.Float32, 0, 3)}, attrs: ops.Attrs{"axis": 1},
			want: i64(0, 1)},

		{name: "zero_size_axis", op: "argmax", in: []ops.Type{reduceTy(tensor.Float32, 2, 0)}, attrs: ops.Attrs{"axis": 1},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "no elements"},
		{name: "axis_out_of_range", op: "argmin", in: x, attrs: ops.Attrs{"axis": 3},
			wantKind: ops.ErrAttr, wantAttr: "axis", wantMsg: "out of range"},
		{name: "scalar", op: "argmax", in: []ops.Type{reduceTy(tensor.Float32)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 0"},
		{name: "keepdims_2", op: "argmax", in: x, attrs: ops.Attrs{"keepdims": 2},
			wantKind: ops.ErrAttr, wantAttr: "keepdims"},
		{name: "select_last_index_2", op: "argmin", in: x, attrs: ops.Attrs{"select_last_index": 2},
			wantKind: ops.ErrAttr, wantAttr: "select_last_index"},
		{name: "bool_input", op: "argmax", in: []ops.Type{reduceTy(tensor.Bool, 3)},
			wantKind: ops.ErrInput, wantInput: 0},
		{name: "axes_is_not_an_attribute", op: "argmax", in: x, attrs: ops.Attrs{"axes": []int{0}},
			wantKind: ops.ErrAttr, wantAttr: "axes", wantMsg: "unknown"},
	}
	reduceRunInfer(t, cases)
}

func TestReduceAxes(t *testing.T) {
	got, err := ops.ReduceAxes(ops.Attrs{"axes": []int{-1, 0}}, 3)
	require.NoError(t, err)
	require.Equal(t, []int{0, 2}, got, "normalized and sorted")

	got, err = ops.ReduceAxes(nil, 3)
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 2}, got, "absent means every axis")

	got, err = ops.ReduceAxes(ops.Attrs{"axes": []int{}}, 0)
	require.NoError(t, err)
	require.Empty(t, got, "a scalar has no axes")

	_, err = ops.ReduceAxes(ops.Attrs{"axes": []int{0, -2}}, 2)
	require.ErrorIs(t, err, ops.ErrAttr)
}
