package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/backplane-ml/backplane/tensor/npy"
)

// passThroughModel is an ONNX graph without nodes whose output is its input
// x (float32, dims as given: a number is static, a name symbolic), so the
// expected output of every test is the input itself.
func passThroughModel(dims ...any) *onnxpb.Model {
	s := &onnxpb.Shape{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			s.Dims = append(s.Dims, onnxpb.Dim{Value: int64(d), HasValue: true})
		case string:
			s.Dims = append(s.Dims, onnxpb.Dim{Param: d})
		}
	}
	x := onnxpb.ValueInfo{Name: "x", Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: onnxpb.Float, Shape: s}}}
	return &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 13}},
		Graph: &onnxpb.Graph{Name: "pass", Inputs: []onnxpb.ValueInfo{x}, Outputs: []onnxpb.ValueInfo{{Name: "x"}}}}
}

func tensorPB(t *testing.T, vals []float32, shape ...int) *onnxpb.Tensor {
	p, err := onnxpb.FromTensor("", tensor.MustFromSlice(vals, shape...))
	require.NoError(t, err)
	return p
}

// writeCheckFolders writes under root: test_pass (output = input), test_close
// (expected output off by 1e-4 relative: passes at the default rtol 1e-3,
// fails at 1e-5), test_wrong (expected 3 where the input is 2) and
// test_strings (a string input: skipped).
func writeCheckFolders(t *testing.T, root string) {
	in := []float32{1, 2, -4, 8}
	m := passThroughModel(4)
	require.NoError(t, onnxtest.Write(filepath.Join(root, "test_pass"), m,
		onnxtest.Data{Inputs: []*onnxpb.Tensor{tensorPB(t, in, 4)}, Outputs: []*onnxpb.Tensor{tensorPB(t, in, 4)}}))
	// 1.0001·x: errors 1e-4, 2e-4, 4e-4, 8e-4; each within 1e-7 + 1e-3·|want|.
	require.NoError(t, onnxtest.Write(filepath.Join(root, "test_close"), m,
		onnxtest.Data{Inputs: []*onnxpb.Tensor{tensorPB(t, in, 4)},
			Outputs: []*onnxpb.Tensor{tensorPB(t, []float32{1.0001, 2.0002, -4.0004, 8.0008}, 4)}}))
	require.NoError(t, onnxtest.Write(filepath.Join(root, "test_wrong"), m,
		onnxtest.Data{Inputs: []*onnxpb.Tensor{tensorPB(t, in, 4)},
			Outputs: []*onnxpb.Tensor{tensorPB(t, []float32{1, 3, -4, 8}, 4)}}))
	str := &onnxpb.Tensor{Dims: []int64{1}, DataType: onnxpb.String, StringData: [][]byte{[]byte("a")}}
	sm := passThroughModel(1)
	sm.Graph.Inputs[0].Type.Tensor.ElemType = onnxpb.String
	require.NoError(t, onnxtest.Write(filepath.Join(root, "test_strings"), sm,
		onnxtest.Data{Inputs: []*onnxpb.Tensor{str}, Outputs: []*onnxpb.Tensor{str}}))
}

func TestCheckReportsEveryTest(t *testing.T) {
	root := t.TempDir()
	writeCheckFolders(t, root)
	out, stderr, status := cli(t, "check", "--backend", "ref", root)
	require.Equal(t, 1, status, "a test failed\n%s%s", out, stderr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 5, out)
	require.Regexp(t, `^PASS  test_close  ref  max abs err 0\.0008, max rel err 0\.0001$`, lines[0])
	require.Equal(t, "PASS  test_pass  ref  max abs err 0, max rel err 0", lines[1])
	require.Regexp(t, `^SKIP  test_strings  ref  graph input "x" is a string tensor`, lines[2])
	require.Regexp(t, `^FAIL  test_wrong  ref  test_data_set_0: output "x": values differ .*got 2 want 3`, lines[3])
	require.Equal(t, "2 passed, 1 failed, 1 skipped", lines[4])
}

func TestCheckTolerancesAndBackends(t *testing.T) {
	root := t.TempDir()
	writeCheckFolders(t, root)
	pass, closeDir := filepath.Join(root, "test_pass"), filepath.Join(root, "test_close")

	// --backend all (the default) runs every available backend: ref and
	// gomlx always are, xla where a PJRT plugin is installed.
	n := 0
	for _, b := range runtime.Backends() {
		if runtime.Availability(b) == nil {
			n++
		}
	}
	out, stderr, status := cli(t, "check", pass, closeDir)
	require.Equal(t, 0, status, stderr)
	require.True(t, strings.HasSuffix(out, fmt.Sprintf("\n%d passed, 0 failed, 0 skipped\n", 2*n)), out)
	require.Contains(t, out, "PASS  test_pass  ref  ")
	require.Contains(t, out, "PASS  test_pass  gomlx  ")

	// At rtol 1e-5, 8e-4 off 8.0008 is too much (allowed: 1e-7 + 8e-5).
	out, _, status = cli(t, "check", "--rtol", "1e-5", closeDir)
	require.Equal(t, 1, status)
	require.Contains(t, out, "FAIL  test_close  ref  ")
	require.True(t, strings.HasSuffix(out, fmt.Sprintf("\n0 passed, %d failed, 0 skipped\n", n)), out)

	// A generous atol makes the wrong value (off by 1) pass.
	out, _, status = cli(t, "check", "--backend", "all", "--atol", "1", filepath.Join(root, "test_wrong"))
	require.Equal(t, 0, status, out)
	require.Contains(t, out, "PASS  test_wrong  ref  max abs err 1, max rel err 0.33\n")
}

func TestCheckUsageErrors(t *testing.T) {
	root := t.TempDir()
	writeCheckFolders(t, root)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no path", []string{"check"}, "backplane check: missing at least one PATH"},
		{"unknown flag", []string{"check", "--frob", root}, "unknown flag: --frob"},
		{"unknown backend", []string{"check", "--backend", "nope", root}, `unknown backend "nope"`},
		{"negative rtol", []string{"check", "--rtol", "-1", root}, "must be finite and >= 0"},
		{"NaN atol", []string{"check", "--atol", "NaN", root}, "must be finite and >= 0"},
		{"missing path", []string{"check", filepath.Join(root, "nope")}, "no such file"},
		{"missing data says where it comes from", []string{"check", filepath.Join(root, "nope")}, "not part of this repository"},
		{"no tests there", []string{"check", t.TempDir()}, "no ONNX test folders"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, status := cli(t, c.args...)
			require.Equal(t, 2, status, stderr)
			require.Empty(t, out)
			require.Contains(t, stderr, c.want)
		})
	}
}

func TestRunONNXModel(t *testing.T) {
	dir := t.TempDir()
	// A symbolic batch dim: --dim binds it at import, so random inputs get it.
	m := passThroughModel("batch", 2)
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	path := filepath.Join(dir, "pass.onnx")
	require.NoError(t, os.WriteFile(path, data, 0o644))

	out, stderr, status := cli(t, "run", "--dim", "batch=3", path)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, `model "pass"`)
	require.Contains(t, out, "output x")
	require.Contains(t, out, "float32[3 2]")

	// A .pb input sets the batch by its shape and comes out unchanged.
	in, err := onnxpb.EncodeTensor(tensorPB(t, []float32{1, 2, 3, 4}, 2, 2))
	require.NoError(t, err)
	pb := filepath.Join(dir, "x.pb")
	require.NoError(t, os.WriteFile(pb, in, 0o644))
	out, stderr, status = cli(t, "run", "--input", pb, "--out", dir, path)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, "float32[2 2]")
	x, err := npy.ReadFile(filepath.Join(dir, "x.npy"))
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2, 3, 4}, tensor.MustView[float32](x))

	bad := filepath.Join(dir, "bad.pb")
	require.NoError(t, os.WriteFile(bad, []byte{0xff, 0xff}, 0o644))
	_, stderr, status = cli(t, "run", "--input", "x="+bad, path)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "bad.pb")

	_, stderr, status = cli(t, "run", "--dim", "batch=x", path)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "want NAME=N")

	require.NoError(t, os.WriteFile(path, []byte("not onnx"), 0o644))
	_, stderr, status = cli(t, "run", path)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "invalid ONNX model")
}

// A model whose Reshape target is Shape(x), x of shape [batch, 2]: it imports
// only with batch bound, so check must bind it from each data set's inputs.
func TestCheckBindsDimsFromData(t *testing.T) {
	root := t.TempDir()
	m := passThroughModel("batch", 2)
	m.Graph.Nodes = []onnxpb.Node{
		{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
		{Name: "reshape", OpType: "Reshape", Inputs: []string{"x", "s"}, Outputs: []string{"y"}},
	}
	m.Graph.Outputs = []onnxpb.ValueInfo{{Name: "y"}}
	two := []float32{1, 2, 3, 4}
	three := []float32{1, 2, 3, 4, 5, 6}
	dir := filepath.Join(root, "test_reshape_like")
	require.NoError(t, onnxtest.Write(dir, m,
		onnxtest.Data{Inputs: []*onnxpb.Tensor{tensorPB(t, two, 2, 2)}, Outputs: []*onnxpb.Tensor{tensorPB(t, two, 2, 2)}},
		onnxtest.Data{Inputs: []*onnxpb.Tensor{tensorPB(t, three, 3, 2)}, Outputs: []*onnxpb.Tensor{tensorPB(t, three, 3, 2)}}))

	out, stderr, status := cli(t, "check", "--backend", "ref", dir)
	require.Equal(t, 0, status, out+stderr)
	require.Contains(t, out, "PASS  test_reshape_like  ref  ")

	// --dim wins over the data: data set 1 (batch 3) no longer fits.
	out, _, status = cli(t, "check", "--backend", "ref", "--dim", "batch=2", dir)
	require.Equal(t, 1, status)
	require.Contains(t, out, "FAIL  test_reshape_like  ref  test_data_set_1: run: ")

	// A misspelt dim is an error naming what exists.
	_, stderr, status = cli(t, "check", "--backend", "ref", "--dim", "bacth=2", dir)
	require.Equal(t, 2, status)
	require.Contains(t, stderr, "--dim bacth: no model checked has that symbolic dimension (they have: batch)")
}

// An ONNX model whose Reshape target is Shape(x) runs with no --dim: it is a
// template, specialized for the shape of the .pb input given.
func TestRunONNXTemplate(t *testing.T) {
	dir := t.TempDir()
	m := passThroughModel("batch", 2)
	m.Graph.Nodes = []onnxpb.Node{
		{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
		{Name: "reshape", OpType: "Reshape", Inputs: []string{"x", "s"}, Outputs: []string{"y"}},
	}
	m.Graph.Outputs = []onnxpb.ValueInfo{{Name: "y"}}
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	path := filepath.Join(dir, "shaped.onnx")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	in, err := onnxpb.EncodeTensor(tensorPB(t, []float32{1, 2, 3, 4, 5, 6}, 3, 2))
	require.NoError(t, err)
	pb := filepath.Join(dir, "x.pb")
	require.NoError(t, os.WriteFile(pb, in, 0o644))

	out, stderr, status := cli(t, "run", "--backend", "ref", "--input", pb, path)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, "shapes decided per input signature")
	require.Contains(t, out, "float32[3 2]")

	_, stderr, status = cli(t, "run", "--dim", "bacth=3", path)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "dimension bacth bound but not in the model: the model's symbolic dimensions are batch")
}
