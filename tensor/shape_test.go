package tensor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBroadcastShapesRejectsInvalid(t *testing.T) {
	_, err := BroadcastShapes(Shape{2, -1}, Shape{2, 1})
	require.ErrorIs(t, err, ErrShape)
	_, err = BroadcastShapes(Shape{1 << 30, 1}, Shape{1, 1 << 30}) // 2^60 elements
	require.ErrorIs(t, err, ErrShape)
}
