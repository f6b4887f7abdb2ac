package xla

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// Round trips through an engine buffer, by adoption (the pure-Go engine's
// way) and by copy (PJRT's way, exercised here on the pure-Go engine so it is
// tested on machines without a plugin), for every dtype the engine has.
func TestUploadDownloadRoundTrip(t *testing.T) {
	be, err := goEngine.start()
	require.NoError(t, err)
	cases := []*tensor.Tensor{
		tensor.MustFromSlice([]float32{1.5, -2, 3e-8}, 3),
		tensor.MustFromSlice([]float64{1e300, -0.25}, 2, 1),
		tensor.MustFromSlice([]tensor.BFloat16Value{tensor.BFloat16FromFloat32(1.5), tensor.BFloat16FromFloat32(-3)}, 2),
		tensor.MustFromSlice([]int8{-128, 127}, 2),
		tensor.MustFromSlice([]uint8{0, 255}, 2),
		tensor.MustFromSlice([]int32{-1 << 31, 7}, 2),
		tensor.MustFromSlice([]int64{1<<62 + 1, -5}, 1, 2),
		tensor.MustFromSlice([]bool{true, false, true}, 3),
		tensor.MustFromSlice([]float32{}, 0, 4),
	}
	for _, want := range cases {
		for _, adopt := range []bool{true, false} {
			buf, err := upload(be, want, false)
			require.NoError(t, err, "%v", want.DType())
			got, copied, err := download(be, buf, want.DType(), want.Shape(), adopt, false)
			require.NoError(t, err, "%v", want.DType())
			require.Equal(t, !adopt, copied)
			require.Equal(t, want.DType(), got.DType())
			require.True(t, tensor.Compare(got, want, tensor.Tolerance{}).Equal, "%v adopt=%v", want.DType(), adopt)
			// The engine copied the input: changing the result leaves it alone.
			if want.NumElements() > 0 && want.DType() == tensor.Float32 {
				tensor.MustView[float32](got)[0] = 42
				require.Equal(t, float32(1.5), tensor.MustView[float32](want)[0])
			}
		}
	}
	// float16, which the pure-Go engine carries as float32, goes up widened
	// and comes back narrowed, bit for bit.
	f16 := tensor.MustFromSlice([]tensor.Float16Value{0x3c01, 0x7bff, 0x0001, 0x8000, 0xfc00}, 5)
	for _, adopt := range []bool{true, false} {
		buf, err := upload(be, f16, true)
		require.NoError(t, err)
		got, copied, err := download(be, buf, tensor.Float16, f16.Shape(), adopt, true)
		require.NoError(t, err)
		require.True(t, copied)
		require.Equal(t, tensor.MustView[tensor.Float16Value](f16), tensor.MustView[tensor.Float16Value](got))
	}
}

func TestDownloadRejectsDTypeMismatch(t *testing.T) {
	be, err := goEngine.start()
	require.NoError(t, err)
	buf, err := upload(be, tensor.MustFromSlice([]int32{1}, 1), false)
	require.NoError(t, err)
	_, _, err = download(be, buf, tensor.Float32, tensor.Shape{1}, true, false)
	require.ErrorContains(t, err, "engine returned int32 data for a float32 output")
}
