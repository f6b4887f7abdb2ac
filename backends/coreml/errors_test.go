package coreml

import (
	"errors"
	"fmt"
	"testing"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
)

// requireUnsupported checks that err is an ErrUnsupported *runtime.Error of
// the coreml backend naming the node, op and value given (empty: not set),
// with text containing msg.
func requireUnsupported(t *testing.T, err error, node, op, input, msg string) {
	t.Helper()
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, runtime.ErrUnsupported)
	require.Equal(t, runtime.ModeUnsupported, e.Mode)
	require.Equal(t, Name, e.Backend)
	require.Equal(t, node, e.Node, "node: %v", err)
	require.Equal(t, op, e.Op, "op: %v", err)
	require.Equal(t, input, e.Input, "input: %v", err)
	require.Contains(t, err.Error(), msg)
}

func TestUnsupportedIsNamed(t *testing.T) {
	x32 := func(b *runtime.Builder, shape ...int) runtime.Value { return in(b, "x", shape...) }
	cases := []struct {
		name                 string
		build                func(b *runtime.Builder)
		node, op, input, msg string
	}{
		{"op without mapping, first in execution order", func(b *runtime.Builder) {
			h := b.NamedOp("first", "relu", 1, nil, x32(b, 2, 3))[0]
			h = b.NamedOp("ls", "log_softmax", 1, nil, h)[0]
			b.Output("y", b.NamedOp("inorm", "instance_norm", 1, nil, b.Op("reshape", ops.Attrs{"shape": []int{1, 2, 3}}, h),
				constant(b, "s", []float32{1, 1}, 2), constant(b, "t", []float32{0, 0}, 2))[0])
		}, "ls", "log_softmax", "", "no Core ML NeuralNetwork mapping"},
		{"int64 graph input", func(b *runtime.Builder) {
			ids := b.Input("ids", tensor.Int64, runtime.Dims(3)...)
			b.Output("y", b.Op("gather", nil, weight(b, "table", 1, 5, 2), ids))
		}, "", "", "ids", "int64"},
		{"int64 value inside the graph", func(b *runtime.Builder) {
			i := b.NamedOp("to_int", "cast", 1, ops.Attrs{"to": "int64"}, x32(b, 4))[0]
			b.Output("y", b.Op("cast", ops.Attrs{"to": "float32"}, i))
		}, "to_int", "cast", "to_int:0", "int64"},
		{"int64 constant", func(b *runtime.Builder) {
			c := b.Weight("k", tensor.MustFromSlice([]int64{1, 2}, 2))
			b.Output("y", b.NamedOp("add", "add", 1, nil, x32(b, 2), b.NamedOp("c", "cast", 1, ops.Attrs{"to": "float32"}, c)[0])[0])
		}, "c", "cast", "k", "int64"},
		{"float64 model", func(b *runtime.Builder) {
			b.Output("y", b.Op("relu", nil, b.Input("x", tensor.Float64, runtime.Dims(2)...)))
		}, "", "", "x", "float64"},
		{"scalar result", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("sum", "reduce_sum", 1, ops.Attrs{"keepdims": 0}, x32(b, 2, 3))[0])
		}, "sum", "reduce_sum", "y", "rank 0"},
		{"rank 6", func(b *runtime.Builder) {
			b.Output("y", b.Op("relu", nil, x32(b, 1, 1, 1, 1, 1, 2)))
		}, "", "", "x", "rank 6"},
		{"3-D convolution", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("c3", "conv", 1, nil, x32(b, 1, 1, 3, 3, 3), weight(b, "w", 1, 1, 1, 2, 2, 2))[0])
		}, "c3", "conv", "x", "only 1-D and 2-D"},
		{"computed convolution kernel", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("cv", "conv", 1, nil, x32(b, 1, 1, 3, 3), in(b, "w", 1, 1, 2, 2))[0])
		}, "cv", "conv", "w", "must be a constant"},
		{"dilated pooling", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("p", "max_pool", 1, ops.Attrs{"kernel_shape": []int{2, 2}, "dilations": []int{2, 2}}, x32(b, 1, 1, 5, 5))[0])
		}, "p", "max_pool", "", "no dilation"},
		{"ceil mode averaging padding", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("p", "avg_pool", 1, ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "ceil_mode": 1,
				"count_include_pad": 1}, x32(b, 1, 1, 6, 6))[0])
		}, "p", "avg_pool", "", "count_include_pad"},
		{"transposed convolution with output_padding", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("ct", "conv_transpose", 1, ops.Attrs{"strides": []int{2, 2}, "output_padding": []int{1, 1}},
				x32(b, 1, 1, 3, 3), weight(b, "w", 1, 1, 1, 3, 3))[0])
		}, "ct", "conv_transpose", "", "output_padding"},
		{"cropping pad", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("p", "pad", 1, ops.Attrs{"pads": []int{0, -1, 0, 0}}, x32(b, 2, 3))[0])
		}, "p", "pad", "", "negative pads"},
		{"reflect pad of a leading axis", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("p", "pad", 1, ops.Attrs{"pads": []int{1, 0, 0, 0, 0, 0}, "mode": "reflect"}, x32(b, 3, 3, 3))[0])
		}, "p", "pad", "", "last two axes"},
		{"clip with min above max", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("c", "clip", 1, ops.Attrs{"min": 1.0, "max": 0.0}, x32(b, 3))[0])
		}, "c", "clip", "", "constant output"},
		{"even lrn window", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("n", "lrn", 1, ops.Attrs{"size": 2}, x32(b, 1, 4, 2, 2))[0])
		}, "n", "lrn", "", "even"},
		{"negative lrn bias (Core ML's validator refuses k < 0)", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("n", "lrn", 1, ops.Attrs{"size": 3, "bias": -0.5}, x32(b, 1, 4, 2, 2))[0])
		}, "n", "lrn", "", "refuses a negative one"},
		{"a model without inputs (Core ML's validator needs one)", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("r", "relu", 1, nil, constant(b, "w", []float32{1, -1}, 2))[0])
		}, "r", "relu", "", "no inputs"},
		{"computed layer_norm scale", func(b *runtime.Builder) {
			b.Output("y", b.NamedOp("ln", "layer_norm", 1, nil, x32(b, 2, 3), in(b, "g", 3))[0])
		}, "ln", "layer_norm", "g", "must be a constant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := runtime.NewBuilder(c.name)
			c.build(b)
			a, err := b.Build()
			require.NoError(t, err)
			err = CheckSupport(a)
			requireUnsupported(t, err, c.node, c.op, c.input, c.msg)
			_, convErr := Convert(a, Float32)
			require.Equal(t, err.Error(), convErr.Error(), "Convert and CheckSupport agree")
			require.Equal(t, err.Error(), New(Options{}).Supports(a).Error(), "Supports is CheckSupport")
		})
	}
}

func TestOutputThatIsAnInput(t *testing.T) {
	a := &runtime.Artifact{Name: "echo", Inputs: []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2)}},
		Outputs: []runtime.ValueInfo{{Name: "x"}}}
	require.NoError(t, a.Validate())
	requireUnsupported(t, CheckSupport(a), "", "", "x", "distinct input and output")
}

func TestOutputThatIsAWeight(t *testing.T) {
	a := &runtime.Artifact{Name: "const", Inputs: []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2)}},
		Outputs:      []runtime.ValueInfo{{Name: "w"}, {Name: "y"}},
		Nodes:        []runtime.Node{{Name: "r", Op: "relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		Initializers: map[string]*tensor.Tensor{"w": tensor.MustFromSlice([]float32{1.5, -2}, 2)}}
	require.NoError(t, a.Validate())
	data, err := Convert(a, Float32)
	require.NoError(t, err)
	m := decodeModel(t, data)
	require.Equal(t, []string{"activation", "loadConstantND"}, layersOf(m))
	require.Equal(t, []string{"w"}, m.layers[1].outputs)
	require.Equal(t, []string{"w", "y"}, m.outOrder)
	got := runDecoded(t, m, map[string]*tensor.Tensor{"x": tensor.MustFromSlice([]float32{-1, 3}, 2)})
	require.Equal(t, []float32{1.5, -2}, tensor.MustView[float32](got["w"]))
	require.Equal(t, []float32{0, 3}, tensor.MustView[float32](got["y"]))
}

func TestBadArtifactsAndArguments(t *testing.T) {
	_, err := Convert(nil, Float32)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.ErrorIs(t, CheckSupport(nil), runtime.ErrInvalidArtifact)
	_, err = Bind(nil, nil)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)

	cyclic := &runtime.Artifact{Name: "loop", Inputs: []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2)}},
		Outputs: []runtime.ValueInfo{{Name: "b"}},
		Nodes: []runtime.Node{{Name: "n1", Op: "add", Inputs: []string{"x", "b"}, Outputs: []string{"a"}},
			{Name: "n2", Op: "relu", Inputs: []string{"a"}, Outputs: []string{"b"}}}}
	require.ErrorIs(t, CheckSupport(cyclic), runtime.ErrInvalidArtifact)
	_, err = Convert(cyclic, Float32)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)

	unknown := &runtime.Artifact{Name: "u", Inputs: []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2)}},
		Outputs: []runtime.ValueInfo{{Name: "y"}}, Nodes: []runtime.Node{{Name: "n", Op: "frobnicate", Inputs: []string{"x"}, Outputs: []string{"y"}}}}
	require.ErrorIs(t, CheckSupport(unknown), runtime.ErrInvalidArtifact)

	b := runtime.NewBuilder("p")
	b.Output("y", b.Op("relu", nil, in(b, "x", 2)))
	a, err := b.Build()
	require.NoError(t, err)
	_, err = Convert(a, Precision(7))
	require.ErrorIs(t, err, runtime.ErrUnsupported)
	require.Contains(t, err.Error(), "precision")
}

func TestSymbolicDimsNeedBind(t *testing.T) {
	b := runtime.NewBuilder("sym")
	b.Output("y", b.Op("relu", nil, b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))))
	a, err := b.Build()
	require.NoError(t, err)
	require.NoError(t, CheckSupport(a))
	_, err = Convert(a, Float32)
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.Equal(t, "x", e.Input)
	require.Contains(t, err.Error(), `"batch"`)
	require.Contains(t, err.Error(), "Bind")
}

// TestOptestCases converts every case of the shared op test suite twice,
// once with all operands as graph inputs and once with all but the first as
// constants (where Core ML wants layer parameters): the hand-computed cases
// against their expected outputs, the randomized ones against the reference
// backend's evaluation of the op. A conversion must either fail with a named
// ErrUnsupported error or decode to a model that the test interpreter runs to
// the expected result. Nothing may panic.
func TestOptestCases(t *testing.T) {
	converted := map[string]bool{}
	matched, refused := 0, 0
	try := func(name, op string, attrs ops.Attrs, inputs, want []*tensor.Tensor, tol tensor.Tolerance) {
		for _, weights := range []bool{false, true} {
			name := fmt.Sprintf("%s/weights=%v", name, weights)
			a, feeds, err := caseArtifact(op, attrs, inputs, len(want), weights)
			if err != nil {
				continue // not expressible as a graph (e.g. an omitted input before a present one)
			}
			err = CheckSupport(a)
			if err != nil {
				var e *runtime.Error
				require.True(t, errors.As(err, &e), "%s: %v", name, err)
				require.True(t, errors.Is(err, runtime.ErrUnsupported), "%s: %v", name, err)
				require.True(t, e.Node != "" || e.Input != "", "%s: the error names a node or value: %v", name, err)
				refused++
				continue
			}
			data, err := Convert(a, Float32)
			require.NoError(t, err, name)
			got := runDecoded(t, decodeModel(t, data), feeds)
			if tol == (tensor.Tolerance{}) {
				tol = optest.DefaultTolerance(tensor.Float32)
			}
			for i, w := range want {
				cmp := tensor.Compare(got[a.Outputs[i].Name], w, tol)
				require.True(t, cmp.Equal, "%s output %d: %v", name, i, cmp)
			}
			converted[op] = true
			matched++
		}
	}
	for _, c := range optest.Cases() {
		try(c.Name, c.Op, c.Attrs, c.Inputs, c.Want, c.Tol)
	}
	for i, c := range optest.RandomCases() {
		inputs := make([]*tensor.Tensor, len(c.Inputs))
		for j, spec := range c.Inputs {
			switch {
			case spec.Omit:
			case spec.Fixed != nil:
				inputs[j] = spec.Fixed
			default:
				lo, hi := spec.Lo, spec.Hi
				if lo == 0 && hi == 0 {
					lo, hi = -1, 1
				}
				x, err := tensor.Rand(spec.DType, uint64(1000*i+j), lo, hi, spec.Shape...)
				require.NoError(t, err, c.Name)
				inputs[j] = x
			}
		}
		want, err := ref.Eval(c.Op, c.Attrs, inputs...)
		require.NoError(t, err, c.Name)
		try(c.Name, c.Op, c.Attrs, inputs, want, c.Tol)
	}
	t.Logf("%d case conversions matched their expected results; %d were refused with a named error", matched, refused)
	var missing []string
	for _, op := range SupportedOps() {
		if !converted[op] {
			missing = append(missing, op)
		}
	}
	t.Logf("%d of %d mapped ops converted and matched at least one case; without a float32 case: %v",
		len(SupportedOps())-len(missing), len(SupportedOps()), missing)
	require.GreaterOrEqual(t, len(converted), 40)
}

// caseArtifact builds a one-node artifact for an op case: input 0 is a graph
// input; the others are graph inputs too, or constants when weights is set.
// It returns the feeds for the graph inputs.
func caseArtifact(op string, attrs ops.Attrs, inputs []*tensor.Tensor, outputs int, weights bool) (*runtime.Artifact, map[string]*tensor.Tensor, error) {
	b := runtime.NewBuilder("case")
	feeds := map[string]*tensor.Tensor{}
	args := make([]runtime.Value, len(inputs))
	for i, x := range inputs {
		name := fmt.Sprintf("in%d", i)
		switch {
		case x == nil:
			args[i] = runtime.None
		case i > 0 && weights:
			args[i] = b.Weight(name, x)
		default:
			args[i] = b.Input(name, x.DType(), runtime.Dims(x.Shape()...)...)
			feeds[name] = x
		}
	}
	outs := b.OpN(op, outputs, attrs, args...)
	for i, o := range outs {
		b.Output(fmt.Sprintf("out%d", i), o)
	}
	a, err := b.Build()
	return a, feeds, err
}
