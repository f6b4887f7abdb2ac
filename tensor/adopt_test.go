package tensor

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// AdoptLittleEndian reads little-endian bytes as the element values
// (checked against values written with encoding/binary), shares an aligned
// buffer instead of copying it, copies an unaligned one, and refuses bad
// bools and wrong lengths.
func TestAdoptLittleEndian(t *testing.T) {
	vals := []float32{1, -2.5, float32(math.Inf(1)), 3e-8}
	raw := make([]byte, 0, 64)
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	got, err := AdoptLittleEndian(Float32, Shape{2, 2}, raw)
	require.NoError(t, err)
	require.Equal(t, vals, MustView[float32](got))
	require.Equal(t, Shape{2, 2}, got.Shape())
	if littleEndian {
		require.Same(t, &raw[0], &got.Bytes()[0], "an aligned buffer is adopted, not copied")
	}

	unaligned := append(make([]byte, 1, 17), raw...)[1:]
	got, err = AdoptLittleEndian(Float32, Shape{4}, unaligned)
	require.NoError(t, err)
	require.Equal(t, vals, MustView[float32](got))

	i64 := binary.LittleEndian.AppendUint64(nil, uint64(1<<40+7))
	got, err = AdoptLittleEndian(Int64, Shape{}, i64)
	require.NoError(t, err)
	require.Equal(t, []int64{1<<40 + 7}, MustView[int64](got))

	got, err = AdoptLittleEndian(Bool, Shape{3}, []byte{1, 0, 1})
	require.NoError(t, err)
	require.Equal(t, []bool{true, false, true}, MustView[bool](got))
	_, err = AdoptLittleEndian(Bool, Shape{2}, []byte{1, 2})
	require.Error(t, err)
	_, err = AdoptLittleEndian(Float32, Shape{3}, raw)
	require.ErrorIs(t, err, ErrShape)

	empty, err := AdoptLittleEndian(Float64, Shape{0, 5}, nil)
	require.NoError(t, err)
	require.Zero(t, empty.NumElements())
}
