package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// formatTestOp is a test-only op, so the format tests have valid graphs while
// the real catalog is filled in elsewhere: it returns its first input and
// accepts one optional attribute of every kind.
const formatTestOp = "formattest_identity"

func init() {
	ops.Register(&ops.Op{
		Name:   formatTestOp,
		Doc:    "Test-only op of runtime/format_test.go: returns input x; the optional input and attributes are ignored.",
		Inputs: []ops.InputSpec{{Name: "x"}, {Name: "ignored", Optional: true}},
		Attrs: []ops.AttrSpec{
			{Name: "i", Kind: ops.AttrInt}, {Name: "is", Kind: ops.AttrInts}, {Name: "f", Kind: ops.AttrFloat},
			{Name: "fs", Kind: ops.AttrFloats}, {Name: "s", Kind: ops.AttrString},
		},
		Infer: func(in []ops.Type, _ ops.Attrs) ([]ops.Type, error) { return []ops.Type{in[0]}, nil },
	})
}

// formatTestArtifact returns a fresh artifact using every initializer dtype
// (with a scalar and a zero-size tensor), symbolic dims, every attribute kind,
// an omitted optional input, and outputs with and without declared types.
func formatTestArtifact() *Artifact {
	f16 := []tensor.Float16Value{tensor.Float16Value(0x3c00), tensor.Float16Value(0xfc00), tensor.Float16Value(0x7e01)} // 1, -Inf, a NaN
	empty, _ := tensor.New(tensor.Float32, 0, 4)
	return &Artifact{
		Name:     "format-test",
		Metadata: map[string]string{"author": "backplane", "description": "round-trip fixture", "": "empty key"},
		Inputs:   []ValueInfo{{Name: "x", DType: tensor.Float32, Dims: []Dim{Symbolic("batch"), Static(3)}}},
		Outputs: []ValueInfo{
			{Name: "y", DType: tensor.Float32, Dims: []Dim{Symbolic("batch"), Static(3)}},
			{Name: "i64_out"}, // type left to inference: nil Dims
			{Name: "scalar_out", DType: tensor.Float32, Dims: []Dim{}}, // declared scalar: empty, not nil
		},
		Nodes: []Node{
			{Name: "id", Op: formatTestOp, Inputs: []string{"x", ""}, Outputs: []string{"y"}, Attrs: ops.Attrs{
				"i": -7, "is": []int{1, -2, 1 << 40, math.MinInt64}, "f": 0.5,
				"fs": []float64{math.Inf(1), math.Copysign(0, -1), 1e-300}, "s": "héllo",
			}},
			{Name: "pass_i64", Op: formatTestOp, Inputs: []string{"w_i64"}, Outputs: []string{"i64_out"}},
			{Name: "pass_scalar", Op: formatTestOp, Inputs: []string{"scalar"}, Outputs: []string{"scalar_out"}},
		},
		Initializers: map[string]*tensor.Tensor{
			"w_f32":  tensor.MustFromSlice([]float32{1.5, -2, float32(math.Inf(-1)), 3e-38}, 2, 2),
			"w_f64":  tensor.MustFromSlice([]float64{math.Pi, -1e300}),
			"w_f16":  tensor.MustFromSlice(f16),
			"w_bf16": tensor.MustFromSlice([]tensor.BFloat16Value{tensor.BFloat16FromFloat32(1), 0x8001}),
			"w_i8":   tensor.MustFromSlice([]int8{-128, 0, 127}),
			"w_u8":   tensor.MustFromSlice([]uint8{0, 255}),
			"w_i32":  tensor.MustFromSlice([]int32{math.MinInt32, 1, math.MaxInt32}, 3, 1),
			"w_i64":  tensor.MustFromSlice([]int64{math.MinInt64, -1, 0, math.MaxInt64}, 2, 1, 2),
			"w_bool": tensor.MustFromSlice([]bool{true, false, true}),
			"scalar": tensor.Scalar(float32(42)),
			"empty":  empty,
		},
	}
}

// requireSameArtifact compares two artifacts field by field; empty and nil
// lists and maps are the same except for ValueInfo.Dims, where nil means
// "undeclared". Tensors compare by dtype, shape and raw bits (so NaNs match).
func requireSameArtifact(t *testing.T, want, got *Artifact) {
	t.Helper()
	require.Equal(t, want.Name, got.Name)
	require.Equal(t, len(want.Metadata), len(got.Metadata), "metadata")
	for k, v := range want.Metadata {
		require.Equal(t, v, got.Metadata[k], "metadata %q", k)
	}
	require.Equal(t, want.Inputs, got.Inputs)
	require.Equal(t, want.Outputs, got.Outputs)
	require.Equal(t, len(want.Nodes), len(got.Nodes), "nodes")
	for i, w := range want.Nodes {
		g := got.Nodes[i]
		require.Equal(t, w.Name, g.Name)
		require.Equal(t, w.Op, g.Op)
		require.Equal(t, len(w.Inputs), len(g.Inputs), "node %s inputs", w.Name)
		for j := range w.Inputs {
			require.Equal(t, w.Inputs[j], g.Inputs[j])
		}
		require.Equal(t, len(w.Outputs), len(g.Outputs), "node %s outputs", w.Name)
		for j := range w.Outputs {
			require.Equal(t, w.Outputs[j], g.Outputs[j])
		}
		require.Equal(t, len(w.Attrs), len(g.Attrs), "node %s attrs", w.Name)
		for k, v := range w.Attrs {
			require.Equal(t, v, g.Attrs[k], "node %s attr %q", w.Name, k)
		}
	}
	require.Equal(t, len(want.Initializers), len(got.Initializers), "initializers")
	for name, w := range want.Initializers {
		g, ok := got.Initializers[name]
		require.True(t, ok, "initializer %q missing", name)
		require.Equal(t, w.DType(), g.DType(), name)
		require.Equal(t, w.Shape(), g.Shape(), name)
		require.Equal(t, w.Bytes(), g.Bytes(), name)
	}
}

// encodeBodyUnchecked encodes a's body without validating it, for tests that
// need files holding invalid graphs.
func encodeBodyUnchecked(t testing.TB, a *Artifact) []byte {
	t.Helper()
	e := &encoder{}
	require.NoError(t, e.artifact(a))
	return e.buf
}

// frameBody builds a file around a body exactly as format.go documents it,
// independently of the encoder: magic, version, length, body, CRC-32C.
func frameBody(body []byte, version uint32) []byte {
	b := []byte("\x89BPA\r\n\x1a\n")
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(body)))
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

func TestArtifactRoundTrip(t *testing.T) {
	want := formatTestArtifact()
	require.NoError(t, want.Validate())
	data, err := want.MarshalBinary()
	require.NoError(t, err)

	var buf bytes.Buffer
	n, err := want.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	require.Equal(t, data, buf.Bytes(), "WriteTo and MarshalBinary must agree")

	path := filepath.Join(t.TempDir(), "model.bpa")
	require.NoError(t, want.Save(path))

	decoders := []struct {
		name   string
		decode func() (*Artifact, error)
	}{
		{"UnmarshalArtifact", func() (*Artifact, error) { return UnmarshalArtifact(data) }},
		{"ReadArtifact", func() (*Artifact, error) { return ReadArtifact(bytes.NewReader(data)) }},
		{"ReadArtifact/one byte at a time", func() (*Artifact, error) {
			return ReadArtifact(iotest.OneByteReader(bytes.NewReader(data)))
		}},
		{"LoadArtifact", func() (*Artifact, error) { return LoadArtifact(path) }},
	}
	for _, tc := range decoders {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decode()
			require.NoError(t, err)
			requireSameArtifact(t, want, got)
			again, err := got.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, data, again, "decode then encode must give the same bytes")
		})
	}
}

func TestArtifactRoundTripSwappedByteOrder(t *testing.T) {
	// Pretend the host is big-endian: the encoder then swaps every element
	// into the file and the decoder swaps it back, which exercises that path.
	want := formatTestArtifact()
	native, err := want.MarshalBinary()
	require.NoError(t, err)
	littleEndianHost = !littleEndianHost
	defer func() { littleEndianHost = !littleEndianHost }()
	swapped, err := want.MarshalBinary()
	require.NoError(t, err)
	require.NotEqual(t, native, swapped)
	got, err := UnmarshalArtifact(swapped)
	require.NoError(t, err)
	requireSameArtifact(t, want, got)

	var buf bytes.Buffer
	_, err = want.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, swapped, buf.Bytes())

	b := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	swapElements(b, 4)
	require.Equal(t, []byte{4, 3, 2, 1, 8, 7, 6, 5}, b)
}

func TestArtifactEncodingIsDeterministic(t *testing.T) {
	first, err := formatTestArtifact().MarshalBinary()
	require.NoError(t, err)
	for range 20 { // map iteration order differs from run to run
		again, err := formatTestArtifact().MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, first, again)
	}

	// Same content inserted in opposite orders.
	build := func(reverse bool) *Artifact {
		a := formatTestArtifact()
		a.Metadata = map[string]string{}
		for i := range 100 {
			k := i
			if reverse {
				k = 99 - i
			}
			a.Metadata[strings.Repeat("k", k)] = "v"
		}
		return a
	}
	x, err := build(false).MarshalBinary()
	require.NoError(t, err)
	y, err := build(true).MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, x, y)
}

func TestFingerprint(t *testing.T) {
	base, err := formatTestArtifact().Fingerprint()
	require.NoError(t, err)
	require.Len(t, base, 64)

	cases := []struct {
		name   string
		change func(a *Artifact)
		same   bool
	}{
		{"unchanged", func(a *Artifact) {}, true},
		{"renamed", func(a *Artifact) { a.Name = "renamed-model" }, true},
		{"metadata edited", func(a *Artifact) { a.Metadata["description"] = "something else" }, true},
		{"metadata removed", func(a *Artifact) { a.Metadata = nil }, true},
		{"one weight element", func(a *Artifact) { tensor.MustView[float32](a.Initializers["w_f32"])[3] = 0 }, false},
		{"one bool element", func(a *Artifact) { tensor.MustView[bool](a.Initializers["w_bool"])[1] = true }, false},
		{"weight shape", func(a *Artifact) {
			w, _ := a.Initializers["w_f32"].Reshape(4)
			a.Initializers["w_f32"] = w
		}, false},
		{"weight renamed", func(a *Artifact) {
			a.Initializers["w_f32b"] = a.Initializers["w_f32"]
			delete(a.Initializers, "w_f32")
		}, false},
		{"one int attr", func(a *Artifact) { a.Nodes[0].Attrs["i"] = -6 }, false},
		{"one ints element", func(a *Artifact) { a.Nodes[0].Attrs["is"].([]int)[0] = 2 }, false},
		{"one float attr", func(a *Artifact) { a.Nodes[0].Attrs["f"] = 0.25 }, false},
		{"string attr", func(a *Artifact) { a.Nodes[0].Attrs["s"] = "hello" }, false},
		{"attr removed", func(a *Artifact) { delete(a.Nodes[0].Attrs, "fs") }, false},
		{"symbolic dim renamed", func(a *Artifact) { a.Inputs[0].Dims[0] = Symbolic("n") }, false},
		{"static dim", func(a *Artifact) { a.Inputs[0].Dims[1] = Static(4) }, false},
		{"input dtype", func(a *Artifact) { a.Inputs[0].DType = tensor.Float64 }, false},
		{"output declaration dropped", func(a *Artifact) { a.Outputs[0].Dims = nil }, false},
		{"node renamed", func(a *Artifact) { a.Nodes[1].Name = "other" }, false},
		{"optional input given", func(a *Artifact) { a.Nodes[0].Inputs[1] = "x" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := formatTestArtifact()
			tc.change(a)
			fp, err := a.Fingerprint()
			require.NoError(t, err)
			if tc.same {
				require.Equal(t, base, fp)
			} else {
				require.NotEqual(t, base, fp)
			}
		})
	}
}

func TestFingerprintRejectsUnencodable(t *testing.T) {
	a := formatTestArtifact()
	a.Nodes[0].Attrs["i"] = int32(3) // not canonical
	_, err := a.Fingerprint()
	require.ErrorIs(t, err, ErrInvalidArtifact)
	require.ErrorContains(t, err, `"i"`)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "id", e.Node)
}

// TestFormatLayout pins the documented byte layout with a small artifact
// whose encoding is written out by hand from the grammar in format.go.
func TestFormatLayout(t *testing.T) {
	a := &Artifact{
		Name:     "g",
		Metadata: map[string]string{"k": "v"},
		Inputs:   []ValueInfo{{Name: "x", DType: tensor.Float32, Dims: []Dim{Symbolic("n"), Static(2)}}},
		Outputs:  []ValueInfo{{Name: "y", DType: tensor.Float32}},
		Nodes: []Node{{Name: "id", Op: formatTestOp, Inputs: []string{"x", ""}, Outputs: []string{"y"},
			Attrs: ops.Attrs{"i": -1, "f": 1.0, "s": "a", "is": []int{1, 2}, "fs": []float64{0.5}}}},
		Initializers: map[string]*tensor.Tensor{
			"w": tensor.MustFromSlice([]int32{1, -1}),
			"b": tensor.Scalar(true),
		},
	}
	meta := "01 67" + // name "g"
		"01 01 6b 01 76" // 1 metadata entry: "k" = "v"
	graph := "01" + // 1 input
		"01 78 01 01 02 01 016e 00 02" + // "x", float32, has dims, rank 2: symbolic "n", static 2
		"01" + // 1 output
		"01 79 01 00" + // "y", float32, no dims
		"01" + // 1 node
		"02 6964 13" + hex.EncodeToString([]byte(formatTestOp)) + // "id", op (19 bytes)
		"02 01 78 00 01 01 79" + // inputs "x", "", outputs "y"
		"05" + // 5 attributes, sorted by name
		"01 66 03 000000000000f03f" + // "f": float 1.0
		"02 6673 04 01 000000000000e03f" + // "fs": floats [0.5]
		"01 69 01 01" + // "i": int -1 (zig-zag 1)
		"02 6973 02 02 02 04" + // "is": ints [1 2] (zig-zag 2 4)
		"01 73 05 01 61" + // "s": string "a"
		"02" + // 2 initializers, sorted by name
		"01 62 09 00 01" + // "b": bool scalar true
		"01 77 07 01 02 01000000 ffffffff" // "w": int32 [2] {1, -1}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		require.NoError(t, err)
		return b
	}
	body := append(unhex(meta), unhex(graph)...)

	data, err := a.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, frameBody(body, 1), data)
	require.Equal(t, "\x89BPA\r\n\x1a\n", string(data[:8]))

	fp, err := a.Fingerprint()
	require.NoError(t, err)
	sum := sha256.Sum256(append([]byte("backplane artifact fingerprint, format v1\n"), unhex(graph)...))
	require.Equal(t, hex.EncodeToString(sum[:]), fp)
}

func TestSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.bpa")
	a := formatTestArtifact()
	require.NoError(t, a.Save(path))
	b := formatTestArtifact()
	b.Metadata["version"] = "2"
	require.NoError(t, b.Save(path), "saving over an existing file")

	got, err := LoadArtifact(path)
	require.NoError(t, err)
	requireSameArtifact(t, b, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file may be left behind")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o644), fi.Mode().Perm())

	t.Run("invalid artifact is not written", func(t *testing.T) {
		bad := formatTestArtifact()
		bad.Nodes[0].Op = "no_such_op"
		target := filepath.Join(dir, "bad.bpa")
		err := bad.Save(target)
		require.ErrorIs(t, err, ErrInvalidArtifact)
		_, statErr := os.Stat(target)
		require.ErrorIs(t, statErr, fs.ErrNotExist)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1)
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadArtifact(filepath.Join(dir, "absent.bpa"))
		require.ErrorIs(t, err, ErrIO)
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
	t.Run("missing directory", func(t *testing.T) {
		err := a.Save(filepath.Join(dir, "no", "such", "dir.bpa"))
		require.ErrorIs(t, err, ErrIO)
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
	t.Run("corrupt file names the path", func(t *testing.T) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		damaged := filepath.Join(dir, "damaged.bpa")
		require.NoError(t, os.WriteFile(damaged, data[:len(data)-1], 0o644))
		_, err = LoadArtifact(damaged)
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, damaged)
		require.ErrorContains(t, err, "truncated")
	})
}

func TestWriteToReportsWriteErrors(t *testing.T) {
	a := formatTestArtifact()
	data, err := a.MarshalBinary()
	require.NoError(t, err)
	for _, limit := range []int{0, 10, len(data) / 2, len(data) - 1} {
		w := &limitedWriter{limit: limit}
		n, err := a.WriteTo(w)
		require.ErrorIs(t, err, ErrIO, "limit %d", limit)
		require.ErrorIs(t, err, errDiskFull)
		require.Equal(t, int64(limit), n, "bytes written")
		require.True(t, bytes.Equal(data[:limit], w.buf.Bytes()), "what reached the writer")
	}
}

var errDiskFull = errors.New("disk full")

// limitedWriter accepts limit bytes, then fails.
type limitedWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if len(p) <= room {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:room])
	return room, errDiskFull
}

func TestReadArtifactStream(t *testing.T) {
	data, err := formatTestArtifact().MarshalBinary()
	require.NoError(t, err)

	_, err = ReadArtifact(io.MultiReader(bytes.NewReader(data), strings.NewReader("x")))
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "trailing bytes")

	_, err = ReadArtifact(bytes.NewReader(data[:len(data)-3]))
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "truncated")

	_, err = ReadArtifact(iotest.TimeoutReader(bytes.NewReader(data)))
	require.ErrorIs(t, err, ErrIO)
	require.ErrorIs(t, err, iotest.ErrTimeout)

	_, err = ReadArtifact(strings.NewReader(""))
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "truncated")
}
