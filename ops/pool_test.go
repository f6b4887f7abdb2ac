package ops_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func TestPoolInferShapes(t *testing.T) {
	f32 := tensor.Float32
	x := mmTy(f32, 1, 3, 9, 9)
	for _, tc := range []struct {
		name  string
		op    string
		x     ops.Type
		attrs ops.Attrs
		want  ops.Type
	}{
		// floor((9−3)/1)+1 = 7
		{"k3", "max_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}}, mmTy(f32, 1, 3, 7, 7)},
		// floor((9−2)/2)+1 = 4; ceil(7/2)+1 = 5, and the 5th window starts at 8 < 9, so it stays
		{"floor", "avg_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}}, mmTy(f32, 1, 3, 4, 4)},
		{"ceil", "avg_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}, "ceil_mode": 1}, mmTy(f32, 1, 3, 5, 5)},
		// ceil(9/2) = 5 whatever the kernel
		{"same_upper", "max_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "auto_pad": "SAME_UPPER"}, mmTy(f32, 1, 3, 5, 5)},
		// VALID: floor((9−3)/2)+1 = 4
		{"valid", "max_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "auto_pad": "VALID"}, mmTy(f32, 1, 3, 4, 4)},
		// dilation 3 with kernel 3 spans 7: floor((9−7)/1)+1 = 3
		{"dilation", "max_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}, "dilations": []int{3, 3}}, mmTy(f32, 1, 3, 3, 3)},
		// pads 1+2 on H: floor((9+3−3)/1)+1 = 10
		{"asymmetric pads", "avg_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}, "pads": []int{1, 0, 2, 0}}, mmTy(f32, 1, 3, 10, 7)},
		{"int8 max", "max_pool", mmTy(tensor.Int8, 1, 1, 4), ops.Attrs{"kernel_shape": []int{2}}, mmTy(tensor.Int8, 1, 1, 3)},
		{"global", "global_avg_pool", x, nil, mmTy(f32, 1, 3, 1, 1)},
		{"global 3d", "global_max_pool", mmTy(tensor.Float16, 2, 3, 4, 5, 6), nil, mmTy(tensor.Float16, 2, 3, 1, 1, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ops.Infer(tc.op, []ops.Type{tc.x}, tc.attrs)
			require.NoError(t, err)
			require.Len(t, out, 1)
			require.True(t, out[0].Equal(tc.want), "got %v, want %v", out[0], tc.want)
		})
	}
}

func TestPoolInferErrors(t *testing.T) {
	x := mmTy(tensor.Float32, 1, 3, 9, 9)
	for _, tc := range []struct {
		name  string
		op    string
		x     ops.Type
		attrs ops.Attrs
		kind  error
		attr  string
	}{
		{"kernel_shape missing", "max_pool", x, nil, ops.ErrAttr, "kernel_shape"},
		{"kernel_shape wrong length", "max_pool", x, ops.Attrs{"kernel_shape": []int{3}}, ops.ErrAttr, "kernel_shape"},
		{"kernel_shape zero", "max_pool", x, ops.Attrs{"kernel_shape": []int{3, 0}}, ops.ErrAttr, "kernel_shape"},
		{"stride zero", "avg_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{1, 0}}, ops.ErrAttr, "strides"},
		{"pad as wide as kernel", "max_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "pads": []int{2, 0, 0, 0}}, ops.ErrAttr, "pads"},
		{"negative pad", "max_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "pads": []int{-1, 0, 0, 0}}, ops.ErrAttr, "pads"},
		{"pads with auto_pad", "max_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "pads": []int{1, 1, 1, 1}, "auto_pad": "SAME_UPPER"}, ops.ErrAttr, "pads"},
		{"unknown auto_pad", "avg_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "auto_pad": "SAME"}, ops.ErrAttr, "auto_pad"},
		{"ceil_mode 2", "avg_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "ceil_mode": 2}, ops.ErrAttr, "ceil_mode"},
		{"count_include_pad on max_pool", "max_pool", x, ops.Attrs{"kernel_shape": []int{2, 2}, "count_include_pad": 1}, ops.ErrAttr, "count_include_pad"},
		{"kernel larger than input", "max_pool", x, ops.Attrs{"kernel_shape": []int{10, 3}}, ops.ErrInput, ""},
		{"huge dilation", "max_pool", x, ops.Attrs{"kernel_shape": []int{3, 3}, "dilations": []int{1 << 62, 1}}, ops.ErrAttr, "dilations"},
		{"rank 2", "max_pool", mmTy(tensor.Float32, 3, 9), ops.Attrs{"kernel_shape": []int{3}}, ops.ErrInput, ""},
		{"int32 avg", "avg_pool", mmTy(tensor.Int32, 1, 1, 4), ops.Attrs{"kernel_shape": []int{2}}, ops.ErrInput, ""},
		{"int32 max", "max_pool", mmTy(tensor.Int32, 1, 1, 4), ops.Attrs{"kernel_shape": []int{2}}, ops.ErrInput, ""},
		{"global rank 2", "global_avg_pool", mmTy(tensor.Float32, 2, 3), nil, ops.ErrInput, ""},
		{"global int", "global_max_pool", mmTy(tensor.Int64, 1, 1, 3), nil, ops.ErrInput, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ops.Infer(tc.op, []ops.Type{tc.x}, tc.attrs)
			require.ErrorIs(t, err, tc.kind)
			var e *ops.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.attr, e.Attr, "%v", err)
			if tc.kind == ops.ErrInput {
				require.Equal(t, 0, e.Input, "%v", err)
			}
		})
	}
}
