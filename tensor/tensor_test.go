package tensor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReshapeToScalarShapeNotNil(t *testing.T) {
	x := MustFromSlice([]float32{5})
	s, err := x.Reshape()
	require.NoError(t, err)
	require.Equal(t, Shape{}, s.Shape()) // the same as New and Scalar produce
	require.Equal(t, Scalar(float32(5)).Shape(), s.Shape())
}
