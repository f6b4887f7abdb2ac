package onnxpb

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// onnxTestdata finds the shared ONNX test models: $BACKPLANE_ONNX_TESTDATA,
// else shared/testdata/onnx next to the repository root (../shared from the
// directory holding go.mod) or next to one of its ancestors, which is where
// it sits when the repository is a worktree one level further down.
func onnxTestdata(t *testing.T) string {
	if dir := os.Getenv("BACKPLANE_ONNX_TESTDATA"); dir != "" {
		return dir
	}
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return ""
		}
		root = parent
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "shared", "testdata", "onnx")
		if info, err := os.Stat(candidate); err == nil && info.IsDir() {
			return candidate
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// TestSharedTestdata decodes every model.onnx and .pb file of the shared
// ONNX test data, converts every tensor in them, and checks each model
// survives an encode/decode round trip.
func TestSharedTestdata(t *testing.T) {
	dir := onnxTestdata(t)
	if dir == "" {
		t.Skip("no shared/testdata/onnx found next to the repository root (set BACKPLANE_ONNX_TESTDATA)")
	}
	var models, tensors int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.Name() == "model.onnx":
			models++
			t.Run(rel, func(t *testing.T) { checkTestdataModel(t, path) })
		case strings.HasSuffix(path, ".pb"):
			tensors++
			t.Run(rel, func(t *testing.T) {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				tp, err := DecodeTensor(data)
				require.NoError(t, err)
				checkConvert(t, tp, nil)
			})
		}
		return nil
	})
	require.NoError(t, err)
	require.NotZero(t, models+tensors, "no model.onnx or .pb files under %s", dir)
	t.Logf("%s: %d models, %d tensor files", dir, models, tensors)
}

func checkTestdataModel(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	m, err := DecodeModel(data)
	require.NoError(t, err)
	require.NotNil(t, m.Graph)
	require.NotEmpty(t, m.Graph.Nodes)
	load := DirLoader(filepath.Dir(path))
	var walk func(g *Graph)
	walk = func(g *Graph) {
		for i := range g.Initializers {
			checkConvert(t, &g.Initializers[i], load)
		}
		for _, n := range g.Nodes {
			for _, a := range n.Attributes {
				if a.T != nil {
					checkConvert(t, a.T, load)
				}
				for i := range a.Tensors {
					checkConvert(t, &a.Tensors[i], load)
				}
				if a.G != nil {
					walk(a.G)
				}
				for i := range a.Graphs {
					walk(&a.Graphs[i])
				}
			}
		}
	}
	walk(m.Graph)

	b, err := EncodeModel(m)
	require.NoError(t, err)
	again, err := DecodeModel(b)
	require.NoError(t, err)
	require.Equal(t, m, again)
}

// checkConvert converts tp, which must succeed unless its data type is one
// backplane does not support (string tensors, which conformance runs skip).
func checkConvert(t *testing.T, tp *Tensor, load ExternalLoader) {
	got, err := ToTensor(tp, load)
	if errors.Is(err, ErrUnsupported) {
		_, dtErr := tp.DataType.DType()
		require.Error(t, dtErr, "only unsupported data types may fail: %v", err)
		return
	}
	require.NoError(t, err)
	require.Equal(t, len(tp.Dims), got.Rank())
}
