package onnxpb

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// externalFixture lays out
//
//	root/secret.bin            outside the model directory
//	root/model/weights.bin     16 bytes: float32 1, 2, 3, 4
//	root/model/sub/w.bin       the same 16 bytes
//	root/model/escape.bin ->   ../secret.bin (a symlink leaving the directory)
//	root/model/inside.bin ->   sub/w.bin (a symlink staying inside)
//	root/model/sub/dir/        a directory
//
// and returns the model directory.
func externalFixture(t *testing.T) string {
	root := t.TempDir()
	dir := filepath.Join(root, "model")
	data := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub", "dir"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "secret.bin"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "weights.bin"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "w.bin"), data, 0o644))
	require.NoError(t, os.Symlink(filepath.Join("..", "secret.bin"), filepath.Join(dir, "escape.bin")))
	require.NoError(t, os.Symlink(filepath.Join("sub", "w.bin"), filepath.Join(dir, "inside.bin")))
	return dir
}

func externalTensor(location string, dims []int64, kv ...string) *Tensor {
	t := &Tensor{Name: "w", Dims: dims, DataType: Float, DataLocation: DataExternal,
		ExternalData: []StringPair{{"location", location}}}
	for i := 0; i+1 < len(kv); i += 2 {
		t.ExternalData = append(t.ExternalData, StringPair{kv[i], kv[i+1]})
	}
	return t
}

func TestExternalData(t *testing.T) {
	dir := externalFixture(t)
	load := DirLoader(dir)
	ok := []struct {
		name string
		t    *Tensor
		want []float32
	}{
		{"whole file, no length", externalTensor("weights.bin", []int64{4}), []float32{1, 2, 3, 4}},
		{"offset and length", externalTensor("weights.bin", []int64{2}, "offset", "8", "length", "8"), []float32{3, 4}},
		{"offset only", externalTensor("weights.bin", []int64{1}, "offset", "4"), []float32{2}},
		{"subdirectory", externalTensor("sub/w.bin", []int64{2, 2}, "checksum", "ignored"), []float32{1, 2, 3, 4}},
		{"dot segments staying inside", externalTensor("sub/../weights.bin", []int64{1}), []float32{1}},
		{"symlink staying inside", externalTensor("inside.bin", []int64{1}, "offset", "12"), []float32{4}},
		{"zero elements", externalTensor("weights.bin", []int64{0}, "offset", "16"), []float32{}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ToTensor(tc.t, load)
			require.NoError(t, err)
			require.Equal(t, tc.want, got.Data())
		})
	}

	abs := filepath.Join(dir, "weights.bin")
	bad := []struct {
		name string
		t    *Tensor
		msg  string
	}{
		{"absolute path", externalTensor(abs, []int64{1}), "absolute path"},
		{"dot-dot escape", externalTensor("../secret.bin", []int64{1}), "leaves the model directory"},
		{"nested escape", externalTensor("sub/../../secret.bin", []int64{1}), "leaves the model directory"},
		{"symlink escape", externalTensor("escape.bin", []int64{1}), "resolves outside"},
		{"directory", externalTensor("sub/dir", []int64{0}), "not a regular file"},
		{"offset+length beyond file", externalTensor("weights.bin", []int64{2}, "offset", "12", "length", "8"),
			"exceed the file's 16 bytes"},
		{"offset beyond file", externalTensor("weights.bin", []int64{1}, "offset", "17"), "exceed"},
		{"more elements than the file", externalTensor("weights.bin", []int64{5}), "exceed"},
		{"length disagrees with dims", externalTensor("weights.bin", []int64{2}, "length", "4"), "length 4, want 8"},
		{"negative offset", externalTensor("weights.bin", []int64{1}, "offset", "-4"), "non-negative"},
		{"non-numeric length", externalTensor("weights.bin", []int64{1}, "length", "4k"), "non-negative"},
		{"duplicate key", externalTensor("weights.bin", []int64{1}, "location", "sub/w.bin"), "twice"},
		{"empty location", externalTensor("", []int64{1}), "without a location"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToTensor(tc.t, load)
			require.ErrorIs(t, err, ErrMalformed)
			require.Contains(t, err.Error(), tc.msg)
			require.Contains(t, err.Error(), `tensor "w": `)
		})
	}

	_, err := ToTensor(externalTensor("missing.bin", []int64{1}), load)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestDirLoaderDirect(t *testing.T) {
	dir := externalFixture(t)
	load := DirLoader(dir)
	b, err := load("weights.bin", 4, 4)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0, 0, 0x40}, b)
	for _, tc := range []struct{ off, n int64 }{{-1, 1}, {0, -1}, {16, 1}, {0, 17}, {1 << 62, 1 << 62}} {
		_, err := load("weights.bin", tc.off, tc.n)
		require.ErrorIs(t, err, ErrMalformed, strconv.FormatInt(tc.off, 10))
	}
	// The model directory itself may be reached through a symlink.
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(dir, link))
	b, err = DirLoader(link)("sub/w.bin", 0, 4)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0, 0x80, 0x3f}, b)
}
