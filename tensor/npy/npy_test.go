package npy

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// file assembles a version 1.0 .npy file from a header dict and raw data.
func file(header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestReadHandMadeFile(t *testing.T) {
	// float32 1.0 is 0x3f800000 and 2.0 is 0x40000000, little-endian.
	raw := file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
		[]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})
	got, err := Read(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{2}, got.Shape())
	require.Equal(t, []float32{1, 2}, tensor.MustView[float32](got))

	// A scalar int64 (shape ()) holding -2.
	raw = file("{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n",
		[]byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	got, err = Read(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, 0, got.Rank())
	require.Equal(t, []int64{-2}, tensor.MustView[int64](got))
}

func TestRoundTrip(t *testing.T) {
	cases := []*tensor.Tensor{
		tensor.MustFromSlice([]float32{1, -2.5, 3}, 3),
		tensor.MustFromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3),
		tensor.MustFromSlice([]int8{-128, 127}, 2),
		tensor.MustFromSlice([]uint8{0, 255, 7, 8}, 2, 2),
		tensor.MustFromSlice([]int32{-1, 1 << 30}, 1, 2),
		tensor.MustFromSlice([]int64{1 << 60, -1}, 2),
		tensor.MustFromSlice([]bool{true, false, true}, 3, 1),
		tensor.MustFromSlice([]float32{}, 0, 4),
		tensor.Scalar[float64](3.5),
	}
	for _, want := range cases {
		t.Run(want.DType().String()+want.Shape().String(), func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, want))
			require.Zero(t, (buf.Len()-want.NumBytes())%64, "data must start 64-byte aligned")
			got, err := Read(&buf)
			require.NoError(t, err)
			require.True(t, tensor.Compare(got, want, tensor.Tolerance{}).Equal)
		})
	}
}

func TestWriteRejectsBFloat16(t *testing.T) {
	bf, err := tensor.New(tensor.BFloat16, 2)
	require.NoError(t, err)
	require.Error(t, Write(&bytes.Buffer{}, bf))
}

func TestReadErrors(t *testing.T) {
	f4 := func(shape string, data []byte) []byte {
		return file("{'descr': '<f4', 'fortran_order': False, 'shape': "+shape+", }\n", data)
	}
	cases := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x00\x00")},
		{"future version", []byte("\x93NUMPY\x09\x00\x00\x00")},
		{"header cut short", file("{'descr': '<f4',", nil)[:14]},
		{"not a dict", file("descr <f4\n", nil)},
		{"big-endian", file("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", []byte{0, 0, 0, 0})},
		{"fortran order", file("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", []byte{0, 0, 0, 0})},
		{"negative dim", f4("(-1,)", nil)},
		{"bad dim", f4("(x,)", nil)},
		{"truncated data", f4("(2,)", []byte{0, 0, 0x80, 0x3f})},
		// Claims 2^39 elements (2 TiB) but carries 4 bytes: must fail without allocating the claim.
		{"huge claim", f4("(549755813888,)", []byte{0, 0, 0, 0})},
		{"over element limit", f4("(1099511627776, 2)", nil)},
		{"bool byte not 0/1", file("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", []byte{2})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.raw))
			require.ErrorIs(t, err, ErrFormat)
		})
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	require.NoError(f, Write(&buf, tensor.MustFromSlice([]float32{1, 2, 3, 4}, 2, 2)))
	f.Add(buf.Bytes())
	f.Add(file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{1, 0, 1}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Read(bytes.NewReader(raw))
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same tensor.
		var out bytes.Buffer
		require.NoError(t, Write(&out, got))
		again, err := Read(&out)
		require.NoError(t, err)
		require.True(t, tensor.Compare(again, got, tensor.Tolerance{}).Equal)
	})
}
