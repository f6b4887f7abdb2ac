package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// exportChain builds x (float32 [2,2]) → relu "r" → cast "c" to dtype →
// the node "bad" applying op to the cast value (and itself for two-input ops).
func exportChain(t *testing.T, d tensor.DType, op string, attrs ops.Attrs, inputs int) *runtime.Artifact {
	t.Helper()
	b := runtime.NewBuilder("chain")
	x := b.Input("x", tensor.Float32, runtime.Static(2), runtime.Static(2))
	v := b.NamedOp("c", "cast", 1, ops.Attrs{"to": d.String()}, b.NamedOp("r", "relu", 1, nil, x)[0])[0]
	args := []runtime.Value{v, v}[:inputs]
	b.Output("y", b.NamedOp("bad", op, 1, attrs, args...)[0])
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

func TestExportErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		a       func(t *testing.T) *runtime.Artifact
		opset   int
		kind    error
		node    string
		op      string
		message string
	}{
		{name: "nil artifact", a: func(*testing.T) *runtime.Artifact { return nil },
			kind: runtime.ErrInvalidArtifact, message: "nil artifact"},
		{name: "opset too old", a: func(t *testing.T) *runtime.Artifact {
			return exportChain(t, tensor.Float32, "relu", nil, 1)
		}, opset: 16, kind: ErrInvalidOption, message: "opset 16 (supported: 17 to 26)"},
		{name: "opset too new", a: func(t *testing.T) *runtime.Artifact {
			return exportChain(t, tensor.Float32, "relu", nil, 1)
		}, opset: 27, kind: ErrInvalidOption, message: "opset 27"},
		{name: "op not in the catalog", a: func(*testing.T) *runtime.Artifact {
			return &runtime.Artifact{Name: "frob",
				Inputs:  []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2)}},
				Outputs: []runtime.ValueInfo{{Name: "y"}},
				Nodes:   []runtime.Node{{Name: "n1", Op: "frobnicate", Inputs: []string{"x"}, Outputs: []string{"y"}}}}
		}, kind: runtime.ErrInvalidArtifact, node: "n1", op: "frobnicate"},
		{name: "dangling input", a: func(*testing.T) *runtime.Artifact {
			return &runtime.Artifact{Name: "dangling",
				Inputs:  []runtime.ValueInfo{{Name: "x", DType: tensor.Float32, Dims: runtime.Dims(2)}},
				Outputs: []runtime.ValueInfo{{Name: "y"}},
				Nodes:   []runtime.Node{{Name: "n1", Op: "add", Inputs: []string{"x", "nowhere"}, Outputs: []string{"y"}}}}
		}, kind: runtime.ErrInvalidArtifact, node: "n1", op: "add"},
		{name: "int8 matmul (MatMul has no int8)", a: func(t *testing.T) *runtime.Artifact {
			return exportChain(t, tensor.Int8, "matmul", nil, 2)
		}, kind: ErrUnsupported, node: "bad", op: "matmul", message: "ONNX MatMul takes float32, float64, float16, bfloat16, int32, int64 at opset 17, not int8"},
		{name: "uint8 reduce_sum", a: func(t *testing.T) *runtime.Artifact {
			return exportChain(t, tensor.Uint8, "reduce_sum", nil, 1)
		}, opset: 21, kind: ErrUnsupported, node: "bad", op: "reduce_sum", message: "not uint8"},
		{name: "uint8 relu", a: func(t *testing.T) *runtime.Artifact {
			return exportChain(t, tensor.Uint8, "relu", nil, 1)
		}, kind: ErrUnsupported, node: "bad", op: "relu", message: "ONNX Relu"},
		{name: "dilated avg_pool before opset 19", a: func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "dilations": []int{2}}, []any{1, 1, 5})
		}, opset: 18, kind: ErrUnsupported, node: "n", op: "avg_pool", message: "opset 19"},
		{name: "float attribute beyond float32", a: func(t *testing.T) *runtime.Artifact {
			return exportChain(t, tensor.Float64, "leaky_relu", ops.Attrs{"alpha": 1e300}, 1)
		}, kind: ErrUnsupported, node: "bad", op: "leaky_relu", message: `attribute "alpha" is 1e+300`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Export(c.a(t), ExportOptions{Opset: c.opset})
			require.Error(t, err)
			var e *ExportError
			require.ErrorAs(t, err, &e)
			require.ErrorIs(t, err, c.kind)
			require.Equal(t, c.node, e.Node)
			require.Equal(t, c.op, e.Op)
			require.Contains(t, err.Error(), c.message)
		})
	}
}

// TestExportSizeLimit lowers the 2 GiB limit to check the refusal of a
// model whose weights would not fit one protobuf message.
func TestExportSizeLimit(t *testing.T) {
	a, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 9})
	require.NoError(t, err)
	// weights: 4·3 + 3 + 3·2 + 2 = 23 float32 values = 92 bytes
	defer func(old int64) { exportMaxBytes = old }(exportMaxBytes)
	exportMaxBytes = 92
	_, err = Export(a, ExportOptions{})
	require.NoError(t, err)
	exportMaxBytes = 91
	_, err = Export(a, ExportOptions{})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "92 bytes of initializers exceed protobuf's 2 GiB message limit")
}

func TestExportFile(t *testing.T) {
	a, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 9})
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "mlp.onnx")
	require.NoError(t, ExportFile(path, a, ExportOptions{}))
	back, err := ImportFile(path, Options{})
	require.NoError(t, err)
	require.Equal(t, "mlp", back.Name) // ImportFile names the artifact after the file
	x := tensor.MustFromSlice([]float32{1, -2, 3, -4, 0.5, 0.25, -1, 2}, 2, 4)
	exportRequireClose(t, exportRunRef(t, back, []*tensor.Tensor{x}), exportRunRef(t, a, []*tensor.Tensor{x}), tensor.Tolerance{})

	err = ExportFile(filepath.Join(dir, "missing", "mlp.onnx"), a, ExportOptions{})
	require.ErrorIs(t, err, runtime.ErrIO)
	require.ErrorIs(t, err, os.ErrNotExist)
	var e *ExportError
	require.True(t, errors.As(err, &e))
}

// FuzzExport exports whatever ONNX model the importer accepts: the export
// must succeed or be refused with an *ExportError, never panic, and what it
// writes must import back. ONNX bytes carry no checksum, so mutations reach
// the graph's structure (artifact files would mostly fail their checksum).
// Seeds are exported op cases and a small CNN.
func FuzzExport(f *testing.F) {
	add := func(a *runtime.Artifact, opset int) {
		if data, err := Export(a, ExportOptions{Opset: opset}); err == nil {
			f.Add(data, uint8(opset-MinExportOpset))
		}
	}
	for i, c := range optest.Cases() {
		if i%4 != 0 {
			continue // a spread of ops is enough to seed the corpus
		}
		if a, _, err := exportSingleNode(c.Name, c.Op, c.Attrs, c.Inputs, len(c.Want)); err == nil {
			add(a, MinExportOpset+i%(MaxExportOpset-MinExportOpset+1))
		}
	}
	if a, err := models.SmallCNN(models.SmallCNNConfig{Channels: 1, Size: 4, Classes: 2, Seed: 1}); err == nil {
		add(a, MinExportOpset)
	}
	f.Fuzz(func(t *testing.T, data []byte, opsetSel uint8) {
		a, err := Import(data, Options{})
		if err != nil {
			return
		}
		opset := MinExportOpset + int(opsetSel)%(MaxExportOpset-MinExportOpset+1)
		out, err := Export(a, ExportOptions{Opset: opset})
		if err != nil {
			var e *ExportError
			require.ErrorAs(t, err, &e)
			return
		}
		_, err = Import(out, Options{})
		require.NoError(t, err)
	})
}
