package onnxtest_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/tensor"
)

// The test folders here use graphs without nodes (outputs that are graph
// inputs or initializers), so they exercise the runner, not any op mapper:
// every expected output is the input it passes through, or the initializer.

// vi declares a tensor graph input or output with static dims.
func vi(name string, d onnxpb.DataType, dims ...int64) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, v := range dims {
		s.Dims = append(s.Dims, onnxpb.Dim{Value: v, HasValue: true})
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: d, Shape: s}}}
}

// graphModel assembles an opset-13 model.
func graphModel(nodes []onnxpb.Node, inputs []onnxpb.ValueInfo, outputs []string, inits ...onnxpb.Tensor) *onnxpb.Model {
	g := &onnxpb.Graph{Name: "g", Nodes: nodes, Inputs: inputs, Initializers: inits}
	for _, o := range outputs {
		g.Outputs = append(g.Outputs, onnxpb.ValueInfo{Name: o})
	}
	return &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 13}}, Graph: g}
}

// passModel passes x (float32 [2 3]) and n (int64 [2]) through and outputs the
// int32 initializer c = [7 -7] as well.
func passModel(t *testing.T) *onnxpb.Model {
	return graphModel(nil, []onnxpb.ValueInfo{vi("x", onnxpb.Float, 2, 3), vi("n", onnxpb.Int64, 2)},
		[]string{"x", "n", "c"}, *pb(t, "c", tensor.MustFromSlice([]int32{7, -7}, 2)))
}

// pb converts a tensor to a TensorProto called name ("" leaves it unnamed).
func pb(t *testing.T, name string, v *tensor.Tensor) *onnxpb.Tensor {
	t.Helper()
	p, err := onnxpb.FromTensor(name, v)
	require.NoError(t, err)
	return p
}

func f32(t *testing.T, vals []float32, shape ...int) *onnxpb.Tensor {
	return pb(t, "", tensor.MustFromSlice(vals, shape...))
}

func i64(t *testing.T, vals ...int64) *onnxpb.Tensor {
	return pb(t, "", tensor.MustFromSlice(vals, len(vals)))
}

var (
	xVals = []float32{1, 2, -4, 0.5, 0, 8}
	cOut  = func(t *testing.T) *onnxpb.Tensor { return pb(t, "", tensor.MustFromSlice([]int32{7, -7}, 2)) }
)

// passData is one data set of passModel whose outputs are right.
func passData(t *testing.T) onnxtest.Data {
	return onnxtest.Data{
		Inputs:  []*onnxpb.Tensor{f32(t, xVals, 2, 3), i64(t, 3, -1)},
		Outputs: []*onnxpb.Tensor{f32(t, xVals, 2, 3), i64(t, 3, -1), cOut(t)},
	}
}

// writeCase writes a test folder under root and returns it discovered.
func writeCase(t *testing.T, root, name string, m *onnxpb.Model, sets ...onnxtest.Data) onnxtest.Case {
	t.Helper()
	dir := filepath.Join(root, name)
	require.NoError(t, onnxtest.Write(dir, m, sets...))
	cases, err := onnxtest.Discover(dir)
	require.NoError(t, err)
	require.Len(t, cases, 1)
	return cases[0]
}

func run(c onnxtest.Case) onnxtest.Result {
	return onnxtest.Run(context.Background(), c, "ref", onnxtest.DefaultTolerance)
}

func TestRunPasses(t *testing.T) {
	root := t.TempDir()
	// Data set 1 names its inputs and lists them in the other order: the
	// names decide, not the file numbers.
	named := onnxtest.Data{
		Inputs:  []*onnxpb.Tensor{pb(t, "n", tensor.MustFromSlice([]int64{5, 6}, 2)), pb(t, "x", tensor.MustFromSlice([]float32{6, 5, 4, 3, 2, 1}, 2, 3))},
		Outputs: []*onnxpb.Tensor{f32(t, []float32{6, 5, 4, 3, 2, 1}, 2, 3), i64(t, 5, 6), cOut(t)},
	}
	c := writeCase(t, root, "test_pass", passModel(t), passData(t), named)
	r := run(c)
	require.Equal(t, onnxtest.Pass, r.Status, r.Reason)
	require.Empty(t, r.Reason)
	require.Equal(t, "ref", r.Backend)
	require.Equal(t, c, r.Case)
	require.Zero(t, r.MaxAbsErr)
	require.Zero(t, r.MaxRelErr)
}

func TestRunWithinTolerance(t *testing.T) {
	// want = x·(1+1e-4): |got−want| = 1e-4·|x| ≤ 1e-7 + 1e-3·|want|, so the
	// default tolerance passes; the largest error is at x = 8: 8e-4 absolute,
	// 1e-4/(1+1e-4) ≈ 1e-4 relative (float32 rounding moves both by < 1e-6).
	want := make([]float32, len(xVals))
	for i, v := range xVals {
		want[i] = v * (1 + 1e-4)
	}
	d := passData(t)
	d.Outputs[0] = f32(t, want, 2, 3)
	c := writeCase(t, t.TempDir(), "test_close", passModel(t), d)
	r := run(c)
	require.Equal(t, onnxtest.Pass, r.Status, r.Reason)
	require.InDelta(t, 8e-4, r.MaxAbsErr, 1e-6)
	require.InDelta(t, 1e-4, r.MaxRelErr, 1e-6)

	// rtol 1e-5 allows only 8e-5 at x = 8.
	r = onnxtest.Run(context.Background(), c, "ref", onnxtest.Tolerance{RTol: 1e-5, ATol: 1e-7})
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, "values differ")
}

func TestRunNaNMatchesNaN(t *testing.T) {
	nan := float32(math.NaN())
	x := []float32{nan, 1, 2, 3, float32(math.Inf(-1)), 5}
	d := passData(t)
	d.Inputs[0] = f32(t, x, 2, 3)
	d.Outputs[0] = f32(t, x, 2, 3)
	r := run(writeCase(t, t.TempDir(), "test_nan", passModel(t), d))
	require.Equal(t, onnxtest.Pass, r.Status, r.Reason)
}

func TestRunFails(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		name string
		edit func(d *onnxtest.Data)
		want []string // substrings of the reason
	}{
		{"wrong float value", func(d *onnxtest.Data) {
			// x[0,1] is 2; expecting 3 is off by 1 > 1e-7 + 1e-3·3.
			d.Outputs[0] = f32(t, []float32{1, 3, -4, 0.5, 0, 8}, 2, 3)
		}, []string{`test_data_set_0: output "x"`, "values differ", "1 mismatches", "[0 1]", "got 2 want 3"}},
		{"wrong int value", func(d *onnxtest.Data) {
			d.Outputs[1] = i64(t, 3, 0) // n passes through as [3 -1]
		}, []string{`output "n"`, "values differ", "got -1 want 0"}},
		{"shape mismatch", func(d *onnxtest.Data) {
			d.Outputs[0] = f32(t, xVals, 3, 2)
		}, []string{`output "x"`, "shape"}},
		{"dtype mismatch", func(d *onnxtest.Data) {
			d.Outputs[0] = pb(t, "", tensor.MustFromSlice([]float64{1, 2, -4, 0.5, 0, 8}, 2, 3))
		}, []string{`output "x"`, "dtype"}},
		{"input of the wrong dtype", func(d *onnxtest.Data) {
			d.Inputs[1] = pb(t, "", tensor.MustFromSlice([]int32{3, -1}, 2))
		}, []string{"run", `"n"`}},
		{"missing input file", func(d *onnxtest.Data) {
			d.Inputs = d.Inputs[:1]
		}, []string{`no input file for input "n"`}},
		{"extra input file", func(d *onnxtest.Data) {
			d.Inputs = append(d.Inputs, i64(t, 1))
		}, []string{"3 input files but the model has 2 inputs"}},
		{"input named after no model input", func(d *onnxtest.Data) {
			d.Inputs[0] = pb(t, "zzz", tensor.MustFromSlice(xVals, 2, 3))
		}, []string{`"zzz", which is not a model input`}},
		{"two files for one input", func(d *onnxtest.Data) {
			d.Inputs[1] = pb(t, "x", tensor.MustFromSlice(xVals, 2, 3))
		}, []string{`both hold input "x"`}},
		{"missing output file", func(d *onnxtest.Data) {
			d.Outputs = d.Outputs[:2]
		}, []string{`no output file for output "c"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := passData(t)
			tc.edit(&d)
			r := run(writeCase(t, root, t.Name(), passModel(t), d))
			require.Equal(t, onnxtest.Fail, r.Status)
			for _, w := range tc.want {
				require.Contains(t, r.Reason, w)
			}
		})
	}
}

func TestRunFailsOnModelAndSetup(t *testing.T) {
	root := t.TempDir()

	// An op no mapper knows is a failure of the importer, not a skip.
	m := graphModel([]onnxpb.Node{{Name: "n0", OpType: "NoSuchOp", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{vi("x", onnxpb.Float, 2)}, []string{"y"})
	r := run(writeCase(t, root, "test_unknown_op", m, onnxtest.Data{
		Inputs: []*onnxpb.Tensor{f32(t, []float32{1, 2}, 2)}, Outputs: []*onnxpb.Tensor{f32(t, []float32{1, 2}, 2)}}))
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, "NoSuchOp")

	// A model file that is not protobuf.
	c := writeCase(t, root, "test_garbage", passModel(t), passData(t))
	require.NoError(t, os.WriteFile(c.ModelPath, []byte("not a model"), 0o644))
	r = run(c)
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, "invalid ONNX model")

	// A data file that is not a TensorProto.
	c = writeCase(t, root, "test_bad_data", passModel(t), passData(t))
	require.NoError(t, os.WriteFile(c.DataSets[0].Inputs[0], []byte{0xff, 0xff, 0xff}, 0o644))
	r = run(c)
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, "test_data_set_0/input_0.pb")

	// Input files numbered with a gap.
	c = writeCase(t, root, "test_gap", passModel(t), passData(t))
	require.NoError(t, os.Rename(c.DataSets[0].Inputs[1], filepath.Join(c.DataSets[0].Dir, "input_2.pb")))
	c = discoverOne(t, c.Dir)
	r = run(c)
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, "input files are not numbered 0 to 1")

	// An unregistered backend.
	c = writeCase(t, root, "test_backend", passModel(t), passData(t))
	r = onnxtest.Run(context.Background(), c, "nope", onnxtest.DefaultTolerance)
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, `backend "nope" is not registered`)

	// A case without data sets (built by hand; Discover never returns one).
	c.DataSets = nil
	r = run(c)
	require.Equal(t, onnxtest.Fail, r.Status)
	require.Contains(t, r.Reason, "no test data sets")
}

func TestRunSkipsNonTensorValues(t *testing.T) {
	str := &onnxpb.Tensor{Dims: []int64{2}, DataType: onnxpb.String, StringData: [][]byte{[]byte("a"), []byte("b")}}
	m := graphModel(nil, []onnxpb.ValueInfo{vi("s", onnxpb.String, 2)}, []string{"s"})
	r := run(writeCase(t, t.TempDir(), "test_strings", m, onnxtest.Data{
		Inputs: []*onnxpb.Tensor{str}, Outputs: []*onnxpb.Tensor{str}}))
	require.Equal(t, onnxtest.Skip, r.Status, r.Reason)
	require.Contains(t, r.Reason, `graph input "s" is a string tensor`)

	// A string data file for a numeric model is skipped too: the data, not
	// the model, is outside what backplane represents.
	d := passData(t)
	d.Outputs[2] = str
	r = run(writeCase(t, t.TempDir(), "test_string_data", passModel(t), d))
	require.Equal(t, onnxtest.Skip, r.Status, r.Reason)
	require.Contains(t, r.Reason, "test_data_set_0/output_2.pb is a string tensor")

	// A sequence input: the importer refuses it, and the model says why. (The
	// data files are never read, so plain tensors stand in for sequences.)
	seq := graphModel(nil, []onnxpb.ValueInfo{{Name: "s", Type: &onnxpb.Type{Kind: "sequence"}}}, []string{"s"})
	r = run(writeCase(t, t.TempDir(), "test_sequence", seq, onnxtest.Data{
		Inputs: []*onnxpb.Tensor{f32(t, []float32{1}, 1)}, Outputs: []*onnxpb.Tensor{f32(t, []float32{1}, 1)}}))
	require.Equal(t, onnxtest.Skip, r.Status, r.Reason)
	require.Contains(t, r.Reason, `graph input "s" is a sequence`)
}

func discoverOne(t *testing.T, path string) onnxtest.Case {
	t.Helper()
	cases, err := onnxtest.Discover(path)
	require.NoError(t, err)
	require.Len(t, cases, 1)
	return cases[0]
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	m := passModel(t)
	d := passData(t)
	require.NoError(t, onnxtest.Write(filepath.Join(root, "b", "test_zeta"), m, d))
	require.NoError(t, onnxtest.Write(filepath.Join(root, "a", "deeper", "test_alpha"), m, d))
	// Eleven data sets: they must come back in numeric order (2 before 10).
	sets := make([]onnxtest.Data, 11)
	for i := range sets {
		sets[i] = d
	}
	require.NoError(t, onnxtest.Write(filepath.Join(root, "test_mid"), m, sets...))
	// Not test folders: a model without data sets, a directory with neither.
	require.NoError(t, onnxtest.Write(filepath.Join(root, "c", "no_data"), m))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "c", "empty"), 0o755))
	// Entries that only look like data: ignored.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "test_mid", "test_data_set_x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "test_mid", "test_data_set_0", "input_a.pb"), nil, 0o644))

	cases, err := onnxtest.Discover(root)
	require.NoError(t, err)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	require.Equal(t, []string{"test_alpha", "test_mid", "test_zeta"}, names)

	mid := cases[1]
	require.Equal(t, filepath.Join(root, "test_mid"), mid.Dir)
	require.Equal(t, filepath.Join(root, "test_mid", "model.onnx"), mid.ModelPath)
	require.Len(t, mid.DataSets, 11)
	require.Equal(t, "test_data_set_2", filepath.Base(mid.DataSets[2].Dir))
	require.Equal(t, "test_data_set_10", filepath.Base(mid.DataSets[10].Dir))
	require.Equal(t, []string{
		filepath.Join(mid.DataSets[10].Dir, "input_0.pb"), filepath.Join(mid.DataSets[10].Dir, "input_1.pb"),
	}, mid.DataSets[10].Inputs)
	require.Len(t, mid.DataSets[0].Outputs, 3)
	require.Equal(t, onnxtest.Pass, run(mid).Status)

	// A test folder given directly, or its model file; a folder reached
	// twice is listed once.
	cases, err = onnxtest.Discover(filepath.Join(root, "test_mid", "model.onnx"), filepath.Join(root, "b"), root)
	require.NoError(t, err)
	require.Len(t, cases, 3)

	for _, bad := range []struct{ path, want string }{
		{filepath.Join(root, "nope"), "no such file"},
		{filepath.Join(root, "c", "empty"), "no ONNX test folders"},
		{filepath.Join(root, "c", "no_data"), "has a model.onnx but no test_data_set_N directories"},
		{filepath.Join(root, "test_mid", "test_data_set_0", "input_0.pb"), "neither a directory nor a model.onnx"},
	} {
		_, err := onnxtest.Discover(bad.path)
		require.ErrorContains(t, err, bad.want, bad.path)
	}
	_, err = onnxtest.Discover()
	require.Error(t, err)
}
