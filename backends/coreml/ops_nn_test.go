package coreml

import (
	"testing"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/stretchr/testify/require"
)

// requireColumnMajor checks a BatchedMatMul weight matrix against the
// artifact's [rows, cols] row-major matrix: element (r, c) sits at c·rows + r.
func requireColumnMajor(t *testing.T, w []float32, stored []float32, rows, cols int) {
	t.Helper()
	require.Len(t, stored, rows*cols)
	for r := range rows {
		for c := range cols {
			require.Equal(t, w[r*cols+c], stored[c*rows+r], "element (%d, %d)", r, c)
		}
	}
}

// requireBorder checks a ValidPadding's BorderAmounts: [top, bottom, left, right].
func requireBorder(t *testing.T, valid pb, want []int) {
	t.Helper()
	require.Equal(t, want, border(t, valid.msg(1)))
}

func matmulCases() []opCase {
	return []opCase{
		{
			name: "matmul_weights",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("matmul", nil, in(b, "x", 2, 4), weight(b, "w", 1, 4, 3)))
			},
			kinds: []string{"batchedMatmul"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				l := m.layers[0]
				require.Equal(t, []string{"x"}, l.inputs, "one input: the weights are a parameter")
				require.Equal(t, uint64(4), l.params.uint(5), "weightMatrixFirstDimension")
				require.Equal(t, uint64(3), l.params.uint(6), "weightMatrixSecondDimension")
				require.False(t, l.params.bool(7), "hasBias")
				requireColumnMajor(t, initValues(t, a, "w"), l.params.msg(8).floats(pbWeightFloat), 4, 3)
				require.Equal(t, []int{2, 3}, m.outputs["y"])
			},
		},
		{
			name: "matmul_bias_fused",
			build: func(b *runtime.Builder) {
				mm := b.Op("matmul", nil, in(b, "x", 2, 5, 4), weight(b, "w", 1, 4, 3))
				b.Output("y", b.Op("add", nil, mm, weight(b, "bias", 2, 3)))
			},
			kinds: []string{"batchedMatmul"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				l := m.layers[0]
				require.Equal(t, []string{"y"}, l.outputs, "the add's output")
				require.True(t, l.params.bool(7), "hasBias")
				requireBits(t, initValues(t, a, "bias"), l.params.msg(9).floats(pbWeightFloat))
				requireColumnMajor(t, initValues(t, a, "w"), l.params.msg(8).floats(pbWeightFloat), 4, 3)
				require.Equal(t, []int{2, 5, 3}, m.outputs["y"])
			},
		},
		{
			name: "matmul_bias_first_operand_rank2",
			build: func(b *runtime.Builder) {
				mm := b.Op("matmul", nil, in(b, "x", 2, 4), weight(b, "w", 1, 4, 3))
				b.Output("y", b.Op("add", nil, weight(b, "bias", 2, 1, 3), mm))
			},
			kinds: []string{"batchedMatmul"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				requireBits(t, initValues(t, a, "bias"), m.layers[0].params.msg(9).floats(pbWeightFloat))
			},
		},
		{
			name: "matmul_bias_not_fused_when_product_is_shared",
			build: func(b *runtime.Builder) {
				mm := b.Op("matmul", nil, in(b, "x", 2, 4), weight(b, "w", 1, 4, 3))
				b.Output("y", b.Op("add", nil, mm, weight(b, "bias", 2, 3)))
				b.Output("z", b.Op("relu", nil, mm))
			},
			kinds: []string{"batchedMatmul", "loadConstantND", "addBroadcastable", "activation"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.False(t, m.layers[0].params.bool(7))
			},
		},
		{
			name: "matmul_bias_not_fused_when_it_broadcasts_rows",
			build: func(b *runtime.Builder) {
				mm := b.Op("matmul", nil, in(b, "x", 2, 4), weight(b, "w", 1, 4, 3))
				b.Output("y", b.Op("add", nil, mm, weight(b, "bias", 2, 2, 3)))
			},
			kinds: []string{"batchedMatmul", "loadConstantND", "addBroadcastable"},
		},
		{
			name:  "matmul_two_inputs_batched",
			build: func(b *runtime.Builder) { b.Output("z", b.Op("matmul", nil, in(b, "x", 2, 2, 3), in(b, "y", 3, 4))) },
			kinds: []string{"batchedMatmul"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				l := m.layers[0]
				require.Equal(t, []string{"x", "y"}, l.inputs)
				require.False(t, l.params.has(8), "no weight parameter")
				require.Equal(t, []int{2, 2, 4}, m.outputs["z"])
			},
		},
		{
			name:  "matmul_vector",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("matmul", nil, in(b, "x", 4), weight(b, "w", 1, 4, 3))) },
			kinds: []string{"batchedMatmul"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) { require.Equal(t, []int{3}, m.outputs["y"]) },
		},
		{
			// Core ML's two-input BatchedMatMul keeps a 1-D operand's promoted
			// dim (output [1, 3] here); a ReshapeStatic restores the catalog's [3].
			name:  "matmul_vector_times_input_matrix",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("matmul", nil, in(b, "x", 4), in(b, "w", 4, 3))) },
			kinds: []string{"batchedMatmul", "reshapeStatic"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []int{3}, m.layers[1].params.ints(1), "targetShape")
				require.Equal(t, []int{3}, m.outputs["y"])
			},
		},
		{
			name:  "matmul_input_matrix_times_vector",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("matmul", nil, in(b, "x", 2, 4), in(b, "v", 4))) },
			kinds: []string{"batchedMatmul", "reshapeStatic"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []int{2}, m.outputs["y"])
			},
		},
		{
			name: "matmul_constant_left",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("matmul", nil, weight(b, "a", 1, 2, 4), in(b, "x", 4, 3)))
			},
			kinds: []string{"loadConstantND", "batchedMatmul"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []string{"a", "x"}, m.layers[1].inputs)
			},
		},
	}
}

func convCases() []opCase {
	return []opCase{
		{
			name: "conv_2d_grouped_strided_dilated_padded",
			build: func(b *runtime.Builder) {
				a := ops.Attrs{"group": 2, "strides": []int{2, 1}, "pads": []int{1, 0, 2, 1}, "dilations": []int{1, 2}}
				b.Output("y", b.Op("conv", a, in(b, "x", 1, 4, 6, 7), weight(b, "w", 1, 6, 2, 3, 3), weight(b, "b", 2, 6)))
			},
			kinds: []string{"convolution"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, uint64(6), p.uint(1), "outputChannels")
				require.Equal(t, uint64(2), p.uint(2), "kernelChannels")
				require.Equal(t, uint64(2), p.uint(10), "nGroups")
				require.Equal(t, []int{3, 3}, p.ints(20), "kernelSize")
				require.Equal(t, []int{2, 1}, p.ints(30), "stride")
				require.Equal(t, []int{1, 2}, p.ints(40), "dilationFactor")
				// pads [1, 0, 2, 1] are H begin, W begin, H end, W end
				requireBorder(t, p.msg(50), []int{1, 2, 0, 1})
				require.False(t, p.bool(60), "isDeconvolution")
				require.True(t, p.bool(70), "hasBias")
				requireBits(t, initValues(t, a, "w"), p.msg(90).floats(pbWeightFloat))
				requireBits(t, initValues(t, a, "b"), p.msg(91).floats(pbWeightFloat))
				// H: (6+1+2−3)/2+1 = 4; W: (7+0+1−(3−1)·2−1)/1+1 = 4
				require.Equal(t, []int{1, 6, 4, 4}, m.outputs["y"])
			},
		},
		{
			name: "conv_depthwise_same_upper",
			build: func(b *runtime.Builder) {
				a := ops.Attrs{"group": 3, "strides": []int{2, 2}, "auto_pad": "SAME_UPPER"}
				b.Output("y", b.Op("conv", a, in(b, "x", 1, 3, 5, 5), weight(b, "w", 1, 3, 1, 3, 3)))
			},
			kinds: []string{"convolution"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, uint64(3), p.uint(10))
				require.Equal(t, uint64(1), p.uint(2))
				require.False(t, p.bool(70))
				require.False(t, p.has(91))
				// out = ceil(5/2) = 3; total pad (3−1)·2+3−5 = 2, split 1 and 1
				requireBorder(t, p.msg(50), []int{1, 1, 1, 1})
			},
		},
		{
			name: "conv_same_lower_odd_padding",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("conv", ops.Attrs{"auto_pad": "SAME_LOWER"}, in(b, "x", 1, 2, 6, 6), weight(b, "w", 1, 2, 2, 2, 2)))
			},
			kinds: []string{"convolution"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				// total pad 5+2−6 = 1 per dim, the odd unit at the beginning for SAME_LOWER
				requireBorder(t, m.layers[0].params.msg(50), []int{1, 0, 1, 0})
			},
		},
		{
			name: "conv_1d",
			build: func(b *runtime.Builder) {
				a := ops.Attrs{"pads": []int{1, 2}, "strides": []int{2}}
				b.Output("y", b.Op("conv", a, in(b, "x", 2, 3, 8), weight(b, "w", 1, 4, 3, 3), weight(b, "b", 2, 4)))
			},
			kinds: []string{"expandDims", "convolution", "squeeze"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				require.Equal(t, []int{-2}, m.layers[0].params.ints(1))
				p := m.layers[1].params
				require.Equal(t, []int{1, 3}, p.ints(20), "kernel [1, k]")
				require.Equal(t, []int{1, 2}, p.ints(30), "stride [1, s]")
				requireBorder(t, p.msg(50), []int{0, 0, 1, 2})
				requireBits(t, initValues(t, a, "w"), p.msg(90).floats(pbWeightFloat))
				require.Equal(t, []string{"y"}, m.layers[2].outputs)
				require.Equal(t, []int{2, 4, 5}, m.outputs["y"]) // (8+3−3)/2+1 = 5
			},
		},
		{
			name: "conv_transpose",
			build: func(b *runtime.Builder) {
				a := ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}
				b.Output("y", b.Op("conv_transpose", a, in(b, "x", 1, 2, 3, 3), weight(b, "w", 1, 2, 3, 3, 3), weight(b, "b", 2, 3)))
			},
			kinds: []string{"convolution"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				p := m.layers[0].params
				require.True(t, p.bool(60), "isDeconvolution")
				require.Equal(t, uint64(3), p.uint(1), "outputChannels")
				require.Equal(t, uint64(2), p.uint(2), "kernelChannels = input channels")
				requireBorder(t, p.msg(50), []int{1, 1, 1, 1})
				requireBits(t, initValues(t, a, "w"), p.msg(90).floats(pbWeightFloat))
				require.Equal(t, []int{1, 3, 5, 5}, m.outputs["y"]) // 2·(3−1)+3−2 = 5
			},
		},
		{
			name: "conv_transpose_1d",
			build: func(b *runtime.Builder) {
				a := ops.Attrs{"strides": []int{3}, "pads": []int{2, 0}}
				b.Output("y", b.Op("conv_transpose", a, in(b, "x", 2, 2, 4), weight(b, "w", 1, 2, 3, 4), weight(b, "b", 2, 3)))
			},
			kinds: []string{"expandDims", "convolution", "squeeze"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				p := m.layers[1].params
				require.True(t, p.bool(60))
				require.Equal(t, []int{1, 4}, p.ints(20))
				require.Equal(t, []int{1, 3}, p.ints(30))
				requireBorder(t, p.msg(50), []int{0, 0, 2, 0})
				require.Equal(t, []int{2, 3, 11}, m.outputs["y"]) // 3·(4−1)+4−2 = 11
			},
		},
		{
			name: "conv_transpose_grouped",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("conv_transpose", ops.Attrs{"group": 2}, in(b, "x", 1, 4, 3, 3), weight(b, "w", 1, 4, 1, 2, 2)))
			},
			kinds: []string{"convolution"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, uint64(2), p.uint(1), "outputChannels = (M/group)·group")
				require.Equal(t, uint64(2), p.uint(10))
			},
		},
	}
}

func poolCases() []opCase {
	pool := func(name, op string, a ops.Attrs, shape []int, kinds []string, check func(t *testing.T, m pbModel)) opCase {
		return opCase{name: name, kinds: kinds,
			build: func(b *runtime.Builder) { b.Output("y", b.Op(op, a, in(b, "x", shape...))) },
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) { check(t, m) }}
	}
	return []opCase{
		pool("max_pool", "max_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}},
			[]int{1, 2, 7, 7}, []string{"pooling"}, func(t *testing.T, m pbModel) {
				p := m.layers[0].params
				require.Equal(t, uint64(0), p.uint(1), "MAX")
				require.Equal(t, []int{3, 3}, p.ints(10))
				require.Equal(t, []int{2, 2}, p.ints(20))
				requireBorder(t, p.msg(30), []int{1, 1, 1, 1})
				require.False(t, p.bool(60), "not global")
				require.Equal(t, []int{1, 2, 4, 4}, m.outputs["y"]) // (7+2−3)/2+1 = 4
			}),
		pool("avg_pool_exclude_pad", "avg_pool", ops.Attrs{"kernel_shape": []int{2, 3}, "pads": []int{0, 1, 1, 0}},
			[]int{1, 2, 4, 5}, []string{"pooling"}, func(t *testing.T, m pbModel) {
				p := m.layers[0].params
				require.Equal(t, uint64(1), p.uint(1), "AVERAGE")
				require.True(t, p.bool(50), "avgPoolExcludePadding")
				requireBorder(t, p.msg(30), []int{0, 1, 1, 0})
			}),
		pool("avg_pool_count_pad", "avg_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "pads": []int{1, 1, 1, 1}, "count_include_pad": 1},
			[]int{1, 1, 4, 4}, []string{"pooling"}, func(t *testing.T, m pbModel) {
				require.False(t, m.layers[0].params.bool(50))
			}),
		pool("max_pool_ceil", "max_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "ceil_mode": 1},
			[]int{1, 1, 6, 6}, []string{"pooling"}, func(t *testing.T, m pbModel) {
				// ceil: ceil((6−3)/2)+1 = 3 outputs where floor gives 2; the third window
				// needs (3−1)·2+3−6 = 1 more element at the end of each dim
				requireBorder(t, m.layers[0].params.msg(30), []int{0, 1, 0, 1})
				require.Equal(t, []int{1, 1, 3, 3}, m.outputs["y"])
			}),
		pool("avg_pool_ceil", "avg_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}, "ceil_mode": 1},
			[]int{1, 2, 5, 5}, []string{"pooling"}, func(t *testing.T, m pbModel) {
				requireBorder(t, m.layers[0].params.msg(30), []int{0, 1, 0, 1}) // 3 outputs: (3−1)·2+2−5 = 1
				require.True(t, m.layers[0].params.bool(50))
			}),
		pool("avg_pool_1d", "avg_pool", ops.Attrs{"kernel_shape": []int{3}, "strides": []int{2}, "pads": []int{1, 1}},
			[]int{2, 3, 9}, []string{"expandDims", "pooling", "squeeze"}, func(t *testing.T, m pbModel) {
				p := m.layers[1].params
				require.Equal(t, []int{1, 3}, p.ints(10))
				require.Equal(t, []int{1, 2}, p.ints(20))
				requireBorder(t, p.msg(30), []int{0, 0, 1, 1})
				require.Equal(t, []int{2, 3, 5}, m.outputs["y"]) // (9+2−3)/2+1 = 5
			}),
		pool("global_avg_pool", "global_avg_pool", nil, []int{2, 3, 4, 5}, []string{"pooling"}, func(t *testing.T, m pbModel) {
			require.True(t, m.layers[0].params.bool(60))
			require.Equal(t, uint64(1), m.layers[0].params.uint(1))
			require.Equal(t, []int{2, 3, 1, 1}, m.outputs["y"])
		}),
		pool("global_max_pool", "global_max_pool", nil, []int{2, 3, 4, 5}, []string{"pooling"}, func(t *testing.T, m pbModel) {
			require.True(t, m.layers[0].params.bool(60))
			require.Equal(t, uint64(0), m.layers[0].params.uint(1))
		}),
		pool("global_max_pool_1d", "global_max_pool", nil, []int{2, 3, 6}, []string{"reduceMax"}, func(t *testing.T, m pbModel) {
			require.Equal(t, []int{2}, m.layers[0].params.ints(1))
			require.True(t, m.layers[0].params.bool(2), "keepDims")
		}),
		pool("global_avg_pool_3d", "global_avg_pool", nil, []int{1, 2, 3, 3, 2}, []string{"reduceMean"}, func(t *testing.T, m pbModel) {
			require.Equal(t, []int{2, 3, 4}, m.layers[0].params.ints(1))
			require.Equal(t, []int{1, 2, 1, 1, 1}, m.outputs["y"])
		}),
	}
}

func nnCases() []opCase { return append(append(matmulCases(), convCases()...), poolCases()...) }

func TestMatMul(t *testing.T) { runOpCases(t, matmulCases()) }
func TestConv(t *testing.T)   { runOpCases(t, convCases()) }
func TestPool(t *testing.T)   { runOpCases(t, poolCases()) }
