package reference

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// TestBitcastFloat: 1.0 is 0x3f800000 and −2.0 is 0xc0000000 in IEEE-754 binary32.
func TestBitcastFloat(t *testing.T) {
	out, err := Eval("bitcast", ops.Attrs{"to": "int32"}, tensor.MustFromSlice([]float32{1, -2}, 2))
	require.NoError(t, err)
	require.Equal(t, []int32{0x3f800000, -0x40000000}, tensor.MustView[int32](out[0]))
	_, err = Eval("bitcast", ops.Attrs{"to": "bool"}, tensor.MustFromSlice([]uint8{2}, 1))
	require.ErrorContains(t, err, "not a bool")
}
