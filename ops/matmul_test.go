package ops_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// mmTy is shorthand for an ops.Type.
func mmTy(d tensor.DType, dims ...int) ops.Type {
	return ops.Type{DType: d, Shape: append(tensor.Shape{}, dims...)}
}

func TestMatMulInferShapes(t *testing.T) {
	f32 := tensor.Float32
	for _, tc := range []struct {
		name string
		a, b ops.Type
		want ops.Type
	}{
		{"2d", mmTy(f32, 2, 3), mmTy(f32, 3, 4), mmTy(f32, 2, 4)},
		{"1d_2d", mmTy(f32, 3), mmTy(f32, 3, 4), mmTy(f32, 4)},
		{"2d_1d", mmTy(f32, 2, 3), mmTy(f32, 3), mmTy(f32, 2)},
		{"1d_1d", mmTy(f32, 3), mmTy(f32, 3), mmTy(f32)},
		{"batch_broadcast", mmTy(f32, 2, 1, 2, 3), mmTy(f32, 3, 2), mmTy(f32, 2, 1, 2, 2)},
		{"batch_both", mmTy(f32, 2, 1, 4, 5), mmTy(f32, 3, 5, 6), mmTy(f32, 2, 3, 4, 6)},
		{"1d_batched", mmTy(f32, 5), mmTy(f32, 7, 5, 6), mmTy(f32, 7, 6)},
		{"batched_1d", mmTy(f32, 7, 4, 5), mmTy(f32, 5), mmTy(f32, 7, 4)},
		{"k0", mmTy(f32, 2, 0), mmTy(f32, 0, 3), mmTy(f32, 2, 3)},
		{"zero_batch", mmTy(f32, 0, 2, 3), mmTy(f32, 1, 3, 2), mmTy(f32, 0, 2, 2)},
		{"int64", mmTy(tensor.Int64, 2, 3), mmTy(tensor.Int64, 3, 4), mmTy(tensor.Int64, 2, 4)},
		{"float16", mmTy(tensor.Float16, 2, 3), mmTy(tensor.Float16, 3), mmTy(tensor.Float16, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.Infer("matmul", []ops.Type{tc.a, tc.b}, nil)
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.True(t, got[0].Equal(tc.want), "got %v, want %v", got[0], tc.want)
		})
	}
}

func TestMatMulInferErrors(t *testing.T) {
	f32 := tensor.Float32
	for _, tc := range []struct {
		name  string
		a, b  ops.Type
		input int
		msg   string
	}{
		{"k mismatch", mmTy(f32, 2, 3), mmTy(f32, 4, 5), 1, "K = 4"},
		{"k mismatch 1d", mmTy(f32, 3), mmTy(f32, 2), 1, "a's K = 3"},
		{"k mismatch batched", mmTy(f32, 2, 2, 3), mmTy(f32, 2, 2, 2), 1, "a's K = 3"},
		{"scalar a", mmTy(f32), mmTy(f32, 3), 0, "scalar"},
		{"scalar b", mmTy(f32, 3), mmTy(f32), 1, "scalar"},
		{"batch not broadcastable", mmTy(f32, 2, 2, 3), mmTy(f32, 3, 3, 2), 1, "broadcast"},
		{"dtype mismatch", mmTy(f32, 2, 3), mmTy(tensor.Float64, 3, 2), 1, "differs"},
		{"bool", mmTy(tensor.Bool, 2, 3), mmTy(tensor.Bool, 3, 2), 0, "numeric"},
		{"output too large", mmTy(f32, 1<<21, 1), mmTy(f32, 1, 1<<21), 1, "elements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ops.Infer("matmul", []ops.Type{tc.a, tc.b}, nil)
			require.Error(t, err)
			require.True(t, errors.Is(err, ops.ErrInput), "%v", err)
			var e *ops.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, tc.input, e.Input, "%v", err)
			require.Equal(t, "matmul", e.Op)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestMatMulResolveBatchShapes(t *testing.T) {
	d, err := ops.ResolveMatMul(tensor.Shape{2, 1, 4, 5}, tensor.Shape{5, 6})
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{2, 1}, d.Batch)
	require.Equal(t, tensor.Shape{2, 1}, d.ABatch)
	require.Equal(t, tensor.Shape{1, 1}, d.BBatch)
	require.Equal(t, [3]int{4, 5, 6}, [3]int{d.M, d.K, d.N})
	require.Equal(t, tensor.Shape{2, 1, 4, 6}, d.Out)
}
