package ops_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

func TestSoftmaxInfer(t *testing.T) {
	x := []ops.Type{reduceTy(tensor.Float32, 4, 10)}
	var cases []reduceInferCase
	for _, op := range []string{"softmax", "log_softmax"} {
		cases = append(cases,
			reduceInferCase{name: op + "/default_axis", op: op, in: x, want: x},
			reduceInferCase{name: op + "/axis0", op: op, in: x, attrs: ops.Attrs{"axis": 0}, want: x},
			reduceInferCase{name: op + "/zero_size_axis", op: op, in: []ops.Type{reduceTy(tensor.Float16, 3, 0)},
				want: []ops.Type{reduceTy(tensor.Float16, 3, 0)}},
			reduceInferCase{name: op + "/int_input", op: op, in: []ops.Type{reduceTy(tensor.Int32, 4)},
				wantKind: ops.ErrInput, wantInput: 0, wantMsg: "float"},
			reduceInferCase{name: op + "/axis_out_of_range", op: op, in: x, attrs: ops.Attrs{"axis": -3},
				wantKind: ops.ErrAttr, wantAttr: "axis", wantMsg: "out of range"},
			reduceInferCase{name: op + "/scalar", op: op, in: []ops.Type{reduceTy(tensor.Float32)},
				wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 0"},
			reduceInferCase{name: op + "/axes_not_an_attribute", op: op, in: x, attrs: ops.Attrs{"axes": []int{1}},
				wantKind: ops.ErrAttr, wantAttr: "axes"},
		)
	}
	reduceRunInfer(t, cases)
}

func TestBatchNormInfer(t *testing.T) {
	f := func(s ...int) ops.Type { return reduceTy(tensor.Float32, s...) }
	c3 := f(3)
	bn := func(x ops.Type, params ...ops.Type) []ops.Type { return append([]ops.Type{x}, params...) }
	cases := []reduceInferCase{
		{name: "nchw", op: "batch_norm", in: bn(f(2, 3, 4, 4), c3, c3, c3, c3), want: []ops.Type{f(2, 3, 4, 4)}},
		{name: "rank2", op: "batch_norm", in: bn(f(5, 3), c3, c3, c3, c3), attrs: ops.Attrs{"epsilon": 0.0},
			want: []ops.Type{f(5, 3)}},
		{name: "float64", op: "batch_norm",
			in: bn(reduceTy(tensor.Float64, 1, 2, 3), reduceTy(tensor.Float64, 2), reduceTy(tensor.Float64, 2),
				reduceTy(tensor.Float64, 2), reduceTy(tensor.Float64, 2)),
			want: []ops.Type{reduceTy(tensor.Float64, 1, 2, 3)}},

		{name: "scale_wrong_length", op: "batch_norm", in: bn(f(2, 3, 4), f(4), c3, c3, c3),
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "scale"},
		{name: "bias_wrong_length", op: "batch_norm", in: bn(f(2, 3, 4), c3, f(2), c3, c3),
			wantKind: ops.ErrInput, wantInput: 2, wantMsg: "bias"},
		{name: "mean_wrong_rank", op: "batch_norm", in: bn(f(2, 3, 4), c3, c3, f(1, 3), c3),
			wantKind: ops.ErrInput, wantInput: 3, wantMsg: "mean"},
		{name: "var_wrong_length", op: "batch_norm", in: bn(f(2, 3, 4), c3, c3, c3, f(1)),
			wantKind: ops.ErrInput, wantInput: 4, wantMsg: "var"},
		{name: "var_scalar", op: "batch_norm", in: bn(f(2, 3, 4), c3, c3, c3, f()),
			wantKind: ops.ErrInput, wantInput: 4, wantMsg: "var"},
		{name: "rank1_x", op: "batch_norm", in: bn(f(3), c3, c3, c3, c3),
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 1"},
		{name: "mixed_dtypes", op: "batch_norm", in: bn(f(2, 3), c3, reduceTy(tensor.Float64, 3), c3, c3),
			wantKind: ops.ErrInput, wantInput: 2},
		{name: "int_input", op: "batch_norm", in: bn(reduceTy(tensor.Int32, 2, 3), c3, c3, c3, c3),
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "float"},
		{name: "negative_epsilon", op: "batch_norm", in: bn(f(2, 3), c3, c3, c3, c3), attrs: ops.Attrs{"epsilon": -1e-5},
			wantKind: ops.ErrAttr, wantAttr: "epsilon"},
		{name: "nan_epsilon", op: "batch_norm", in: bn(f(2, 3), c3, c3, c3, c3), attrs: ops.Attrs{"epsilon": math.NaN()},
			wantKind: ops.ErrAttr, wantAttr: "epsilon"},
		{name: "inf_epsilon", op: "batch_norm", in: bn(f(2, 3), c3, c3, c3, c3), attrs: ops.Attrs{"epsilon": math.Inf(1)},
			wantKind: ops.ErrAttr, wantAttr: "epsilon"},
		{name: "missing_var", op: "batch_norm", in: bn(f(2, 3), c3, c3, c3),
			wantKind: ops.ErrInput, wantInput: -1},
	}
	reduceRunInfer(t, cases)
}

func TestLayerNormInfer(t *testing.T) {
	f := func(s ...int) ops.Type { return reduceTy(tensor.Float32, s...) }
	x := f(2, 8, 16)
	cases := []reduceInferCase{
		{name: "last_axis", op: "layer_norm", in: []ops.Type{x, f(16), f(16)}, want: []ops.Type{x}},
		{name: "no_bias", op: "layer_norm", in: []ops.Type{x, f(16)}, want: []ops.Type{x}},
		{name: "absent_bias", op: "layer_norm", in: []ops.Type{x, f(16), {}}, want: []ops.Type{x}},
		{name: "last_two_axes", op: "layer_norm", in: []ops.Type{x, f(8, 16), f(16)}, attrs: ops.Attrs{"axis": -2},
			want: []ops.Type{x}},
		{name: "broadcast_scale", op: "layer_norm", in: []ops.Type{x, f(8, 1), f(1)}, attrs: ops.Attrs{"axis": 1},
			want: []ops.Type{x}},
		{name: "scalar_scale", op: "layer_norm", in: []ops.Type{x, f()}, want: []ops.Type{x}},
		{name: "axis0", op: "layer_norm", in: []ops.Type{x, f(2, 8, 16)}, attrs: ops.Attrs{"axis": 0}, want: []ops.Type{x}},

		{name: "scale_too_long", op: "layer_norm", in: []ops.Type{x, f(8, 16)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "scale"},
		{name: "scale_wrong_dim", op: "layer_norm", in: []ops.Type{x, f(15)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "scale"},
		{name: "bias_wrong_dim", op: "layer_norm", in: []ops.Type{x, f(16), f(2)},
			wantKind: ops.ErrInput, wantInput: 2, wantMsg: "bias"},
		{name: "axis_out_of_range", op: "layer_norm", in: []ops.Type{x, f(16)}, attrs: ops.Attrs{"axis": 3},
			wantKind: ops.ErrAttr, wantAttr: "axis"},
		{name: "scalar_x", op: "layer_norm", in: []ops.Type{f(), f()},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 0"},
		{name: "int_input", op: "layer_norm", in: []ops.Type{reduceTy(tensor.Int64, 4), reduceTy(tensor.Int64, 4)},
			wantKind: ops.ErrInput, wantInput: 0},
		{name: "mixed_dtypes", op: "layer_norm", in: []ops.Type{x, reduceTy(tensor.Float16, 16)},
			wantKind: ops.ErrInput, wantInput: 1},
		{name: "negative_epsilon", op: "layer_norm", in: []ops.Type{x, f(16)}, attrs: ops.Attrs{"epsilon": -1.0},
			wantKind: ops.ErrAttr, wantAttr: "epsilon"},
	}
	reduceRunInfer(t, cases)
}

func TestInstanceNormInfer(t *testing.T) {
	f := func(s ...int) ops.Type { return reduceTy(tensor.Float32, s...) }
	x := f(2, 3, 5, 5)
	cases := []reduceInferCase{
		{name: "nchw", op: "instance_norm", in: []ops.Type{x, f(3), f(3)}, want: []ops.Type{x}},
		{name: "rank3", op: "instance_norm", in: []ops.Type{f(2, 3, 7), f(3), f(3)}, want: []ops.Type{f(2, 3, 7)}},

		{name: "rank2", op: "instance_norm", in: []ops.Type{f(2, 3), f(3), f(3)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 2"},
		{name: "scale_wrong_length", op: "instance_norm", in: []ops.Type{x, f(2), f(3)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "scale"},
		{name: "bias_wrong_length", op: "instance_norm", in: []ops.Type{x, f(3), f(3, 1)},
			wantKind: ops.ErrInput, wantInput: 2, wantMsg: "bias"},
		{name: "negative_epsilon", op: "instance_norm", in: []ops.Type{x, f(3), f(3)}, attrs: ops.Attrs{"epsilon": -0.5},
			wantKind: ops.ErrAttr, wantAttr: "epsilon"},
		{name: "int_input", op: "instance_norm", in: []ops.Type{reduceTy(tensor.Int8, 2, 3, 4), f(3), f(3)},
			wantKind: ops.ErrInput, wantInput: 0},
	}
	reduceRunInfer(t, cases)
}

func TestLRNInfer(t *testing.T) {
	x := []ops.Type{reduceTy(tensor.Float32, 1, 8, 4, 4)}
	cases := []reduceInferCase{
		{name: "size5", op: "lrn", in: x, attrs: ops.Attrs{"size": 5}, want: x},
		{name: "all_attrs", op: "lrn", in: x, attrs: ops.Attrs{"size": 3, "alpha": 1.0, "beta": 0.5, "bias": 2.0}, want: x},
		{name: "size_larger_than_c", op: "lrn", in: x, attrs: ops.Attrs{"size": 1 << 40}, want: x},
		{name: "rank3", op: "lrn", in: []ops.Type{reduceTy(tensor.Float16, 1, 3, 2)}, attrs: ops.Attrs{"size": 1},
			want: []ops.Type{reduceTy(tensor.Float16, 1, 3, 2)}},

		{name: "size0", op: "lrn", in: x, attrs: ops.Attrs{"size": 0},
			wantKind: ops.ErrAttr, wantAttr: "size", wantMsg: ">= 1"},
		{name: "size_negative", op: "lrn", in: x, attrs: ops.Attrs{"size": -3},
			wantKind: ops.ErrAttr, wantAttr: "size"},
		{name: "size_missing", op: "lrn", in: x,
			wantKind: ops.ErrAttr, wantAttr: "size", wantMsg: "required"},
		{name: "alpha_nan", op: "lrn", in: x, attrs: ops.Attrs{"size": 3, "alpha": math.NaN()},
			wantKind: ops.ErrAttr, wantAttr: "alpha"},
		{name: "beta_inf", op: "lrn", in: x, attrs: ops.Attrs{"size": 3, "beta": math.Inf(-1)},
			wantKind: ops.ErrAttr, wantAttr: "beta"},
		{name: "rank2", op: "lrn", in: []ops.Type{reduceTy(tensor.Float32, 1, 8)}, attrs: ops.Attrs{"size": 3},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 2"},
		{name: "int_input", op: "lrn", in: []ops.Type{reduceTy(tensor.Int32, 1, 8, 4)}, attrs: ops.Attrs{"size": 3},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "float"},
	}
	reduceRunInfer(t, cases)
}

// TestNormFamilyCasesInfer checks that every optest case of this family (hand
// and random) passes inference with the declared output types, so a typo in a
// case shows up here rather than in some backend's run.
func TestNormFamilyCasesInfer(t *testing.T) {
	family := map[string]bool{
		"reduce_sum": true, "reduce_prod": true, "reduce_max": true, "reduce_min": true, "reduce_mean": true,
		"argmax": true, "argmin": true, "softmax": true, "log_softmax": true,
		"batch_norm": true, "layer_norm": true, "instance_norm": true, "lrn": true,
	}
	seen := map[string]bool{}
	for _, c := range optest.Cases() {
		if !family[c.Op] {
			continue
		}
		seen[c.Op] = true
		in := make([]ops.Type, len(c.Inputs))
		for i, x := range c.Inputs {
			if x != nil {
				in[i] = ops.TypeOf(x)
			}
		}
		got, err := ops.Infer(c.Op, in, c.Attrs)
		require.NoError(t, err, c.Name)
		require.Len(t, got, len(c.Want), c.Name)
		for i, w := range c.Want {
			require.True(t, got[i].Equal(ops.TypeOf(w)), "%s output %d: inferred %v, case wants %v", c.Name, i, got[i], ops.TypeOf(w))
		}
	}
	for op := range family {
		require.True(t, seen[op], "op %s has no hand case", op)
	}
	for _, c := range optest.RandomCases() {
		if !family[c.Op] {
			continue
		}
		in := make([]ops.Type, len(c.Inputs))
		for i, x := range c.Inputs {
			switch {
			case x.Omit:
			case x.Fixed != nil:
				in[i] = ops.TypeOf(x.Fixed)
			default:
				in[i] = ops.Type{DType: x.DType, Shape: x.Shape}
			}
		}
		_, err := ops.Infer(c.Op, in, c.Attrs)
		require.NoError(t, err, c.Name)
	}
}
