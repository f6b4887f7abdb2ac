package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// convShape is one conv or pooling graph whose cpu answer must match ref's.
type convShape struct {
	name       string
	x          []int // N, C, H, W
	op         string
	attrs      ops.Attrs
	w          []int  // conv: M, C/group, kh, kw
	bias       bool   // conv: with a bias
	residual   bool   // conv: + a residual input of the output's shape
	activation string // after the conv (and residual): "", relu, sigmoid
}

// TestConvShapes checks the convolution and pooling kernels on shapes the
// conformance kit's tiny cases do not reach (RGB stems, partial panels,
// 7-wide maps whose tiles cross rows, groups, dilation, strided 1×1,
// asymmetric pads, fused residual and activations, many channels for the
// vector pooling) against ref, on every kernel path.
func TestConvShapes(t *testing.T) {
	cases := []convShape{
		{name: "stem3x3_3to16", x: []int{2, 3, 17, 19}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}}, w: []int{16, 3, 3, 3}, bias: true, activation: "relu"},
		{name: "stem7x7s2_3to40", x: []int{1, 3, 23, 21}, op: "conv", attrs: ops.Attrs{"pads": []int{3, 3, 3, 3}, "strides": []int{2, 2}}, w: []int{40, 3, 7, 7}, bias: true},
		{name: "3x3_16to32_7x7_residual", x: []int{3, 16, 7, 7}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}}, w: []int{32, 16, 3, 3}, bias: true, residual: true, activation: "relu"},
		{name: "3x3_64to48_14x14", x: []int{1, 64, 14, 14}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}}, w: []int{48, 64, 3, 3}},
		{name: "grouped_s2", x: []int{2, 8, 9, 10}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}, "strides": []int{2, 2}, "group": 2}, w: []int{12, 4, 3, 3}, bias: true},
		{name: "dilated", x: []int{1, 5, 11, 9}, op: "conv", attrs: ops.Attrs{"pads": []int{2, 2, 2, 2}, "dilations": []int{2, 2}}, w: []int{7, 5, 3, 3}, bias: true},
		{name: "1x1s2", x: []int{2, 24, 9, 9}, op: "conv", attrs: ops.Attrs{"strides": []int{2, 2}}, w: []int{20, 24, 1, 1}},
		{name: "2x3_asymmetric", x: []int{1, 6, 8, 11}, op: "conv", attrs: ops.Attrs{"pads": []int{0, 1, 2, 1}, "strides": []int{1, 2}}, w: []int{33, 6, 2, 3}, bias: true},
		{name: "3x3_sigmoid", x: []int{1, 4, 6, 6}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}}, w: []int{18, 4, 3, 3}, bias: true, activation: "sigmoid"},
		{name: "depthwise_multiplier2_7x7s2", x: []int{2, 6, 13, 12}, op: "conv", attrs: ops.Attrs{"pads": []int{3, 3, 3, 3}, "strides": []int{2, 2}, "group": 6}, w: []int{12, 1, 7, 7}, bias: true},
		{name: "depthwise_multiplier3", x: []int{1, 5, 6, 6}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}, "group": 5}, w: []int{15, 1, 3, 3}, bias: true, activation: "relu"},
		{name: "depthwise_wide_7x7", x: []int{1, 200, 9, 9}, op: "conv", attrs: ops.Attrs{"pads": []int{3, 3, 3, 3}, "group": 200}, w: []int{200, 1, 7, 7}, bias: true},
		{name: "depthwise_3x3_residual_sigmoid", x: []int{2, 40, 12, 13}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}, "group": 40}, w: []int{40, 1, 3, 3}, bias: true, residual: true, activation: "sigmoid"},
		{name: "depthwise_5x5_asymmetric", x: []int{1, 24, 9, 11}, op: "conv", attrs: ops.Attrs{"pads": []int{2, 1, 2, 3}, "group": 24}, w: []int{24, 1, 5, 5}, bias: true, activation: "relu"},
		{name: "depthwise_7x7_narrower_than_kernel", x: []int{1, 33, 4, 5}, op: "conv", attrs: ops.Attrs{"pads": []int{3, 3, 3, 3}, "group": 33}, w: []int{33, 1, 7, 7}, residual: true, activation: "relu"},
		{name: "depthwise_3x3_no_pad", x: []int{1, 16, 6, 9}, op: "conv", attrs: ops.Attrs{"group": 16}, w: []int{16, 1, 3, 3}, bias: true},
		{name: "depthwise_3x3s2_odd", x: []int{2, 20, 11, 13}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}, "strides": []int{2, 2}, "group": 20}, w: []int{20, 1, 3, 3}, bias: true, activation: "relu"},
		{name: "depthwise_5x5s2_asymmetric", x: []int{1, 35, 10, 12}, op: "conv", attrs: ops.Attrs{"pads": []int{2, 2, 1, 1}, "strides": []int{2, 2}, "group": 35}, w: []int{35, 1, 5, 5}, bias: true},
		{name: "depthwise_3x3s1x2", x: []int{1, 16, 8, 9}, op: "conv", attrs: ops.Attrs{"pads": []int{0, 1, 0, 1}, "strides": []int{1, 2}, "group": 16}, w: []int{16, 1, 3, 3}, bias: true},
		{name: "depthwise_3x3_pads_past_kernel", x: []int{1, 8, 5, 6}, op: "conv", attrs: ops.Attrs{"pads": []int{3, 1, 4, 1}, "group": 8}, w: []int{8, 1, 3, 3}, bias: true},
		{name: "stem3x3s2_3to48_gelu", x: []int{1, 3, 15, 14}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}, "strides": []int{2, 2}}, w: []int{48, 3, 3, 3}, bias: true, activation: "gelu"},
		{name: "3x3_8to96_sigmoid_panel_split", x: []int{1, 8, 4, 4}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}}, w: []int{96, 8, 3, 3}, bias: true, activation: "sigmoid"},
		{name: "grouped_gelu_residual", x: []int{1, 12, 6, 6}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}, "group": 3}, w: []int{24, 4, 3, 3}, bias: true, residual: true, activation: "gelu"},
		{name: "empty_batch", x: []int{0, 3, 8, 8}, op: "conv", attrs: ops.Attrs{"pads": []int{1, 1, 1, 1}}, w: []int{16, 3, 3, 3}, bias: true},
		{name: "empty_batch_1x1", x: []int{0, 8, 4, 4}, op: "conv", w: []int{24, 8, 1, 1}},
		{name: "global_avg_8x8", x: []int{3, 37, 8, 8}, op: "global_avg_pool"},
		{name: "global_avg_wide_map", x: []int{1, 20, 40, 30}, op: "global_avg_pool"}, // past maxVecGlobalAvgHW: float64 sums
		{name: "max3x3s2", x: []int{2, 37, 9, 8}, op: "max_pool", attrs: ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}},
		{name: "max2x2s2", x: []int{8, 16, 8, 8}, op: "max_pool", attrs: ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}}},
		{name: "avg3x3s2", x: []int{1, 20, 7, 7}, op: "avg_pool", attrs: ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}},
		{name: "avg3x3s2_include_pad", x: []int{1, 70, 7, 7}, op: "avg_pool", attrs: ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}, "count_include_pad": 1}},
		{name: "avg2x2_ceil", x: []int{2, 9, 5, 5}, op: "avg_pool", attrs: ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}, "ceil_mode": 1}},
	}
	paths := kernelPaths(t)
	refRT, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer refRT.Close()
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			art, ins := c.build(t, uint64(ci))
			requireRefOnEveryPath(t, refRT, paths, c.name, art, ins...)
		})
	}
}

func (c convShape) build(t *testing.T, seed uint64) (*runtime.Artifact, []*tensor.Tensor) {
	t.Helper()
	rnd := func(seed uint64, scale float64, shape ...int) *tensor.Tensor {
		x, err := tensor.Rand(tensor.Float32, seed, -scale, scale, shape...)
		require.NoError(t, err)
		return x
	}
	b := runtime.NewBuilder("conv-" + c.name)
	dims := make([]runtime.Dim, 4)
	for i, d := range c.x {
		dims[i] = runtime.Static(d)
	}
	x := b.Input("x", tensor.Float32, dims...)
	ins := []*tensor.Tensor{rnd(seed*10+1, 1, c.x...)}
	var y runtime.Value
	if c.op != "conv" {
		y = b.Op(c.op, c.attrs, x)
	} else {
		// Weights scaled by 1/√K keep outputs O(1), so cpu.Tolerance's
		// absolute part stays meaningful for K in the hundreds.
		K := c.w[1] * c.w[2] * c.w[3]
		args := []runtime.Value{x, b.Weight("w", rnd(seed*10+2, 1/math.Sqrt(float64(K)), c.w...))}
		if c.bias {
			args = append(args, b.Weight("b", rnd(seed*10+3, 0.5, c.w[0])))
		}
		y = b.Op("conv", c.attrs, args...)
		if c.residual {
			g, err := ops.ResolveConv(tensor.Shape(c.x), tensor.Shape(c.w), c.attrs)
			require.NoError(t, err)
			rshape := []int{c.x[0], c.w[0], g.Out[0], g.Out[1]}
			r := b.Input("r", tensor.Float32, runtime.Static(rshape[0]), runtime.Static(rshape[1]), runtime.Static(rshape[2]), runtime.Static(rshape[3]))
			ins = append(ins, rnd(seed*10+4, 1, rshape...))
			y = b.Op("add", nil, y, r)
		}
		if c.activation != "" {
			y = b.Op(c.activation, nil, y)
		}
	}
	b.Output("y", y)
	art, err := b.Build()
	require.NoError(t, err, fmt.Sprintf("%+v", c))
	return art, ins
}
