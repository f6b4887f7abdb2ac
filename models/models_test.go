package models

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestZooModelsRunAndGiveDistributions(t *testing.T) {
	mlp, err := MLP(MLPConfig{Inputs: 6, Hidden: []int{5, 4}, Classes: 3, Seed: 1})
	require.NoError(t, err)
	cnn, err := SmallCNN(SmallCNNConfig{Channels: 2, Size: 8, Classes: 4, Seed: 2})
	require.NoError(t, err)
	for _, c := range []struct {
		art     *runtime.Artifact
		in      []int
		classes int
	}{
		{mlp, []int{3, 6}, 3},
		{cnn, []int{2, 2, 8, 8}, 4},
	} {
		x, err := tensor.Rand(tensor.Float32, 9, -1, 1, c.in...)
		require.NoError(t, err)
		out, err := runtime.Run(context.Background(), c.art, x)
		require.NoError(t, err)
		require.Equal(t, tensor.Shape{c.in[0], c.classes}, out[0].Shape())
		// Softmax rows are probability distributions: each sums to 1.
		p := tensor.MustView[float32](out[0])
		for r := 0; r < c.in[0]; r++ {
			sum := float32(0)
			for _, v := range p[r*c.classes : (r+1)*c.classes] {
				require.GreaterOrEqual(t, v, float32(0))
				sum += v
			}
			require.InDelta(t, 1, sum, 1e-5)
		}
	}
}

func TestZooWeightsAreDeterministic(t *testing.T) {
	a, err := MLP(MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 5})
	require.NoError(t, err)
	b, err := MLP(MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 5})
	require.NoError(t, err)
	c, err := MLP(MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 6})
	require.NoError(t, err)
	fa, err := a.Fingerprint()
	require.NoError(t, err)
	fb, err := b.Fingerprint()
	require.NoError(t, err)
	fc, err := c.Fingerprint()
	require.NoError(t, err)
	require.Equal(t, fa, fb, "same seed, same weights")
	require.NotEqual(t, fa, fc, "another seed, other weights")
}

func TestZooConfigErrors(t *testing.T) {
	_, err := MLP(MLPConfig{Inputs: 0, Classes: 2})
	require.Error(t, err)
	_, err = MLP(MLPConfig{Inputs: 3, Hidden: []int{0}, Classes: 2})
	require.Error(t, err)
	_, err = SmallCNN(SmallCNNConfig{Channels: 3, Size: 2, Classes: 2})
	require.Error(t, err)
}
