package cpu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// graphCase is a small graph that exercises one of the plan's fusions, run
// on every kernel path and thread count against ref.
type graphCase struct {
	name       string
	transposes int                      // transpose steps the plan keeps (the rest are fused)
	build      func(b *runtime.Builder) // adds inputs "x" (and "y"), outputs
	in         [][]int                  // input shapes
}

// requireMatchesRef runs c on every kernel path with 1 and 2 threads and
// compares each output with ref's under cpu.Tolerance.
func requireMatchesRef(t *testing.T, c graphCase) {
	t.Helper()
	b := runtime.NewBuilder(c.name)
	c.build(b)
	art, err := b.Build()
	require.NoError(t, err)
	var in []*tensor.Tensor
	for i, s := range c.in {
		x, err := tensor.Rand(tensor.Float32, uint64(11+i), -1, 1, s...)
		require.NoError(t, err)
		in = append(in, x)
	}
	ctx := context.Background()
	prof, err := cpu.Profile(ctx, cpu.New(cpu.Options{}), art, in, 1)
	require.NoError(t, err)
	transposes := 0
	for _, p := range prof {
		if p.Kind == "transpose" {
			transposes = p.Steps
		}
	}
	require.Equal(t, c.transposes, transposes, "transpose steps left in the plan")
	rp, err := ref.Backend{}.Prepare(ctx, art)
	require.NoError(t, err)
	want, err := rp.Run(ctx, in)
	require.NoError(t, err)
	for _, threads := range []int{1, 2} {
		for _, isa := range kernelPaths(t) {
			p, err := cpu.New(cpu.Options{Kernels: isa.Kernels(), Threads: threads}).Prepare(ctx, art)
			require.NoError(t, err)
			got, err := p.Run(ctx, in)
			require.NoError(t, err)
			require.NoError(t, p.Close())
			require.Len(t, got, len(want))
			for i := range want {
				cmp := tensor.Compare(got[i], want[i], cpu.Tolerance(tensor.Float32))
				require.True(t, cmp.Equal, "%s, %s, %d threads, output %d: %s", c.name, isa.Kernels(), threads, i, cmp)
			}
		}
	}
}

// TestAttentionFusions covers batched matmuls reading transposed operands
// through strides, a scalar mul folded into B, and an output transpose
// written in place, plus the cases that must materialize the transpose.
func TestAttentionFusions(t *testing.T) {
	const seq, heads, head = 40, 3, 24 // 40 rows: partial tiles; 24 columns: partial panels
	hidden := heads * head
	split := func(b *runtime.Builder, v runtime.Value, perm []int) runtime.Value {
		v = b.Op("reshape", ops.Attrs{"shape": []int{0, 0, heads, head}}, v)
		return b.Op("transpose", ops.Attrs{"perm": perm}, v)
	}
	scale := func(b *runtime.Builder) runtime.Value {
		return b.Weight("scale", tensor.Scalar(float32(0.125)))
	}
	for _, c := range []graphCase{
		{name: "attention", in: [][]int{{2, seq, hidden}, {2, seq, hidden}}, build: func(b *runtime.Builder) {
			x := b.Input("x", tensor.Float32, runtime.Static(2), runtime.Static(seq), runtime.Static(hidden))
			y := b.Input("y", tensor.Float32, runtime.Static(2), runtime.Static(seq), runtime.Static(hidden))
			q := split(b, x, []int{0, 2, 1, 3})
			k := split(b, y, []int{0, 2, 3, 1})
			v := split(b, b.Op("add", nil, x, y), []int{0, 2, 1, 3})
			s := b.Op("mul", nil, b.Op("matmul", nil, q, k), scale(b))
			p := b.Op("softmax", ops.Attrs{"axis": -1}, s)
			o := b.Op("transpose", ops.Attrs{"perm": []int{0, 2, 1, 3}}, b.Op("matmul", nil, p, v))
			b.Output("out", b.Op("reshape", ops.Attrs{"shape": []int{0, 0, hidden}}, o))
		}},
		{name: "transposed A is materialized", transposes: 1, in: [][]int{{2, seq, hidden}, {2, seq, hidden}}, build: func(b *runtime.Builder) {
			x := b.Input("x", tensor.Float32, runtime.Static(2), runtime.Static(seq), runtime.Static(hidden))
			y := b.Input("y", tensor.Float32, runtime.Static(2), runtime.Static(seq), runtime.Static(hidden))
			a := split(b, x, []int{0, 2, 3, 1}) // [2, heads, head, seq]: columns strided
			k := split(b, y, []int{0, 2, 1, 3}) // [2, heads, seq, head]
			b.Output("out", b.Op("matmul", nil, a, k))
		}},
		{name: "transpose read twice", transposes: 1, in: [][]int{{seq, seq}, {hidden, seq}}, build: func(b *runtime.Builder) {
			x := b.Input("x", tensor.Float32, runtime.Static(seq), runtime.Static(seq))
			y := b.Input("y", tensor.Float32, runtime.Static(hidden), runtime.Static(seq))
			yt := b.Op("transpose", nil, y) // [seq, hidden], read by two nodes: a real transpose
			b.Output("out", b.Op("matmul", nil, x, yt))
			b.Output("yt", b.Op("relu", nil, yt))
		}},
		{name: "matrix transpose as B, scaled, output not transposed back", transposes: 1, in: [][]int{{hidden, seq}, {hidden, seq}}, build: func(b *runtime.Builder) {
			x := b.Input("x", tensor.Float32, runtime.Static(hidden), runtime.Static(seq))
			y := b.Input("y", tensor.Float32, runtime.Static(hidden), runtime.Static(seq))
			m := b.Op("matmul", nil, y, b.Op("transpose", nil, x)) // [hidden, hidden]
			m = b.Op("mul", nil, scale(b), m)
			b.Output("out", b.Op("transpose", nil, m)) // swaps the last axis: written normally, then transposed
		}},
	} {
		t.Run(c.name, func(t *testing.T) { requireMatchesRef(t, c) })
	}
}
