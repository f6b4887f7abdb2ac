package xla

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// rnnModel is one rnn node over x [seq, 2, 1] with hidden size 1 and sequence_lens as an input.
func rnnModel(t *testing.T, seq int, attrs ops.Attrs) *runtime.Artifact {
	b := runtime.NewBuilder("rnn")
	x := b.Input("x", tensor.Float32, runtime.Dims(seq, 2, 1)...)
	lens := b.Input("lens", tensor.Int32, runtime.Dims(2)...)
	w := b.Weight("w", tensor.MustFromSlice([]float32{1}, 1, 1, 1))
	outs := b.NamedOp("the-rnn", "rnn", 2, attrs, x, w, w, runtime.None, lens)
	b.Output("y", outs[0])
	b.Output("h", outs[1])
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

// A sequence_lens value outside [0, seq] fails the run naming the node, as in
// ref: an error of the request's data (ModeInputData), not of the backend.
func TestRecurrentBadSequenceLens(t *testing.T) {
	a := rnnModel(t, 2, ops.Attrs{"activations": "relu"})
	p, err := NewGoMLX(Options{}).Prepare(context.Background(), a)
	require.NoError(t, err)
	defer p.Close()
	x := tensor.MustFromSlice([]float32{1, 3, 2, 4}, 2, 2, 1)
	// relu, W = R = 1, lengths [1 2]: entry 0 stops at 1; entry 1 gives 3, 7.
	out, err := p.Run(context.Background(), []*tensor.Tensor{x, tensor.MustFromSlice([]int32{1, 2}, 2)})
	require.NoError(t, err)
	require.Equal(t, []float32{1, 3, 0, 7}, tensor.MustView[float32](out[0]))
	require.Equal(t, []float32{1, 7}, tensor.MustView[float32](out[1]))
	for _, lens := range [][]int32{{1, 3}, {-1, 2}} {
		_, err = p.Run(context.Background(), []*tensor.Tensor{x, tensor.MustFromSlice(lens, 2)})
		var e *runtime.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, runtime.ModeInputData, e.Mode)
		require.Equal(t, "the-rnn", e.Node)
		require.Contains(t, err.Error(), "sequence_lens")
	}
}

// A sequence longer than the unrolling bound is refused up front, naming why.
func TestRecurrentTooManySteps(t *testing.T) {
	a := rnnModel(t, maxUnrolledSteps+1, nil)
	err := NewGoMLX(Options{}).Supports(a)
	require.ErrorIs(t, err, runtime.ErrUnsupported)
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "the-rnn", e.Node)
	require.Contains(t, err.Error(), "4097 time steps")
}

// A symbolic sequence length is unrolled per input signature: each length
// compiles its own graph and matches ref.
func TestRecurrentSymbolicSequence(t *testing.T) {
	w, err := tensor.Rand(tensor.Float32, 5, -1, 1, 2, 6, 3)
	require.NoError(t, err)
	r, err := tensor.Rand(tensor.Float32, 6, -1, 1, 2, 6, 2)
	require.NoError(t, err)
	attrs := ops.Attrs{"direction": "bidirectional"}
	b := runtime.NewBuilder("gru")
	outs := b.NamedOp("gru", "gru", 2, attrs, b.Input("x", tensor.Float32, runtime.Symbolic("seq"), runtime.Static(2),
		runtime.Static(3)), b.Weight("w", w), b.Weight("r", r))
	b.Output("y", outs[0])
	b.Output("h", outs[1])
	a, err := b.Build()
	require.NoError(t, err)
	p, err := NewGoMLX(Options{}).Prepare(context.Background(), a)
	require.NoError(t, err)
	defer p.Close()
	for _, seq := range []int{1, 3, 5} {
		x, err := tensor.Rand(tensor.Float32, uint64(seq), -1, 1, seq, 2, 3)
		require.NoError(t, err)
		got, err := p.Run(context.Background(), []*tensor.Tensor{x})
		require.NoError(t, err)
		want, err := ref.Eval("gru", attrs, x, w, r)
		require.NoError(t, err)
		for i := range want {
			cmp := tensor.Compare(got[i], want[i], tensor.Tolerance{RTol: 1e-5, ATol: 1e-6})
			require.True(t, cmp.Equal, "seq %d output %d: %v", seq, i, cmp)
		}
	}
}

// BenchmarkRecurrentLSTM compares the unrolled lowering on the pure-Go
// engine with ref's loops on a speech-sized LSTM: 16 steps, batch 4,
// input 32, hidden 64, both directions.
func BenchmarkRecurrentLSTM(b *testing.B) {
	const seq, batch, input, hidden = 16, 4, 32, 64
	x, _ := tensor.Rand(tensor.Float32, 1, -1, 1, seq, batch, input)
	w, _ := tensor.Rand(tensor.Float32, 2, -0.2, 0.2, 2, 4*hidden, input)
	r, _ := tensor.Rand(tensor.Float32, 3, -0.2, 0.2, 2, 4*hidden, hidden)
	bias, _ := tensor.Rand(tensor.Float32, 4, -0.2, 0.2, 2, 8*hidden)
	attrs := ops.Attrs{"direction": "bidirectional"}
	bld := runtime.NewBuilder("lstm")
	outs := bld.NamedOp("lstm", "lstm", 3, attrs, bld.Input("x", tensor.Float32, runtime.Dims(seq, batch, input)...),
		bld.Weight("w", w), bld.Weight("r", r), bld.Weight("b", bias))
	bld.Output("y", outs[0])
	a, err := bld.Build()
	require.NoError(b, err)
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			if _, err := ref.Eval("lstm", attrs, x, w, r, bias); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gomlx", func(b *testing.B) {
		p, err := NewGoMLX(Options{}).Prepare(context.Background(), a)
		require.NoError(b, err)
		defer p.Close()
		for b.Loop() {
			if _, err := p.Run(context.Background(), []*tensor.Tensor{x}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
