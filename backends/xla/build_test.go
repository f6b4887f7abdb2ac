package xla

import (
	"context"
	"errors"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func reluModel(t *testing.T) *runtime.Artifact {
	b := runtime.NewBuilder("relu-model")
	x := b.Input("x", tensor.Float32, runtime.Dims(2, 3)...)
	b.Output("y", b.NamedOp("the-relu", "relu", 1, nil, x)[0])
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

// withLowering swaps op's lowering for the duration of a test.
func withLowering(t *testing.T, op string, f loweringFunc) {
	old := lowerings[op]
	lowerings[op] = f
	t.Cleanup(func() { lowerings[op] = old })
}

// A lowering bug is a typed compile error naming the node, never a panic or
// a wrong answer.
func TestDriverRejectsBadLowerings(t *testing.T) {
	cases := []struct {
		name  string
		lower loweringFunc
		want  string
	}{
		{"wrong shape", func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return one(graph.Reshape(in[0], 3, 2)), nil
		}, "lowering bug: output 0 is (Float32)[3 2], inference says (Float32)[2 3]"},
		{"wrong dtype", func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return one(graph.ConvertDType(in[0], dtypes.Float64)), nil
		}, "lowering bug"},
		{"too many outputs", func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return []*graph.Node{in[0], in[0]}, nil
		}, "lowering returned 2 outputs, the op has 1"},
		{"nil output", func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return []*graph.Node{nil}, nil
		}, "no node for output 0"},
		{"error", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return nil, c.errorf("cannot express attribute %q", "frob")
		}, `cannot express attribute "frob"`},
		{"GoMLX panics", func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return one(graph.Add(in[0], graph.Reshape(in[0], 3, 2))), nil // shapes do not broadcast
		}, "GoMLX:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			withLowering(t, "relu", c.lower)
			_, err := NewGoMLX(Options{}).Prepare(context.Background(), reluModel(t))
			require.ErrorIs(t, err, runtime.ErrBackend)
			var e *runtime.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, runtime.ModeCompile, e.Mode)
			require.Equal(t, "the-relu", e.Node)
			require.Equal(t, "relu", e.Op)
			require.Equal(t, "relu-model", e.Model)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// An integer division by zero fails the run naming the node, as in ref, as
// an input-data error (the request's data, not the backend, is at fault); a
// float one gives ±Inf or NaN.
func TestIntegerDivisionByZero(t *testing.T) {
	b := runtime.NewBuilder("div")
	x := b.Input("x", tensor.Int32, runtime.Dims(3)...)
	y := b.Input("y", tensor.Int32, runtime.Dims(3)...)
	b.Output("q", b.NamedOp("divide", "div", 1, nil, x, y)[0])
	a, err := b.Build()
	require.NoError(t, err)
	p, err := NewGoMLX(Options{}).Prepare(context.Background(), a)
	require.NoError(t, err)
	defer p.Close()

	// 7/2 = 3 and −7/2 = −3 (truncation toward zero), 9/−3 = −3.
	out, err := p.Run(context.Background(), []*tensor.Tensor{
		tensor.MustFromSlice([]int32{7, -7, 9}, 3), tensor.MustFromSlice([]int32{2, 2, -3}, 3)})
	require.NoError(t, err)
	require.Equal(t, []int32{3, -3, -3}, tensor.MustView[int32](out[0]))

	_, err = p.Run(context.Background(), []*tensor.Tensor{
		tensor.MustFromSlice([]int32{7, -7, 9}, 3), tensor.MustFromSlice([]int32{2, 0, -3}, 3)})
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModeInputData, e.Mode)
	require.ErrorIs(t, err, runtime.ErrInvalidInput)
	require.Equal(t, "divide", e.Node)
	require.Contains(t, err.Error(), "integer division by zero")
}

func TestSupportsNamesWhatIsMissing(t *testing.T) {
	f16 := runtime.NewBuilder("half")
	h := f16.Input("h", tensor.Float16, runtime.Dims(2)...)
	f16.Output("y", f16.Op("neg", nil, h))
	half, err := f16.Build()
	require.NoError(t, err)

	cast := runtime.NewBuilder("to-half")
	x := cast.Input("x", tensor.Float32, runtime.Dims(2)...)
	cast.Output("y", cast.NamedOp("narrow", "cast", 1, ops.Attrs{"to": "float16"}, x)[0])
	toHalf, err := cast.Build()
	require.NoError(t, err)

	// XLA has float16 (in builds that can load PJRT); the pure-Go engine
	// carries it as float32 (narrow.go), so both take these models.
	if pjrtBuilt {
		xb := NewXLA(Options{})
		require.True(t, xb.HasDType(tensor.Float16))
		require.NoError(t, xb.Supports(half))
		require.NoError(t, xb.Supports(toHalf))
	}
	gb := NewGoMLX(Options{})
	require.True(t, gb.HasDType(tensor.Float16))
	require.NoError(t, gb.Supports(half))
	require.NoError(t, gb.Supports(toHalf))

	// What the pure-Go engine lacks is named: a float bitcast, at its node.
	bc := runtime.NewBuilder("bits")
	f := bc.Input("f", tensor.Float32, runtime.Dims(2)...)
	bc.Output("y", bc.NamedOp("reinterpret", "bitcast", 1, ops.Attrs{"to": "int32"}, f)[0])
	bits, err := bc.Build()
	require.NoError(t, err)
	err = gb.Supports(bits)
	require.ErrorIs(t, err, runtime.ErrUnsupported)
	var e *runtime.Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, "reinterpret", e.Node)
	require.Equal(t, "bitcast", e.Op)
	require.Contains(t, err.Error(), "no Bitcast")
}

// Outputs of the pure-Go engine become tensors without a copy, XLA's are
// copied out of PJRT buffers once; inputs are copied once; weights once at
// Prepare. Outputs never alias inputs, weights or each other.
func TestConversionCopies(t *testing.T) {
	for _, b := range testEngines(t, Options{}) {
		t.Run(b.Name(), func(t *testing.T) { conversionCopies(t, b) })
	}
}

func conversionCopies(t *testing.T, be *Backend) {
	b := runtime.NewBuilder("copies")
	x := b.Input("x", tensor.Float32, runtime.Dims(2, 3)...)
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3}, 3))
	s := b.Op("add", nil, x, w)
	b.Output("sum", s)
	b.Output("same", b.Op("identity", nil, s))
	b.Output("w-out", w)
	a, err := b.Build()
	require.NoError(t, err)
	p, err := be.Prepare(context.Background(), a)
	require.NoError(t, err)
	defer p.Close()
	in := tensor.MustFromSlice([]float32{0, 0, 0, 10, 10, 10}, 2, 3)
	for range 2 {
		out, err := p.Run(context.Background(), []*tensor.Tensor{in})
		require.NoError(t, err)
		require.Equal(t, []float32{1, 2, 3, 11, 12, 13}, tensor.MustView[float32](out[0]))
		require.Equal(t, []float32{1, 2, 3, 11, 12, 13}, tensor.MustView[float32](out[1]))
		tensor.MustView[float32](out[0])[0] = 99 // must not show in the other outputs or the weight
		tensor.MustView[float32](out[2])[0] = 99
		require.Equal(t, float32(1), tensor.MustView[float32](out[1])[0])
		require.Equal(t, float32(1), tensor.MustView[float32](a.Initializers["w"])[0])
		require.Equal(t, float32(0), tensor.MustView[float32](in)[0])
	}
	c := p.(CopyReporter).CopyStats()
	// Per run: x copied in (24 bytes); sum, same and w-out (the builder
	// routes a weight output through an identity node) adopted on the
	// pure-Go engine, copied out (24, 24 and 12 bytes) on XLA.
	want := CopyStats{InCopies: 2, InBytes: 2 * 24, OutZeroCpy: 2 * 3, WeightCopy: 12}
	if be.Name() == XLAName {
		want = CopyStats{InCopies: 2, InBytes: 2 * 24, OutCopies: 2 * 3, OutBytes: 2 * (24 + 24 + 12), WeightCopy: 12}
	}
	require.Equal(t, want, c)
}
