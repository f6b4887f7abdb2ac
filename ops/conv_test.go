package ops_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func TestConvInferShapes(t *testing.T) {
	f32 := tensor.Float32
	x := mmTy(f32, 1, 3, 8, 8)
	w3 := mmTy(f32, 4, 3, 3, 3)
	for _, tc := range []struct {
		name  string
		op    string
		in    []ops.Type
		attrs ops.Attrs
		want  ops.Type
	}{
		{"default", "conv", []ops.Type{x, w3}, nil, mmTy(f32, 1, 4, 6, 6)},
		{"bias", "conv", []ops.Type{x, w3, mmTy(f32, 4)}, nil, mmTy(f32, 1, 4, 6, 6)},
		{"absent bias", "conv", []ops.Type{x, w3, {}}, nil, mmTy(f32, 1, 4, 6, 6)},
		{"pads", "conv", []ops.Type{x, w3}, ops.Attrs{"pads": []int{1, 1, 1, 1}}, mmTy(f32, 1, 4, 8, 8)},
		// H: floor((8+0+2−3)/2)+1 = 4; W: floor((8+1+1−3)/2)+1 = 4
		{"stride2 asymmetric", "conv", []ops.Type{x, w3}, ops.Attrs{"strides": []int{2, 2}, "pads": []int{0, 1, 2, 1}},
			mmTy(f32, 1, 4, 4, 4)},
		// floor((8−3)/2)+1 = 3
		{"notset stride2", "conv", []ops.Type{x, w3}, ops.Attrs{"strides": []int{2, 2}, "auto_pad": "NOTSET"},
			mmTy(f32, 1, 4, 3, 3)},
		{"empty auto_pad is notset", "conv", []ops.Type{x, w3}, ops.Attrs{"auto_pad": ""}, mmTy(f32, 1, 4, 6, 6)},
		{"valid stride2", "conv", []ops.Type{x, w3}, ops.Attrs{"strides": []int{2, 2}, "auto_pad": "VALID"},
			mmTy(f32, 1, 4, 3, 3)},
		// ceil(8/3) = 3 whatever the kernel
		{"same_upper stride3", "conv", []ops.Type{x, w3}, ops.Attrs{"strides": []int{3, 3}, "auto_pad": "SAME_UPPER"},
			mmTy(f32, 1, 4, 3, 3)},
		{"same_lower", "conv", []ops.Type{x, w3}, ops.Attrs{"auto_pad": "SAME_LOWER"}, mmTy(f32, 1, 4, 8, 8)},
		// dilated 3x3 spans 5: 8−5+1 = 4
		{"dilation2", "conv", []ops.Type{x, w3}, ops.Attrs{"dilations": []int{2, 2}}, mmTy(f32, 1, 4, 4, 4)},
		{"group", "conv", []ops.Type{mmTy(f32, 2, 4, 5, 5), mmTy(f32, 6, 2, 3, 3)}, ops.Attrs{"group": 2},
			mmTy(f32, 2, 6, 3, 3)},
		{"1d", "conv", []ops.Type{mmTy(f32, 2, 3, 16), mmTy(f32, 5, 3, 5)}, ops.Attrs{"strides": []int{2}},
			mmTy(f32, 2, 5, 6)},
		{"3d", "conv", []ops.Type{mmTy(f32, 1, 2, 5, 6, 7), mmTy(f32, 3, 2, 3, 3, 3)}, nil, mmTy(f32, 1, 3, 3, 4, 5)},
		{"float16", "conv", []ops.Type{mmTy(tensor.Float16, 1, 1, 3, 3), mmTy(tensor.Float16, 1, 1, 2, 2)}, nil,
			mmTy(tensor.Float16, 1, 1, 2, 2)},

		// conv_transpose: 2·(5−1) + 0 + 3 = 11
		{"t default stride2", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)},
			ops.Attrs{"strides": []int{2, 2}}, mmTy(f32, 1, 3, 11, 11)},
		{"t pads output_padding", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)},
			ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}, "output_padding": []int{1, 0}},
			mmTy(f32, 1, 3, 10, 9)},
		{"t same_upper", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)},
			ops.Attrs{"strides": []int{2, 2}, "auto_pad": "SAME_UPPER"}, mmTy(f32, 1, 3, 10, 10)},
		{"t same_lower", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)},
			ops.Attrs{"strides": []int{3, 2}, "auto_pad": "SAME_LOWER"}, mmTy(f32, 1, 3, 15, 10)},
		{"t valid", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)},
			ops.Attrs{"auto_pad": "VALID"}, mmTy(f32, 1, 3, 7, 7)},
		{"t output_shape", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)},
			ops.Attrs{"strides": []int{2, 2}, "output_shape": []int{10, 12}}, mmTy(f32, 1, 3, 10, 12)},
		{"t group", "conv_transpose", []ops.Type{mmTy(f32, 2, 4, 3, 3), mmTy(f32, 4, 2, 2, 2), mmTy(f32, 4)},
			ops.Attrs{"group": 2}, mmTy(f32, 2, 4, 4, 4)},
		{"t 1d", "conv_transpose", []ops.Type{mmTy(f32, 1, 1, 3), mmTy(f32, 1, 1, 2)}, nil, mmTy(f32, 1, 1, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.Infer(tc.op, tc.in, tc.attrs)
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.True(t, got[0].Equal(tc.want), "got %v, want %v", got[0], tc.want)
		})
	}
}

func TestConvInferErrors(t *testing.T) {
	f32 := tensor.Float32
	x := mmTy(f32, 1, 4, 8, 8)
	w := mmTy(f32, 6, 4, 3, 3)
	xw := []ops.Type{x, w}
	tx, tw := mmTy(f32, 1, 4, 5, 5), mmTy(f32, 4, 3, 3, 3)
	txw := []ops.Type{tx, tw}
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
		{"int conv", "conv", []ops.Type{mmTy(tensor.Int32, 1, 4, 8, 8), mmTy(tensor.Int32, 6, 4, 3, 3)}, nil,
			ops.ErrInput, 0, "", "float"},
		{"dtype mismatch", "conv", []ops.Type{x, mmTy(tensor.Float64, 6, 4, 3, 3)}, nil, ops.ErrInput, 1, "", "differs"},
		{"bias dtype mismatch", "conv", []ops.Type{x, w, mmTy(tensor.Float16, 6)}, nil, ops.ErrInput, 2, "", "differs"},
		{"rank 2", "conv", []ops.Type{mmTy(f32, 1, 4), mmTy(f32, 6, 4)}, nil, ops.ErrInput, 0, "", "rank 2"},
		{"w rank", "conv", []ops.Type{x, mmTy(f32, 6, 4, 3)}, nil, ops.ErrInput, 1, "", "rank 3"},
		{"w channels", "conv", []ops.Type{x, mmTy(f32, 6, 3, 3, 3)}, nil, ops.ErrInput, 1, "", "C/group"},
		{"w channels with group", "conv", xw, ops.Attrs{"group": 2}, ops.ErrInput, 1, "", "4/2 = 2"},
		{"group does not divide C", "conv", []ops.Type{x, mmTy(f32, 6, 1, 3, 3)}, ops.Attrs{"group": 3},
			ops.ErrAttr, -1, "group", "4 input channels"},
		{"group does not divide M", "conv", []ops.Type{x, mmTy(f32, 5, 2, 3, 3)}, ops.Attrs{"group": 2},
			ops.ErrAttr, -1, "group", "5 output channels"},
		{"group 0", "conv", xw, ops.Attrs{"group": 0}, ops.ErrAttr, -1, "group", ">= 1"},
		{"stride 0", "conv", xw, ops.Attrs{"strides": []int{1, 0}}, ops.ErrAttr, -1, "strides", ">= 1"},
		{"negative stride", "conv", xw, ops.Attrs{"strides": []int{-1, 1}}, ops.ErrAttr, -1, "strides", ">= 1"},
		{"huge stride", "conv", xw, ops.Attrs{"strides": []int{1 << 50, 1}}, ops.ErrAttr, -1, "strides", "too large"},
		{"negative pads", "conv", xw, ops.Attrs{"pads": []int{0, -1, 0, 0}}, ops.ErrAttr, -1, "pads", ">= 0"},
		{"strides length", "conv", xw, ops.Attrs{"strides": []int{1}}, ops.ErrAttr, -1, "strides", "one per spatial dim"},
		{"pads length", "conv", xw, ops.Attrs{"pads": []int{1, 1}}, ops.ErrAttr, -1, "pads", "want 2·2"},
		{"dilations length", "conv", xw, ops.Attrs{"dilations": []int{1, 1, 1}}, ops.ErrAttr, -1, "dilations",
			"3 values"},
		{"dilation 0", "conv", xw, ops.Attrs{"dilations": []int{0, 1}}, ops.ErrAttr, -1, "dilations", ">= 1"},
		{"huge dilation", "conv", xw, ops.Attrs{"dilations": []int{1 << 40, 1}}, ops.ErrInput, 0, "",
			"kernel extent 2199023255553"},
		{"dilation beyond any input", "conv", []ops.Type{x, mmTy(f32, 6, 4, 5, 3)}, ops.Attrs{"dilations": []int{1 << 40, 1}},
			ops.ErrInput, 0, "", "spans more than any input"},
		{"dilation too large", "conv", xw, ops.Attrs{"dilations": []int{1<<40 + 1, 1}}, ops.ErrAttr, -1, "dilations",
			"too large"},
		{"kernel larger than padded input", "conv", []ops.Type{mmTy(f32, 1, 4, 2, 8), w},
			ops.Attrs{"pads": []int{0, 0, 0, 0}}, ops.ErrInput, 0, "", "smaller than the kernel"},
		{"dilated kernel larger than input", "conv", xw, ops.Attrs{"dilations": []int{4, 1}}, ops.ErrInput, 0, "",
			"kernel extent 9"},
		{"empty spatial input", "conv", []ops.Type{mmTy(f32, 1, 4, 0, 8), w}, ops.Attrs{"auto_pad": "SAME_UPPER"},
			ops.ErrInput, 0, "", "empty output"},
		{"zero kernel dim", "conv", []ops.Type{x, mmTy(f32, 6, 4, 0, 3)}, nil, ops.ErrInput, 1, "", "kernel dim 0"},
		{"auto_pad unknown", "conv", xw, ops.Attrs{"auto_pad": "SAME"}, ops.ErrAttr, -1, "auto_pad", `"SAME"`},
		{"pads with auto_pad", "conv", xw, ops.Attrs{"auto_pad": "VALID", "pads": []int{0, 0, 0, 0}},
			ops.ErrAttr, -1, "pads", "auto_pad VALID"},
		{"kernel_shape mismatch", "conv", xw, ops.Attrs{"kernel_shape": []int{3, 2}}, ops.ErrAttr, -1, "kernel_shape",
			"[3 2]"},
		{"kernel_shape length", "conv", xw, ops.Attrs{"kernel_shape": []int{3}}, ops.ErrAttr, -1, "kernel_shape", "[3]"},
		{"bias shape", "conv", []ops.Type{x, w, mmTy(f32, 4)}, nil, ops.ErrInput, 2, "", "want [6]"},
		{"unknown attribute", "conv", xw, ops.Attrs{"output_padding": []int{0, 0}}, ops.ErrAttr, -1, "output_padding",
			"unknown"},

		{"t w channels", "conv_transpose", []ops.Type{tx, mmTy(f32, 3, 3, 3, 3)}, nil, ops.ErrInput, 1, "", "C = 4"},
		{"t group does not divide C", "conv_transpose", txw, ops.Attrs{"group": 3}, ops.ErrAttr, -1, "group",
			"4 input channels"},
		{"t output_padding >= stride", "conv_transpose", txw, ops.Attrs{"strides": []int{2, 2},
			"output_padding": []int{2, 0}}, ops.ErrAttr, -1, "output_padding", "< stride 2"},
		{"t output_padding without stride", "conv_transpose", txw, ops.Attrs{"output_padding": []int{0, 1}},
			ops.ErrAttr, -1, "output_padding", "< stride 1"},
		{"t output_padding negative", "conv_transpose", txw, ops.Attrs{"output_padding": []int{-1, 0}},
			ops.ErrAttr, -1, "output_padding", ">= 0"},
		{"t output_padding length", "conv_transpose", txw, ops.Attrs{"output_padding": []int{0}},
			ops.ErrAttr, -1, "output_padding", "one per spatial dim"},
		{"t output_shape length", "conv_transpose", txw, ops.Attrs{"output_shape": []int{1, 4, 7, 7}},
			ops.ErrAttr, -1, "output_shape", "one per spatial dim"},
		{"t output_shape zero", "conv_transpose", txw, ops.Attrs{"output_shape": []int{0, 7}},
			ops.ErrAttr, -1, "output_shape", ">= 1"},
		{"t pads remove everything", "conv_transpose", txw, ops.Attrs{"pads": []int{4, 0, 3, 0}},
			ops.ErrAttr, -1, "pads", "remove all 7"},
		{"t stride 0", "conv_transpose", txw, ops.Attrs{"strides": []int{0, 1}}, ops.ErrAttr, -1, "strides", ">= 1"},
		{"t auto_pad unknown", "conv_transpose", txw, ops.Attrs{"auto_pad": "same_upper"}, ops.ErrAttr, -1,
			"auto_pad", "same_upper"},
		{"t kernel_shape mismatch", "conv_transpose", txw, ops.Attrs{"kernel_shape": []int{2, 2}}, ops.ErrAttr, -1,
			"kernel_shape", "[2 2]"},
		{"t int", "conv_transpose", []ops.Type{mmTy(tensor.Int64, 1, 4, 5, 5), mmTy(tensor.Int64, 4, 3, 3, 3)}, nil,
			ops.ErrInput, 0, "", "float"},
		{"t bias shape", "conv_transpose", []ops.Type{tx, tw, mmTy(f32, 4)}, nil, ops.ErrInput, 2, "", "want [3]"},
		{"t empty spatial input", "conv_transpose", []ops.Type{mmTy(f32, 1, 4, 0, 5), tw}, nil, ops.ErrInput, 0, "",
			"spatial dim 0 is 0"},
		{"t huge stride", "conv_transpose", txw, ops.Attrs{"strides": []int{1 << 39, 1}}, ops.ErrInput, 0, "",
			"too large"},
		{"t huge output", "conv_transpose", txw, ops.Attrs{"strides": []int{1 << 20, 1 << 20}}, ops.ErrInput, 0, "",
			"elements"},
		{"t huge output_shape", "conv_transpose", txw, ops.Attrs{"output_shape": []int{1 << 30, 1 << 30}},
			ops.ErrInput, 0, "", "elements"},
		{"t huge same target", "conv_transpose", txw, ops.Attrs{"strides": []int{1 << 39, 1},
			"auto_pad": "SAME_UPPER"}, ops.ErrInput, 0, "", "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ops.Infer(tc.op, tc.in, tc.attrs)
			require.Error(t, err)
			require.True(t, errors.Is(err, tc.kind), "%v", err)
			var e *ops.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, tc.op, e.Op)
			require.Equal(t, tc.input, e.Input, "%v", err)
			require.Equal(t, tc.attr, e.Attr, "%v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

// TestConvResolvePads checks the pads each auto_pad mode resolves to, which
// backends apply as given.
func TestConvResolvePads(t *testing.T) {
	x, w := tensor.Shape{1, 1, 4}, tensor.Shape{1, 1, 3}
	for _, tc := range []struct {
		name  string
		attrs ops.Attrs
		pads  []int
		out   []int
	}{
		{"notset", ops.Attrs{"strides": []int{2}, "pads": []int{2, 1}}, []int{2, 1}, []int{3}},
		{"valid", ops.Attrs{"strides": []int{2}, "auto_pad": "VALID"}, []int{0, 0}, []int{1}},
		// out = ceil(4/2) = 2, total = (2−1)·2 + 3 − 4 = 1
		{"same_upper", ops.Attrs{"strides": []int{2}, "auto_pad": "SAME_UPPER"}, []int{0, 1}, []int{2}},
		{"same_lower", ops.Attrs{"strides": []int{2}, "auto_pad": "SAME_LOWER"}, []int{1, 0}, []int{2}},
		// stride 1: total = 3 − 1 = 2, split evenly
		{"same_even", ops.Attrs{"auto_pad": "SAME_LOWER"}, []int{1, 1}, []int{4}},
		// stride 4: out = 1, total = max(0, 3 − 4) = 0
		{"same_no_pad", ops.Attrs{"strides": []int{4}, "auto_pad": "SAME_UPPER"}, []int{0, 0}, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ops.ResolveConv(x, w, tc.attrs)
			require.NoError(t, err)
			require.Equal(t, tc.pads, g.Pads)
			require.Equal(t, tc.out, g.Out)
			require.Equal(t, 1, g.Group)
		})
	}
}

// TestConvTransposeResolvePads follows the ONNX ConvTranspose rules for
// output_shape and auto_pad on x of length 3, kernel 3, stride 2 (full
// output 2·2 + 3 = 7).
func TestConvTransposeResolvePads(t *testing.T) {
	x, w := tensor.Shape{1, 1, 3}, tensor.Shape{1, 1, 3}
	for _, tc := range []struct {
		name  string
		attrs ops.Attrs
		pads  []int
		out   int
	}{
		{"explicit", ops.Attrs{"pads": []int{1, 2}}, []int{1, 2}, 4},
		{"valid", ops.Attrs{"auto_pad": "VALID"}, []int{0, 0}, 7},
		// target 3·2 = 6, total 1
		{"same_upper", ops.Attrs{"auto_pad": "SAME_UPPER"}, []int{0, 1}, 6},
		{"same_lower", ops.Attrs{"auto_pad": "SAME_LOWER"}, []int{1, 0}, 6},
		// output_padding is part of the total, so SAME still targets 6: total 2
		{"same_upper output_padding", ops.Attrs{"auto_pad": "SAME_UPPER", "output_padding": []int{1}}, []int{1, 1}, 6},
		{"output_shape notset", ops.Attrs{"output_shape": []int{4}}, []int{2, 1}, 4},
		{"output_shape same_upper", ops.Attrs{"output_shape": []int{4}, "auto_pad": "SAME_UPPER"}, []int{1, 2}, 4},
		{"output_shape same_lower", ops.Attrs{"output_shape": []int{4}, "auto_pad": "SAME_LOWER"}, []int{2, 1}, 4},
		// pads are ignored when output_shape is set
		{"output_shape overrides pads", ops.Attrs{"output_shape": []int{7}, "pads": []int{3, 3}}, []int{0, 0}, 7},
		// total −1: floor(−1/2) = −1, so the begin keeps 0 and the end grows by 1
		{"output_shape larger", ops.Attrs{"output_shape": []int{8}}, []int{0, -1}, 8},
		// total −3: SAME_UPPER begin floor(−3/2) = −2, end −1
		{"output_shape much larger upper", ops.Attrs{"output_shape": []int{10}, "auto_pad": "SAME_UPPER"},
			[]int{-2, -1}, 10},
		{"output_shape much larger notset", ops.Attrs{"output_shape": []int{10}}, []int{-1, -2}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs := ops.Attrs{"strides": []int{2}}
			for k, v := range tc.attrs {
				attrs[k] = v
			}
			g, err := ops.ResolveConvTranspose(x, w, attrs)
			require.NoError(t, err)
			require.Equal(t, tc.pads, g.Pads)
			require.Equal(t, []int{tc.out}, g.Out)
		})
	}
}
