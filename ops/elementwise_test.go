package ops_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// ewTy is shorthand for an ops.Type.
func ewTy(d tensor.DType, dims ...int) ops.Type {
	return ops.Type{DType: d, Shape: tensor.Shape(dims).Clone()}
}

func TestElementwiseInferErrors(t *testing.T) {
	f32, i32, b := tensor.Float32, tensor.Int32, tensor.Bool
	for _, tc := range []struct {
		name  string
		op    string
		in    []ops.Type
		attrs ops.Attrs
		kind  error
		input int    // input named by the error, -1 for none
		attr  string // attribute named by the error
		msg   string // substring of the message
	}{
		{name: "dtype mismatch a vs b", op: "add", in: []ops.Type{ewTy(f32, 2), ewTy(i32, 2)},
			kind: ops.ErrInput, input: 1, msg: "differs from input 0"},
		{name: "comparison dtype mismatch", op: "less", in: []ops.Type{ewTy(i32, 2), ewTy(tensor.Int64, 2)},
			kind: ops.ErrInput, input: 1, msg: "differs"},
		{name: "not broadcastable", op: "mul", in: []ops.Type{ewTy(f32, 2, 3), ewTy(f32, 4)},
			kind: ops.ErrInput, input: 1, msg: "broadcast"},
		{name: "broadcast result too large", op: "add", in: []ops.Type{ewTy(f32, 1<<30, 1), ewTy(f32, 1, 1<<30)},
			kind: ops.ErrInput, input: 1, msg: "elements"},
		{name: "float-only unary on int", op: "exp", in: []ops.Type{ewTy(i32, 3)},
			kind: ops.ErrInput, input: 0, msg: "float"},
		{name: "float-only binary on int", op: "pow", in: []ops.Type{ewTy(i32, 3), ewTy(i32, 3)},
			kind: ops.ErrInput, input: 0, msg: "float"},
		{name: "bool to arithmetic", op: "add", in: []ops.Type{ewTy(b, 3), ewTy(b, 3)},
			kind: ops.ErrInput, input: 0, msg: "numeric"},
		{name: "bool to numeric unary", op: "neg", in: []ops.Type{ewTy(b, 3)},
			kind: ops.ErrInput, input: 0, msg: "numeric"},
		{name: "bool to ordering comparison", op: "greater", in: []ops.Type{ewTy(b, 3), ewTy(b, 3)},
			kind: ops.ErrInput, input: 0, msg: "numeric"},
		{name: "float to logical", op: "and", in: []ops.Type{ewTy(f32, 3), ewTy(f32, 3)},
			kind: ops.ErrInput, input: 0, msg: "bool"},
		{name: "float to not", op: "not", in: []ops.Type{ewTy(f32, 3)},
			kind: ops.ErrInput, input: 0, msg: "bool"},
		{name: "unknown gelu approximate", op: "gelu", in: []ops.Type{ewTy(f32, 3)},
			attrs: ops.Attrs{"approximate": "fast"}, kind: ops.ErrAttr, input: -1, attr: "approximate", msg: `"fast"`},
		{name: "non-finite elu alpha", op: "elu", in: []ops.Type{ewTy(f32, 3)},
			attrs: ops.Attrs{"alpha": math.Inf(1)}, kind: ops.ErrAttr, input: -1, attr: "alpha", msg: "finite"},
		{name: "NaN hard_sigmoid beta", op: "hard_sigmoid", in: []ops.Type{ewTy(f32, 3)},
			attrs: ops.Attrs{"beta": math.NaN()}, kind: ops.ErrAttr, input: -1, attr: "beta", msg: "finite"},
		{name: "unknown cast to", op: "cast", in: []ops.Type{ewTy(f32, 3)},
			attrs: ops.Attrs{"to": "float8"}, kind: ops.ErrAttr, input: -1, attr: "to", msg: "float8"},
		{name: "missing cast to", op: "cast", in: []ops.Type{ewTy(f32, 3)},
			kind: ops.ErrAttr, input: -1, attr: "to", msg: "missing"},
		{name: "where non-bool condition", op: "where", in: []ops.Type{ewTy(f32, 3), ewTy(f32, 3), ewTy(f32, 3)},
			kind: ops.ErrInput, input: 0, msg: "bool"},
		{name: "where x vs y dtype", op: "where", in: []ops.Type{ewTy(b, 3), ewTy(f32, 3), ewTy(i32, 3)},
			kind: ops.ErrInput, input: 2, msg: "differs from input 1"},
		{name: "where not broadcastable", op: "where", in: []ops.Type{ewTy(b, 2), ewTy(f32, 3), ewTy(f32, 3)},
			kind: ops.ErrInput, input: 1, msg: "broadcast"},
		{name: "prelu slope does not broadcast to x", op: "prelu", in: []ops.Type{ewTy(f32, 3), ewTy(f32, 2, 3)},
			kind: ops.ErrInput, input: 1, msg: "broadcast to x's shape"},
		{name: "prelu slope incompatible", op: "prelu", in: []ops.Type{ewTy(f32, 2, 3), ewTy(f32, 2)},
			kind: ops.ErrInput, input: 1, msg: "broadcast"},
		{name: "prelu on int", op: "prelu", in: []ops.Type{ewTy(i32, 3), ewTy(i32, 3)},
			kind: ops.ErrInput, input: 0, msg: "float"},
		{name: "clip on bool", op: "clip", in: []ops.Type{ewTy(b, 3)},
			kind: ops.ErrInput, input: 0, msg: "numeric"},
		{name: "clip NaN bound", op: "clip", in: []ops.Type{ewTy(f32, 3)},
			attrs: ops.Attrs{"max": math.NaN()}, kind: ops.ErrAttr, input: -1, attr: "max", msg: "NaN"},
		{name: "unknown attribute", op: "relu", in: []ops.Type{ewTy(f32, 3)},
			attrs: ops.Attrs{"alpha": 1.0}, kind: ops.ErrAttr, input: -1, attr: "alpha", msg: "unknown"},
		{name: "wrong arity", op: "add", in: []ops.Type{ewTy(f32, 3)},
			kind: ops.ErrInput, input: -1, msg: "want 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ops.Infer(tc.op, tc.in, tc.attrs)
			require.Error(t, err)
			require.ErrorIs(t, err, tc.kind)
			var e *ops.Error
			require.True(t, errors.As(err, &e), "%T", err)
			require.Equal(t, tc.op, e.Op)
			require.Equal(t, tc.input, e.Input, "%v", err)
			require.Equal(t, tc.attr, e.Attr, "%v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestElementwiseInferTypes(t *testing.T) {
	f32, f16, i32, i64, b := tensor.Float32, tensor.Float16, tensor.Int32, tensor.Int64, tensor.Bool
	for _, tc := range []struct {
		name  string
		op    string
		in    []ops.Type
		attrs ops.Attrs
		want  ops.Type
	}{
		{"unary keeps type", "sigmoid", []ops.Type{ewTy(f16, 2, 3)}, nil, ewTy(f16, 2, 3)},
		{"gelu tanh", "gelu", []ops.Type{ewTy(f32, 4)}, ops.Attrs{"approximate": "tanh"}, ewTy(f32, 4)},
		{"numeric unary on int", "abs", []ops.Type{ewTy(i64, 5)}, nil, ewTy(i64, 5)},
		{"not", "not", []ops.Type{ewTy(b)}, nil, ewTy(b)},
		{"same shapes", "add", []ops.Type{ewTy(f32, 2, 3), ewTy(f32, 2, 3)}, nil, ewTy(f32, 2, 3)},
		{"row broadcast", "sub", []ops.Type{ewTy(i32, 2, 3), ewTy(i32, 3)}, nil, ewTy(i32, 2, 3)},
		{"lower rank first", "mul", []ops.Type{ewTy(f32, 3), ewTy(f32, 4, 2, 3)}, nil, ewTy(f32, 4, 2, 3)},
		{"outer broadcast", "div", []ops.Type{ewTy(f32, 2, 1), ewTy(f32, 1, 3)}, nil, ewTy(f32, 2, 3)},
		{"scalar", "pow", []ops.Type{ewTy(f32, 2, 3), ewTy(f32)}, nil, ewTy(f32, 2, 3)},
		{"scalars", "max", []ops.Type{ewTy(f32), ewTy(f32)}, nil, ewTy(f32)},
		{"zero size", "min", []ops.Type{ewTy(f32, 0, 3), ewTy(f32, 1, 3)}, nil, ewTy(f32, 0, 3)},
		{"comparison gives bool", "less", []ops.Type{ewTy(f32, 2, 1), ewTy(f32, 3)}, nil, ewTy(b, 2, 3)},
		{"equal on bool", "equal", []ops.Type{ewTy(b, 2), ewTy(b, 2)}, nil, ewTy(b, 2)},
		{"logical", "xor", []ops.Type{ewTy(b, 2, 1), ewTy(b, 4)}, nil, ewTy(b, 2, 4)},
		{"prelu channel slope", "prelu", []ops.Type{ewTy(f32, 1, 3, 4, 4), ewTy(f32, 3, 1, 1)}, nil, ewTy(f32, 1, 3, 4, 4)},
		{"where 3-way", "where", []ops.Type{ewTy(b, 2, 1, 1), ewTy(i64, 3, 1), ewTy(i64, 4)}, nil, ewTy(i64, 2, 3, 4)},
		{"clip int", "clip", []ops.Type{ewTy(i32, 3)}, ops.Attrs{"min": 0.0}, ewTy(i32, 3)},
		{"clip infinite bounds", "clip", []ops.Type{ewTy(f32, 3)}, ops.Attrs{"min": math.Inf(-1), "max": math.Inf(1)}, ewTy(f32, 3)},
		{"cast", "cast", []ops.Type{ewTy(f32, 2, 2)}, ops.Attrs{"to": "float16"}, ewTy(f16, 2, 2)},
		{"cast to bool", "cast", []ops.Type{ewTy(i32)}, ops.Attrs{"to": "bool"}, ewTy(b)},
		{"identity", "identity", []ops.Type{ewTy(b, 0)}, nil, ewTy(b, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.Infer(tc.op, tc.in, tc.attrs)
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.True(t, got[0].Equal(tc.want), "got %v, want %v", got[0], tc.want)
		})
	}
}

// TestElementwiseInferDoesNotAlias checks that an output shape never shares
// memory with an input shape, so a caller editing one cannot corrupt the other.
func TestElementwiseInferDoesNotAlias(t *testing.T) {
	for _, op := range []string{"exp", "identity", "prelu", "add"} {
		in := []ops.Type{ewTy(tensor.Float32, 2, 3)}
		if op == "prelu" || op == "add" {
			in = append(in, ewTy(tensor.Float32, 2, 3))
		}
		got, err := ops.Infer(op, in, nil)
		require.NoError(t, err)
		got[0].Shape[0] = 99
		require.Equal(t, 2, in[0].Shape[0], op)
	}
}
