package coreml

import (
	"testing"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/stretchr/testify/require"
)

// bnParams adds batch_norm parameters with values chosen for hand arithmetic.
func bnParams(b *runtime.Builder) []runtime.Value {
	return []runtime.Value{
		constant(b, "scale", []float32{2, 1, 0.5}, 3),
		constant(b, "bias", []float32{0, 1, -1}, 3),
		constant(b, "mean", []float32{1, 0, 2}, 3),
		constant(b, "var", []float32{3, 0.25, 1}, 3),
	}
}

func normCases() []opCase {
	return []opCase{
		{
			name:  "softmax_axis1",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("softmax", ops.Attrs{"axis": 1}, in(b, "x", 2, 3, 4))) },
			kinds: []string{"softmaxND"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, uint64(1), m.layers[0].params.uint(1))
			},
		},
		{
			name:  "softmax_default_axis",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("softmax", nil, in(b, "x", 2, 3, 4))) },
			kinds: []string{"softmaxND"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, uint64(2), m.layers[0].params.uint(1))
			},
		},
		{
			name: "batch_norm_4d",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("batch_norm", ops.Attrs{"epsilon": 1e-3}, append([]runtime.Value{in(b, "x", 2, 3, 4, 4)}, bnParams(b)...)...))
			},
			kinds: []string{"batchnorm"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, uint64(3), p.uint(1), "channels")
				require.Equal(t, float32(1e-3), p.float(10), "epsilon")
				require.False(t, p.bool(5) || p.bool(6), "no computed mean/variance")
				for f, name := range map[int]string{15: "scale", 16: "bias", 17: "mean", 18: "var"} {
					requireBits(t, initValues(t, a, name), p.msg(protowireN(f)).floats(pbWeightFloat), name)
				}
			},
		},
		{
			name: "batch_norm_2d_folded",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("batch_norm", ops.Attrs{"epsilon": 1.0}, append([]runtime.Value{in(b, "x", 4, 3)}, bnParams(b)...)...))
			},
			kinds: []string{"loadConstantND", "loadConstantND", "multiplyBroadcastable", "addBroadcastable"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				// s = scale/√(var+1): 2/√4 = 1, 1/√1.25 = 0.894427190999916, 0.5/√2 = 0.3535533905932738
				// t = bias − mean·s: 0−1 = −1, 1−0 = 1, −1−2·0.3535533905932738 = −1.7071067811865475
				require.Equal(t, []int{3}, m.layers[0].params.ints(1))
				require.Equal(t, []float32{1, 0.894427190999916, 0.3535533905932738}, m.layers[0].params.msg(2).floats(pbWeightFloat))
				require.Equal(t, []float32{-1, 1, -1.7071067811865475}, m.layers[1].params.msg(2).floats(pbWeightFloat))
				require.Equal(t, []string{"x", m.layers[0].outputs[0]}, m.layers[2].inputs)
				require.Equal(t, []string{m.layers[2].outputs[0], m.layers[1].outputs[0]}, m.layers[3].inputs)
			},
		},
		{
			name: "batch_norm_4d_zero_epsilon_folded",
			lo:   0.1, hi: 2,
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("batch_norm", ops.Attrs{"epsilon": 0.0}, append([]runtime.Value{in(b, "x", 1, 3, 2, 2)}, bnParams(b)...)...))
			},
			kinds: []string{"loadConstantND", "loadConstantND", "multiplyBroadcastable", "addBroadcastable"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []int{3, 1, 1}, m.layers[0].params.ints(1), "[C, 1, 1] broadcasts along axis 1")
			},
		},
		{
			name: "layer_norm_last_axis",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("layer_norm", ops.Attrs{"epsilon": 1e-4}, in(b, "x", 2, 3, 4), weight(b, "g", 1, 4), weight(b, "be", 2, 4)))
			},
			kinds: []string{"layerNormalization"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, []int{4}, p.ints(1), "normalizedShape")
				require.Equal(t, float32(1e-4), p.float(2))
				requireBits(t, initValues(t, a, "g"), p.msg(3).floats(pbWeightFloat))
				requireBits(t, initValues(t, a, "be"), p.msg(4).floats(pbWeightFloat))
			},
		},
		{
			name: "layer_norm_broadcast_scale_no_bias",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("layer_norm", ops.Attrs{"axis": 1}, in(b, "x", 2, 3, 4), constant(b, "g", []float32{1, 2, 3, 4}, 1, 4)))
			},
			kinds: []string{"layerNormalization"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, []int{3, 4}, p.ints(1))
				require.Equal(t, []float32{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, p.msg(3).floats(pbWeightFloat), "[1,4] repeated over 3 rows")
				require.Equal(t, make([]float32, 12), p.msg(4).floats(pbWeightFloat), "absent bias is zeros")
			},
		},
		{
			name: "lrn",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("lrn", ops.Attrs{"size": 3, "alpha": 0.01, "beta": 0.5, "bias": 2.0}, in(b, "x", 1, 5, 3, 3)))
			},
			kinds: []string{"lrn"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, []any{float32(0.01), float32(0.5), uint64(3), float32(2)},
					[]any{p.float(1), p.float(2), p.uint(3), p.float(4)})
			},
		},
	}
}

// shapeCase converts y = op(x) and checks the single layer's parameters.
func shapeCase(name, op string, a ops.Attrs, shape []int, kind string, outShape []int, check func(t *testing.T, p pb)) opCase {
	return opCase{name: name, kinds: []string{kind},
		build: func(b *runtime.Builder) { b.Output("y", b.Op(op, a, in(b, "x", shape...))) },
		check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
			require.Equal(t, outShape, m.outputs["y"])
			check(t, m.layers[0].params)
		}}
}

func shapeCases() []opCase {
	ints := func(num int, want []int) func(t *testing.T, p pb) {
		return func(t *testing.T, p pb) { require.Equal(t, want, p.ints(protowireN(num))) }
	}
	return []opCase{
		shapeCase("reshape", "reshape", ops.Attrs{"shape": []int{0, -1}}, []int{2, 3, 4}, "reshapeStatic", []int{2, 12}, ints(1, []int{2, 12})),
		shapeCase("transpose", "transpose", ops.Attrs{"perm": []int{0, 2, 1}}, []int{2, 3, 4}, "transpose", []int{2, 4, 3}, ints(1, []int{0, 2, 1})),
		shapeCase("transpose_default", "transpose", nil, []int{2, 3, 4}, "transpose", []int{4, 3, 2}, ints(1, []int{2, 1, 0})),
		shapeCase("tile", "tile", ops.Attrs{"repeats": []int{2, 1}}, []int{2, 3}, "tile", []int{4, 3}, ints(1, []int{2, 1})),
		shapeCase("expand", "expand", ops.Attrs{"shape": []int{2, 3, 4}}, []int{3, 1}, "broadcastToStatic", []int{2, 3, 4}, ints(1, []int{2, 3, 4})),
		shapeCase("slice_negative_step_to_start", "slice",
			ops.Attrs{"starts": []int{1, -1}, "ends": []int{3, -100}, "axes": []int{0, 1}, "steps": []int{1, -2}},
			[]int{4, 5}, "sliceStatic", []int{2, 3}, func(t *testing.T, p pb) {
				// axis 1 reads indices 4, 2, 0: begin 4; the end would be −2 (before 0), so it is masked
				require.Equal(t, []int{1, 4}, p.ints(1), "beginIds")
				require.Equal(t, []int{3, 0}, p.ints(3), "endIds")
				require.Equal(t, []bool{false, true}, p.bools(4), "endMasks")
				require.Equal(t, []int{1, -2}, p.ints(5), "strides")
			}),
		shapeCase("slice_clamped", "slice", ops.Attrs{"starts": []int{1}, "ends": []int{100}, "axes": []int{-1}},
			[]int{4, 5}, "sliceStatic", []int{4, 4}, func(t *testing.T, p pb) {
				require.Equal(t, []int{0, 1}, p.ints(1))
				require.Equal(t, []int{4, 5}, p.ints(3))
				require.Equal(t, []int{1, 1}, p.ints(5))
				require.Equal(t, []bool{false, false}, p.bools(4))
			}),
		shapeCase("slice_negative_step_inside", "slice", ops.Attrs{"starts": []int{4}, "ends": []int{1}, "axes": []int{1}, "steps": []int{-1}},
			[]int{2, 5}, "sliceStatic", []int{2, 3}, func(t *testing.T, p pb) {
				require.Equal(t, []int{0, 4}, p.ints(1))
				require.Equal(t, []int{2, 1}, p.ints(3), "reads 4, 3, 2: one step past 2 is 1")
			}),
		shapeCase("pad_constant", "pad", ops.Attrs{"pads": []int{1, 2, 3, 0}, "value": 1.5}, []int{2, 3}, "constantPad", []int{6, 5},
			func(t *testing.T, p pb) {
				require.Equal(t, []int{1, 3, 2, 0}, p.ints(2), "before/after per axis: (1, 3), (2, 0)")
				require.Equal(t, float32(1.5), p.float(1))
			}),
		shapeCase("pad_reflect", "pad", ops.Attrs{"pads": []int{0, 0, 1, 2, 0, 0, 1, 0}, "mode": "reflect"}, []int{1, 2, 3, 4},
			"padding", []int{1, 2, 5, 6}, func(t *testing.T, p pb) {
				require.True(t, p.has(2), "reflection")
				require.Equal(t, []int{1, 1, 2, 0}, border(t, p.msg(10)))
			}),
		shapeCase("pad_edge", "pad", ops.Attrs{"pads": []int{0, 1, 1, 0, 2, 0}, "mode": "edge"}, []int{2, 3, 4},
			"padding", []int{2, 6, 5}, func(t *testing.T, p pb) {
				require.True(t, p.has(3), "replication")
				require.Equal(t, []int{1, 2, 1, 0}, border(t, p.msg(10)))
			}),
		shapeCase("reduce_sum", "reduce_sum", ops.Attrs{"axes": []int{1}, "keepdims": 0}, []int{2, 3, 4}, "reduceSum", []int{2, 4},
			func(t *testing.T, p pb) {
				require.Equal(t, []int{1}, p.ints(1))
				require.False(t, p.bool(2))
			}),
		shapeCase("reduce_mean", "reduce_mean", ops.Attrs{"axes": []int{-1}}, []int{2, 3, 4}, "reduceMean", []int{2, 3, 1},
			func(t *testing.T, p pb) {
				require.Equal(t, []int{2}, p.ints(1))
				require.True(t, p.bool(2))
			}),
		shapeCase("reduce_max", "reduce_max", ops.Attrs{"axes": []int{0, 2}, "keepdims": 0}, []int{2, 3, 4}, "reduceMax", []int{3}, ints(1, []int{0, 2})),
		shapeCase("reduce_min_all", "reduce_min", nil, []int{2, 3, 4}, "reduceMin", []int{1, 1, 1}, ints(1, []int{0, 1, 2})),
		shapeCase("reduce_prod", "reduce_prod", ops.Attrs{"axes": []int{1}}, []int{2, 3, 2}, "reduceProd", []int{2, 1, 2}, ints(1, []int{1})),
		{
			name: "concat",
			build: func(b *runtime.Builder) {
				b.Output("z", b.Op("concat", ops.Attrs{"axis": -1}, in(b, "x", 2, 3), in(b, "y", 2, 2), weight(b, "c", 1, 2, 1)))
			},
			kinds: []string{"loadConstantND", "concatND"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []string{"x", "y", "c"}, m.layers[1].inputs)
				require.Equal(t, uint64(1), m.layers[1].params.uint(1), "axis −1 of rank 2")
				require.Equal(t, []int{2, 6}, m.outputs["z"])
			},
		},
		{
			name:  "concat_single",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("concat", ops.Attrs{"axis": 0}, in(b, "x", 2, 3))) },
			kinds: []string{"activation"},
		},
		{
			name: "split",
			build: func(b *runtime.Builder) {
				outs := b.OpN("split", 2, ops.Attrs{"axis": 1, "split": []int{2, 4}}, in(b, "x", 2, 6))
				b.Output("y0", outs[0])
				b.Output("y1", outs[1])
			},
			kinds: []string{"splitND"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				p := m.layers[0].params
				require.Equal(t, uint64(1), p.uint(1))
				require.Equal(t, uint64(2), p.uint(2))
				require.Equal(t, []int{2, 4}, p.ints(3))
				require.Equal(t, []string{"y0", "y1"}, m.layers[0].outputs)
				require.Equal(t, []int{2, 2}, m.outputs["y0"])
				require.Equal(t, []int{2, 4}, m.outputs["y1"])
			},
		},
	}
}

func TestNormOps(t *testing.T)  { runOpCases(t, normCases()) }
func TestShapeOps(t *testing.T) { runOpCases(t, shapeCases()) }
