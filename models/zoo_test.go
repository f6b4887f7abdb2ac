package models

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestZooBuildsAtEveryBatch(t *testing.T) {
	for _, m := range Zoo() {
		t.Run(m.Name, func(t *testing.T) {
			sym, err := m.Build(0)
			require.NoError(t, err)
			require.NotEmpty(t, sym.SymbolicDims(), "batch 0 leaves the batch symbolic")
			for _, batch := range []int{1, 8} {
				a, err := m.Build(batch)
				require.NoError(t, err)
				require.Empty(t, a.SymbolicDims())
				require.Equal(t, batch, a.Inputs[0].Dims[0].Size)
				in, err := Inputs(a, batch, 1)
				require.NoError(t, err)
				require.Equal(t, batch, in[0].Shape()[0])
			}
			_, err = m.Build(-1)
			require.Error(t, err)
		})
		got, ok := ZooByName(m.Name)
		require.True(t, ok)
		require.Equal(t, m.Description, got.Description)
	}
	_, ok := ZooByName("no-such-model")
	require.False(t, ok)
}

func TestInputsAreDeterministicPerSeed(t *testing.T) {
	b := runtime.NewBuilder("inputs")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))
	ids := b.Input("ids", tensor.Int64, runtime.Symbolic("batch"))
	mask := b.Input("mask", tensor.Bool, runtime.Static(4))
	b.Output("y", b.Op("identity", nil, x))
	b.Output("i", b.Op("identity", nil, ids))
	b.Output("m", b.Op("identity", nil, mask))
	a, err := b.Build()
	require.NoError(t, err)
	one, err := Inputs(a, 5, 1)
	require.NoError(t, err)
	again, err := Inputs(a, 5, 1)
	require.NoError(t, err)
	other, err := Inputs(a, 5, 2)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{5, 3}, one[0].Shape())
	require.Equal(t, tensor.Shape{5}, one[1].Shape())
	require.Equal(t, tensor.Bool, one[2].DType())
	require.Equal(t, one[0].Float64s(), again[0].Float64s())
	require.NotEqual(t, one[0].Float64s(), other[0].Float64s())
	for _, v := range one[1].Int64s() {
		require.True(t, v >= 0 && v <= 99, "id %d out of [0, 99]", v)
	}
}

func TestFLOPsByHand(t *testing.T) {
	b := runtime.NewBuilder("cost")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(2), runtime.Static(5), runtime.Static(5))
	w, err := tensor.New(tensor.Float32, 4, 2, 3, 3)
	require.NoError(t, err)
	bias, err := tensor.New(tensor.Float32, 4)
	require.NoError(t, err)
	// conv 2->4 channels, 3x3, no padding: output [batch, 4, 3, 3] = 36 elements per sample,
	// each 2*3*3 = 18 MACs -> 648 MACs per sample, plus 36 bias adds.
	y := b.Op("conv", nil, x, b.Weight("w", w), b.Weight("b", bias))
	// relu: 36 ops per sample.
	y = b.Op("relu", nil, y)
	// max_pool 3x3 over 3x3: output [batch, 4, 1, 1], 9 taps each -> 36 ops per sample.
	y = b.Op("max_pool", ops.Attrs{"kernel_shape": []int{3, 3}}, y)
	// reshape is free; matmul [batch,4]x[4,3]: 3 outputs x 4 = 12 MACs per sample.
	y = b.Op("reshape", ops.Attrs{"shape": []int{0, -1}}, y)
	fc, err := tensor.New(tensor.Float32, 4, 3)
	require.NoError(t, err)
	y = b.Op("matmul", nil, y, b.Weight("fc", fc))
	// softmax over 3 elements at 4 ops each: 12 per sample.
	b.Output("p", b.Op("softmax", ops.Attrs{"axis": -1}, y))
	a, err := b.Build()
	require.NoError(t, err)

	for _, batch := range []int{1, 8} {
		c, err := FLOPs(a, map[string]int{"batch": batch})
		require.NoError(t, err)
		macs := int64(648 + 12)
		require.Equal(t, macs*int64(batch), c.MACs)
		require.Equal(t, int64(batch)*(2*macs+36+36+36+12), c.FLOPs)
	}
}

func TestFLOPsOfMLP(t *testing.T) {
	// 784-256-128-10: MACs = 784*256 + 256*128 + 128*10 = 200704 + 32768 + 1280 = 234752;
	// bias adds 256+128+10 = 394, relus 256+128 = 384, softmax 10*4 = 40.
	m, ok := ZooByName("mlp")
	require.True(t, ok)
	a, err := m.Build(1)
	require.NoError(t, err)
	c, err := FLOPs(a, nil)
	require.NoError(t, err)
	require.Equal(t, int64(234752), c.MACs)
	require.Equal(t, int64(2*234752+394+384+40), c.FLOPs)
}
