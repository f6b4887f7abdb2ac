package ops

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

func TestUint64Ops(t *testing.T) {
	u := Type{DType: tensor.Uint64, Shape: tensor.Shape{2}}
	out, err := Infer("add", []Type{u, u}, nil)
	require.NoError(t, err)
	require.Equal(t, tensor.Uint64, out[0].DType)
	_, err = Infer("less", []Type{u, u}, nil)
	require.ErrorIs(t, err, ErrUnsupported)
	require.Contains(t, err.Error(), "op less input 0: uint64 is supported by add")
	for _, name := range Uint64Ops() {
		_, ok := Lookup(name)
		require.True(t, ok, name)
	}
}
