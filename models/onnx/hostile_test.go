package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Whole-file hostile inputs at the importer level: every one must give a
// typed *Error (matching runtime.ErrInvalidArtifact too) that names what is
// at fault, never a panic.
func TestHostileModels(t *testing.T) {
	x := tin("x", onnxpb.Float, 2, 3)
	relu := func(in, out string) onnxpb.Node { return node("Relu", []string{in}, []string{out}) }
	cases := []struct {
		name      string
		m         *onnxpb.Model
		kind      error
		node      string
		input     string
		msgSubstr string
	}{
		{name: "cycle", m: model(13, []onnxpb.Node{
			{Name: "a", OpType: "Add", Inputs: []string{"x", "q"}, Outputs: []string{"p"}},
			{Name: "b", OpType: "Relu", Inputs: []string{"p"}, Outputs: []string{"q"}},
		}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("q")}),
			kind: ErrInvalidModel, node: "a", input: "q", msgSubstr: "cycle"},
		{name: "dangling input", m: model(13, []onnxpb.Node{relu("nowhere", "y")}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrInvalidModel, node: "Relu_node", input: "nowhere"},
		{name: "unknown op", m: model(13, []onnxpb.Node{node("Frobnicate", []string{"x"}, []string{"y"})}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrUnsupported, node: "Frobnicate_node", msgSubstr: "Frobnicate"},
		{name: "unknown domain", m: model(13, []onnxpb.Node{{Name: "n", OpType: "Relu", Domain: "com.example", Inputs: []string{"x"}, Outputs: []string{"y"}}},
			[]onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrUnsupported, node: "n", msgSubstr: "com.example"},
		{name: "opset too new", m: model(99, []onnxpb.Node{relu("x", "y")}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrUnsupported, msgSubstr: "opset 99"},
		{name: "output defined twice", m: model(13, []onnxpb.Node{relu("x", "y"), relu("x", "y")}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrInvalidModel, node: "Relu_node", msgSubstr: "also defined by"},
		{name: "graph output never defined", m: model(13, []onnxpb.Node{relu("x", "y")}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("z")}),
			kind: ErrInvalidModel, input: "z"},
		{name: "negative input dim", m: model(13, []onnxpb.Node{relu("x", "y")}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, -3)}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrInvalidModel, input: "x"},
		{name: "huge input dims", m: model(13, []onnxpb.Node{relu("x", "y")}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1<<40, 1<<40)}, []onnxpb.ValueInfo{tout("y")}),
			kind: ErrInvalidModel, input: "x"},
		{name: "initializer size differs from its shape", m: model(13, []onnxpb.Node{node("Add", []string{"x", "w"}, []string{"y"})},
			[]onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")},
			onnxpb.Tensor{Name: "w", Dims: []int64{3}, DataType: onnxpb.Float, FloatData: []float32{1, 2}}),
			kind: ErrInvalidModel, input: "w"},
		{name: "initializer claims a huge shape", m: model(13, []onnxpb.Node{node("Add", []string{"x", "w"}, []string{"y"})},
			[]onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")},
			onnxpb.Tensor{Name: "w", Dims: []int64{1 << 62, 4}, DataType: onnxpb.Float, RawData: []byte{0, 0, 0, 0}}),
			kind: ErrInvalidModel, input: "w"},
		{name: "string initializer", m: model(13, []onnxpb.Node{relu("x", "y")}, []onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")},
			onnxpb.Tensor{Name: "s", Dims: []int64{1}, DataType: onnxpb.String, StringData: [][]byte{[]byte("hi")}}),
			kind: ErrUnsupported, input: "s"},
		{name: "external data without a directory", m: model(13, []onnxpb.Node{node("Add", []string{"x", "w"}, []string{"y"})},
			[]onnxpb.ValueInfo{x}, []onnxpb.ValueInfo{tout("y")},
			onnxpb.Tensor{Name: "w", Dims: []int64{3}, DataType: onnxpb.Float, DataLocation: onnxpb.DataExternal,
				ExternalData: []onnxpb.StringPair{{Key: "location", Value: "w.bin"}}}),
			input: "w"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := importErr(t, c.m)
			if c.kind != nil {
				require.ErrorIs(t, e, c.kind)
			}
			require.ErrorIs(t, e, runtime.ErrInvalidArtifact, "import errors are artifact errors to the runtime")
			require.Equal(t, c.node, e.Node, "%v", e)
			if c.input != "" {
				require.Equal(t, c.input, e.Input, "%v", e)
			}
			if c.msgSubstr != "" {
				require.ErrorContains(t, e, c.msgSubstr)
			}
		})
	}
}

// External data that tries to leave the model's directory is refused by
// ImportFile, naming the initializer.
func TestExternalDataEscapesAreRefused(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.bin")
	require.NoError(t, os.WriteFile(secret, make([]byte, 12), 0o644))
	modelDir := filepath.Join(dir, "model")
	require.NoError(t, os.Mkdir(modelDir, 0o755))
	for _, loc := range []string{"../secret.bin", secret} {
		m := model(13, []onnxpb.Node{node("Add", []string{"x", "w"}, []string{"y"})},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 3)}, []onnxpb.ValueInfo{tout("y")},
			onnxpb.Tensor{Name: "w", Dims: []int64{3}, DataType: onnxpb.Float, DataLocation: onnxpb.DataExternal,
				ExternalData: []onnxpb.StringPair{{Key: "location", Value: loc}}})
		data, err := onnxpb.EncodeModel(m)
		require.NoError(t, err)
		path := filepath.Join(modelDir, "model.onnx")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		_, err = ImportFile(path, Options{})
		var e *Error
		require.ErrorAs(t, err, &e, "location %q", loc)
		require.Equal(t, "w", e.Input)
	}
	// The same tensor inside the directory loads: 1, 2, 3 as little-endian float32.
	raw := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40}
	require.NoError(t, os.WriteFile(filepath.Join(modelDir, "w.bin"), raw, 0o644))
	m := model(13, []onnxpb.Node{node("Add", []string{"x", "w"}, []string{"y"})},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 3)}, []onnxpb.ValueInfo{tout("y")},
		onnxpb.Tensor{Name: "w", Dims: []int64{3}, DataType: onnxpb.Float, DataLocation: onnxpb.DataExternal,
			ExternalData: []onnxpb.StringPair{{Key: "location", Value: "w.bin"}}})
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	path := filepath.Join(modelDir, "model.onnx")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	art, err := ImportFile(path, Options{})
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2, 3}, tensor.MustView[float32](art.Initializers["w"]))
}

// Truncated model files: every prefix fails with a typed error or, at a
// field boundary, decodes to something the importer then judges; never a panic.
func TestTruncatedModelFile(t *testing.T) {
	m := model(13, []onnxpb.Node{node("Relu", []string{"x"}, []string{"y"})},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2)}, []onnxpb.ValueInfo{tout("y")})
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	for n := 0; n < len(data); n++ {
		_, err := Import(data[:n], Options{Name: "cut"})
		if err == nil {
			continue // a prefix ending between top-level fields can be a complete, smaller model
		}
		var e *Error
		require.True(t, errors.As(err, &e), "prefix %d: %v", n, err)
	}
}
