package models

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Model names end up as shell words (backplane run NAME output), file names
// and Prometheus label values: no spaces, brackets or quotes.
func TestModelNamesAreOneWord(t *testing.T) {
	a, err := MLP(MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, "mlp-784-256x128-10", a.Name)
	a, err = MLP(MLPConfig{Inputs: 4, Classes: 2, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, "mlp-4-2", a.Name, "no hidden layers")
	for _, m := range Zoo() {
		a, err := m.Build(1)
		require.NoError(t, err)
		require.Regexp(t, `^[A-Za-z0-9._-]+$`, a.Name, m.Name)
	}
}
