package ops_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func TestRecurrentInfer(t *testing.T) {
	f := func(s ...int) ops.Type { return reduceTy(tensor.Float32, s...) }
	i32 := func(s ...int) ops.Type { return reduceTy(tensor.Int32, s...) }
	none := ops.Type{}
	// seq 5, batch 3, input 4, hidden 2.
	x, xb := f(5, 3, 4), f(3, 5, 4)
	lstm := func(extra ...ops.Type) []ops.Type { return append([]ops.Type{x, f(1, 8, 4), f(1, 8, 2)}, extra...) }
	bi := []ops.Type{x, f(2, 8, 4), f(2, 8, 2)}
	const m = 1 << 20 // x of 2^20 × 2^20 × 1 is valid; y of 2^20 × 2^20 × 2^10 is not
	cases := []reduceInferCase{
		{name: "lstm/forward", op: "lstm", in: lstm(), want: []ops.Type{f(5, 1, 3, 2), f(1, 3, 2), f(1, 3, 2)}},
		{name: "lstm/every_input", op: "lstm", in: lstm(f(1, 16), i32(3), f(1, 3, 2), f(1, 3, 2), f(1, 6)),
			attrs: ops.Attrs{"hidden_size": 2, "input_forget": 1, "clip": 3.0},
			want:  []ops.Type{f(5, 1, 3, 2), f(1, 3, 2), f(1, 3, 2)}},
		{name: "lstm/bidirectional", op: "lstm", in: bi, attrs: ops.Attrs{"direction": "bidirectional"},
			want: []ops.Type{f(5, 2, 3, 2), f(2, 3, 2), f(2, 3, 2)}},
		{name: "lstm/layout1", op: "lstm", in: []ops.Type{xb, f(2, 8, 4), f(2, 8, 2), none, none, f(3, 2, 2)},
			attrs: ops.Attrs{"direction": "bidirectional", "layout": 1},
			want:  []ops.Type{f(3, 5, 2, 2), f(3, 2, 2), f(3, 2, 2)}},
		{name: "gru/forward", op: "gru", in: []ops.Type{x, f(1, 6, 4), f(1, 6, 2)}, attrs: ops.Attrs{"linear_before_reset": 1},
			want: []ops.Type{f(5, 1, 3, 2), f(1, 3, 2)}},
		{name: "rnn/float64", op: "rnn", in: []ops.Type{reduceTy(tensor.Float64, 2, 1, 1), reduceTy(tensor.Float64, 1, 1, 1),
			reduceTy(tensor.Float64, 1, 1, 1)}, attrs: ops.Attrs{"activations": "Relu"},
			want: []ops.Type{reduceTy(tensor.Float64, 2, 1, 1, 1), reduceTy(tensor.Float64, 1, 1, 1)}},
		{name: "rnn/int64_lens", op: "rnn", in: []ops.Type{x, f(1, 2, 4), f(1, 2, 2), none, reduceTy(tensor.Int64, 3)},
			want: []ops.Type{f(5, 1, 3, 2), f(1, 3, 2)}},
		{name: "rnn/empty_sequence", op: "rnn", in: []ops.Type{f(0, 3, 4), f(1, 2, 4), f(1, 2, 2)},
			want: []ops.Type{f(0, 1, 3, 2), f(1, 3, 2)}},

		{name: "lstm/int_x", op: "lstm", in: []ops.Type{i32(5, 3, 4), f(1, 8, 4), f(1, 8, 2)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "float"},
		{name: "lstm/mixed_dtypes", op: "lstm", in: []ops.Type{x, reduceTy(tensor.Float64, 1, 8, 4), f(1, 8, 2)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "differs"},
		{name: "lstm/x_rank2", op: "lstm", in: []ops.Type{f(5, 3), f(1, 8, 4), f(1, 8, 2)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "rank 2"},
		{name: "lstm/w_rows", op: "lstm", in: []ops.Type{x, f(1, 6, 4), f(1, 8, 2)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "4·hidden"},
		{name: "lstm/w_input_size", op: "lstm", in: []ops.Type{x, f(1, 8, 3), f(1, 8, 2)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "input size"},
		{name: "lstm/r_not_square", op: "lstm", in: []ops.Type{x, f(1, 8, 4), f(1, 12, 3)},
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "w has shape"},
		{name: "lstm/directions_mismatch", op: "lstm", in: bi,
			wantKind: ops.ErrInput, wantInput: 1, wantMsg: "directions"},
		{name: "lstm/hidden_size_mismatch", op: "lstm", in: lstm(), attrs: ops.Attrs{"hidden_size": 3},
			wantKind: ops.ErrAttr, wantAttr: "hidden_size"},
		{name: "lstm/b_shape", op: "lstm", in: lstm(f(1, 8)),
			wantKind: ops.ErrInput, wantInput: 3, wantMsg: "2·4·hidden"},
		{name: "lstm/lens_float", op: "lstm", in: lstm(none, f(3)),
			wantKind: ops.ErrInput, wantInput: 4, wantMsg: "float"},
		{name: "lstm/lens_length", op: "lstm", in: lstm(none, i32(4)),
			wantKind: ops.ErrInput, wantInput: 4, wantMsg: "batch size"},
		{name: "lstm/initial_h_layout", op: "lstm", in: lstm(none, none, f(3, 1, 2)),
			wantKind: ops.ErrInput, wantInput: 5, wantMsg: "initial state"},
		{name: "lstm/initial_c_shape", op: "lstm", in: lstm(none, none, none, f(1, 3, 3)),
			wantKind: ops.ErrInput, wantInput: 6, wantMsg: "initial state"},
		{name: "lstm/p_shape", op: "lstm", in: lstm(none, none, none, none, f(1, 8)),
			wantKind: ops.ErrInput, wantInput: 7, wantMsg: "3·hidden"},
		{name: "lstm/layout2", op: "lstm", in: lstm(), attrs: ops.Attrs{"layout": 2},
			wantKind: ops.ErrAttr, wantAttr: "layout"},
		{name: "lstm/direction", op: "lstm", in: lstm(), attrs: ops.Attrs{"direction": "backward"},
			wantKind: ops.ErrAttr, wantAttr: "direction"},
		{name: "lstm/too_few_activations", op: "lstm", in: lstm(), attrs: ops.Attrs{"activations": "sigmoid,tanh"},
			wantKind: ops.ErrAttr, wantAttr: "activations", wantMsg: "want 3"},
		{name: "lstm/bidirectional_activations", op: "lstm", in: bi,
			attrs:    ops.Attrs{"direction": "bidirectional", "activations": "sigmoid,tanh,tanh"},
			wantKind: ops.ErrAttr, wantAttr: "activations", wantMsg: "want 6"},
		{name: "lstm/unknown_activation", op: "lstm", in: lstm(), attrs: ops.Attrs{"activations": "sigmoid,gelu,tanh"},
			wantKind: ops.ErrAttr, wantAttr: "activations", wantMsg: "gelu"},
		{name: "lstm/alpha_count", op: "lstm", in: lstm(),
			attrs:    ops.Attrs{"activations": "sigmoid,elu,tanh", "activation_alpha": []float64{1}},
			wantKind: ops.ErrAttr, wantAttr: "activation_alpha", wantMsg: "one per activation"},
		{name: "lstm/clip_zero", op: "lstm", in: lstm(), attrs: ops.Attrs{"clip": 0.0},
			wantKind: ops.ErrAttr, wantAttr: "clip"},
		{name: "gru/input_forget_not_an_attribute", op: "gru", in: []ops.Type{x, f(1, 6, 4), f(1, 6, 2)},
			attrs: ops.Attrs{"input_forget": 1}, wantKind: ops.ErrAttr, wantAttr: "input_forget"},
		{name: "rnn/too_many_inputs", op: "rnn", in: []ops.Type{x, f(1, 2, 4), f(1, 2, 2), none, none, none, none},
			wantKind: ops.ErrInput, wantInput: -1, wantMsg: "want 3 to 6"},
		// valid inputs whose y would exceed tensor.MaxElements: refused, never allocated.
		{name: "rnn/output_too_large", op: "rnn",
			in:       []ops.Type{f(m, m, 1), f(1, 1<<10, 1), f(1, 1<<10, 1<<10)},
			wantKind: ops.ErrInput, wantInput: 0, wantMsg: "output y"},
	}
	reduceRunInfer(t, cases)
}

func TestResolveRecurrentDefaults(t *testing.T) {
	f := func(s ...int) ops.Type { return reduceTy(tensor.Float32, s...) }
	r, err := ops.ResolveRecurrent("lstm", []ops.Type{f(2, 1, 1), f(2, 4, 1), f(2, 4, 1)},
		ops.Attrs{"direction": "bidirectional", "activations": "Sigmoid,LeakyRelu,HardSigmoid,tanh,elu,affine",
			"activation_alpha": []float64{9, 0.3, 0.4, 9, 2, 3}})
	require.NoError(t, err)
	require.Equal(t, 3, r.PerDirection())
	require.False(t, r.Reverse(0))
	require.True(t, r.Reverse(1))
	require.Equal(t, []ops.RecurrentActivation{
		{Name: "sigmoid"}, {Name: "leakyrelu", Alpha: 0.3}, {Name: "hardsigmoid", Alpha: 0.4, Beta: 0.5},
		{Name: "tanh"}, {Name: "elu", Alpha: 2}, {Name: "affine", Alpha: 3},
	}, r.Activations)

	_, err = ops.ResolveRecurrent("conv", nil, nil)
	require.Error(t, err)
}
