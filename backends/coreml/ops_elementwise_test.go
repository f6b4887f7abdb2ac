package coreml

import (
	"math"
	"testing"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// allOpCases lists every single-op case of the test files.
func allOpCases() []opCase {
	var all []opCase
	for _, cs := range [][]opCase{elementwiseCases(), nnCases(), normCases(), shapeCases()} {
		all = append(all, cs...)
	}
	return all
}

// unaryCase converts y = op(x) for x of shape [2, 3, 4] and expects one layer
// of the given type reading x and writing y.
func unaryCase(op string, attrs ops.Attrs, kind string, lo, hi float64, check func(t *testing.T, l pbLayer)) opCase {
	name := op
	if attrs != nil {
		name += "_attrs"
	}
	return opCase{
		name:  name,
		lo:    lo,
		hi:    hi,
		build: func(b *runtime.Builder) { b.Output("y", b.Op(op, attrs, in(b, "x", 2, 3, 4))) },
		kinds: []string{kind},
		check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
			l := m.layers[0]
			require.Equal(t, []string{"x"}, l.inputs)
			require.Equal(t, []string{"y"}, l.outputs)
			require.Equal(t, []int{2, 3, 4}, m.outputs["y"])
			if check != nil {
				check(t, l)
			}
		},
	}
}

// activationMember checks that an activation layer sets exactly one member.
func activationMember(num int, check func(t *testing.T, p pb)) func(t *testing.T, l pbLayer) {
	return func(t *testing.T, l pbLayer) {
		require.Len(t, l.params.f, 1)
		p := l.params.msg(protowire.Number(num))
		if check != nil {
			check(t, p)
		} else {
			require.Empty(t, p.f, "parameterless activation")
		}
	}
}

func binaryCase(op, kind string, lo, hi float64) opCase {
	return opCase{
		name: op, lo: lo, hi: hi,
		build: func(b *runtime.Builder) {
			b.Output("z", b.Op(op, nil, in(b, "x", 2, 3, 4), in(b, "y", 3, 1)))
		},
		kinds: []string{kind},
		check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
			require.Equal(t, []string{"x", "y"}, m.layers[0].inputs)
			require.Equal(t, []string{"z"}, m.layers[0].outputs)
			require.Equal(t, []int{2, 3, 4}, m.outputs["z"])
		},
	}
}

func elementwiseCases() []opCase {
	unaryType := func(want uint64) func(t *testing.T, l pbLayer) {
		return func(t *testing.T, l pbLayer) { require.Equal(t, want, l.params.uint(1), "UnaryFunction type") }
	}
	return []opCase{
		binaryCase("add", "addBroadcastable", 0, 0),
		binaryCase("sub", "subtractBroadcastable", 0, 0),
		binaryCase("mul", "multiplyBroadcastable", 0, 0),
		binaryCase("div", "divideBroadcastable", 0.5, 2),
		binaryCase("pow", "powBroadcastable", 0.5, 2),
		binaryCase("max", "maxBroadcastable", 0, 0),
		binaryCase("min", "minBroadcastable", 0, 0),
		{
			name: "add_constant",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("add", nil, in(b, "x", 2, 3), weight(b, "c", 7, 1, 3)))
			},
			kinds: []string{"loadConstantND", "addBroadcastable"},
			check: func(t *testing.T, m pbModel, a *runtime.Artifact) {
				load := m.layers[0]
				require.Empty(t, load.inputs)
				require.Equal(t, []string{"c"}, load.outputs)
				require.Equal(t, []int{1, 3}, load.params.ints(1), "LoadConstantND shape")
				requireBits(t, initValues(t, a, "c"), load.params.msg(2).floats(pbWeightFloat))
				require.Equal(t, []string{"x", "c"}, m.layers[1].inputs)
			},
		},
		{
			name: "scalar_constant_shared",
			build: func(b *runtime.Builder) {
				s := b.Weight("s", tensor.Scalar[float32](2.5))
				x := in(b, "x", 4)
				b.Output("y", b.Op("mul", nil, b.Op("add", nil, x, s), s))
			},
			kinds: []string{"loadConstantND", "addBroadcastable", "multiplyBroadcastable"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				// loaded once, as shape [1], and read by both layers
				require.Equal(t, []int{1}, m.layers[0].params.ints(1))
				require.Equal(t, []float32{2.5}, m.layers[0].params.msg(2).floats(pbWeightFloat))
				require.Equal(t, "s", m.layers[1].inputs[1])
				require.Equal(t, "s", m.layers[2].inputs[1])
			},
		},
		unaryCase("relu", nil, "activation", 0, 0, activationMember(10, nil)),
		unaryCase("sigmoid", nil, "activation", 0, 0, activationMember(40, nil)),
		unaryCase("tanh", nil, "activation", 0, 0, activationMember(30, nil)),
		unaryCase("softsign", nil, "activation", 0, 0, activationMember(60, nil)),
		unaryCase("softplus", nil, "activation", 0, 0, activationMember(70, nil)),
		unaryCase("leaky_relu", ops.Attrs{"alpha": 0.25}, "activation", 0, 0, activationMember(15, func(t *testing.T, p pb) {
			require.Equal(t, float32(0.25), p.float(1))
		})),
		unaryCase("leaky_relu", nil, "activation", 0, 0, activationMember(15, func(t *testing.T, p pb) {
			require.Equal(t, float32(0.01), p.float(1), "the catalog's default alpha, written out")
		})),
		unaryCase("elu", ops.Attrs{"alpha": 0.5}, "activation", 0, 0, activationMember(50, func(t *testing.T, p pb) {
			require.Equal(t, float32(0.5), p.float(1))
		})),
		unaryCase("hard_sigmoid", ops.Attrs{"alpha": 0.3, "beta": 0.4}, "activation", 0, 0, activationMember(41,
			func(t *testing.T, p pb) {
				require.Equal(t, float32(0.3), p.float(1))
				require.Equal(t, float32(0.4), p.float(2))
			})),
		unaryCase("neg", nil, "activation", 0, 0, activationMember(5, func(t *testing.T, p pb) {
			require.Equal(t, float32(-1), p.float(1), "linear alpha")
			require.False(t, p.has(2), "linear beta 0")
		})),
		unaryCase("identity", nil, "activation", 0, 0, activationMember(5, func(t *testing.T, p pb) {
			require.Equal(t, float32(1), p.float(1))
		})),
		unaryCase("cast", ops.Attrs{"to": "float32"}, "activation", 0, 0, activationMember(5, func(t *testing.T, p pb) {
			require.Equal(t, float32(1), p.float(1))
		})),
		unaryCase("sqrt", nil, "unary", 0.1, 4, unaryType(0)),
		unaryCase("exp", nil, "unary", 0, 0, unaryType(4)),
		unaryCase("log", nil, "unary", 0.1, 4, unaryType(5)),
		unaryCase("abs", nil, "unary", 0, 0, unaryType(6)),
		unaryCase("erf", nil, "erf", 0, 0, nil),
		unaryCase("floor", nil, "floor", 0, 0, nil),
		unaryCase("ceil", nil, "ceil", 0, 0, nil),
		unaryCase("sign", nil, "sign", 0, 0, nil),
		unaryCase("sin", nil, "sin", 0, 0, nil),
		unaryCase("cos", nil, "cos", 0, 0, nil),
		unaryCase("tan", nil, "tan", -1, 1, nil),
		unaryCase("asin", nil, "asin", -0.9, 0.9, nil),
		unaryCase("acos", nil, "acos", -0.9, 0.9, nil),
		unaryCase("atan", nil, "atan", 0, 0, nil),
		unaryCase("sinh", nil, "sinh", 0, 0, nil),
		unaryCase("cosh", nil, "cosh", 0, 0, nil),
		unaryCase("asinh", nil, "asinh", 0, 0, nil),
		unaryCase("acosh", nil, "acosh", 1.1, 4, nil),
		unaryCase("atanh", nil, "atanh", -0.9, 0.9, nil),
		unaryCase("gelu", nil, "gelu", 0, 0, func(t *testing.T, l pbLayer) {
			require.Equal(t, uint64(0), l.params.uint(1), "EXACT")
		}),
		unaryCase("gelu", ops.Attrs{"approximate": "tanh"}, "gelu", 0, 0, func(t *testing.T, l pbLayer) {
			require.Equal(t, uint64(1), l.params.uint(1), "TANH_APPROXIMATION")
		}),
		unaryCase("clip", ops.Attrs{"min": -0.5, "max": 1.25}, "clip", 0, 0, func(t *testing.T, l pbLayer) {
			require.Equal(t, float32(-0.5), l.params.float(1))
			require.Equal(t, float32(1.25), l.params.float(2))
		}),
		unaryCase("clip", nil, "activation", 0, 0, activationMember(5, func(t *testing.T, p pb) {
			require.Equal(t, float32(1), p.float(1), "no bounds: identity")
		})),
		{
			name:  "clip_min_only",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("clip", ops.Attrs{"min": 0.25}, in(b, "x", 2, 3))) },
			kinds: []string{"loadConstantND", "maxBroadcastable"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []float32{0.25}, m.layers[0].params.msg(2).floats(pbWeightFloat))
				require.Equal(t, []string{"x", m.layers[0].outputs[0]}, m.layers[1].inputs)
			},
		},
		{
			name: "clip_max_only",
			build: func(b *runtime.Builder) {
				b.Output("y", b.Op("clip", ops.Attrs{"min": math.Inf(-1), "max": -0.5}, in(b, "x", 2, 3)))
			},
			kinds: []string{"loadConstantND", "minBroadcastable"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []float32{-0.5}, m.layers[0].params.msg(2).floats(pbWeightFloat))
			},
		},
		{
			name:  "selu",
			build: func(b *runtime.Builder) { b.Output("y", b.Op("selu", nil, in(b, "x", 5))) },
			kinds: []string{"activation", "activation"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, float32(ops.SeluDefaultAlpha), m.layers[0].params.msg(50).float(1), "ELU alpha")
				require.Equal(t, float32(ops.SeluDefaultGamma), m.layers[1].params.msg(5).float(1), "linear gamma")
				require.Equal(t, m.layers[0].outputs, m.layers[1].inputs)
				require.Equal(t, []string{"y"}, m.layers[1].outputs)
			},
		},
		{
			name:  "reciprocal",
			lo:    0.5,
			hi:    3,
			build: func(b *runtime.Builder) { b.Output("y", b.Op("reciprocal", nil, in(b, "x", 3, 2))) },
			kinds: []string{"loadConstantND", "divideBroadcastable"},
			check: func(t *testing.T, m pbModel, _ *runtime.Artifact) {
				require.Equal(t, []float32{1}, m.layers[0].params.msg(2).floats(pbWeightFloat))
				require.Equal(t, []string{m.layers[0].outputs[0], "x"}, m.layers[1].inputs, "1 / x")
			},
		},
	}
}

func TestElementwiseOps(t *testing.T) { runOpCases(t, elementwiseCases()) }
