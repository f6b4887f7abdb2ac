package ortpeer

import (
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/internal/modroot"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// requireORT skips the test, saying why, when the library is absent.
func requireORT(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("ONNX Runtime peer not available: %v", err)
	}
}

func TestLocate(t *testing.T) {
	root := t.TempDir()
	// A backplane checkout with `make ort` done ...
	withLib := filepath.Join(root, "with")
	lib := filepath.Join(withLib, libFile)
	require.NoError(t, os.MkdirAll(filepath.Dir(lib), 0o755))
	require.NoError(t, os.WriteFile(lib, []byte("not really a library"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(withLib, "go.mod"), []byte("module "+modroot.ModulePath+"\n\ngo 1.26\n"), 0o644))
	sub := filepath.Join(withLib, "cmd", "backplane")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	// ... one without it ...
	without := filepath.Join(root, "without")
	require.NoError(t, os.MkdirAll(without, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(without, "go.mod"), []byte("// a comment\nmodule \""+modroot.ModulePath+"\"\n"), 0o644))
	// ... and another module, nested inside the checkout, that must be looked past.
	other := filepath.Join(withLib, "testdata", "other")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644))
	outside := filepath.Join(root, "elsewhere")
	require.NoError(t, os.MkdirAll(outside, 0o755))

	cases := []struct {
		name    string
		env     string
		starts  []string
		want    string
		errHas  []string
		errNone bool
	}{
		{name: "env wins", env: lib, starts: []string{without}, want: lib},
		{name: "env names a missing file", env: filepath.Join(root, "nope.so"), starts: []string{sub},
			errHas: []string{LibEnv, "nope.so", "make ort"}},
		{name: "env names a directory", env: root, errHas: []string{LibEnv, "is not a library file"}},
		{name: "cache under the module root", starts: []string{sub}, want: lib},
		{name: "past a foreign go.mod", starts: []string{other}, want: lib},
		{name: "second start", starts: []string{outside, sub}, want: lib},
		{name: "checkout without the library", starts: []string{without},
			errHas: []string{"run `make ort`", filepath.Join(without, libFile), LibEnv}},
		{name: "outside any checkout", starts: []string{outside},
			errHas: []string{"not inside the backplane module", "make ort", LibEnv}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := locate(c.env, c.starts...)
			if c.errHas == nil {
				require.NoError(t, err)
				require.Equal(t, c.want, got)
				return
			}
			require.ErrorIs(t, err, runtime.ErrUnavailable)
			var re *runtime.Error
			require.True(t, errors.As(err, &re))
			require.Equal(t, Name, re.Backend)
			for _, s := range c.errHas {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestAvailableSaysWhatToDo(t *testing.T) {
	err := Available()
	if err == nil {
		if os.Getenv(LibEnv) == "" {
			require.Equal(t, LibVersion, Version(), "`make ort` fetched the version the code expects")
		} else {
			require.NotEmpty(t, Version())
		}
		return
	}
	require.ErrorIs(t, err, runtime.ErrUnavailable)
	require.Contains(t, err.Error(), "make ort")
	require.Empty(t, Version())
	_, err = Load([]byte{1}, Options{})
	require.ErrorIs(t, err, runtime.ErrUnavailable)
}

// tinyModel is y = x·x (float32 [N 3], N free) and z = ids + ids (int64 [2]).
func tinyModel(t *testing.T) []byte {
	t.Helper()
	tt := func(name string, d onnxpb.DataType, dims ...onnxpb.Dim) onnxpb.ValueInfo {
		return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor",
			Tensor: &onnxpb.TensorType{ElemType: d, Shape: &onnxpb.Shape{Dims: dims}}}}
	}
	n := onnxpb.Dim{Param: "N"}
	d := func(v int64) onnxpb.Dim { return onnxpb.Dim{Value: v, HasValue: true} }
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 13}}, Graph: &onnxpb.Graph{
		Name: "tiny",
		Nodes: []onnxpb.Node{
			{Name: "square", OpType: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"y"}},
			{Name: "double", OpType: "Add", Inputs: []string{"ids", "ids"}, Outputs: []string{"z"}},
		},
		Inputs:  []onnxpb.ValueInfo{tt("x", onnxpb.Float, n, d(3)), tt("ids", onnxpb.Int64, d(2))},
		Outputs: []onnxpb.ValueInfo{tt("y", onnxpb.Float, n, d(3)), tt("z", onnxpb.Int64, d(2))},
	}}
	b, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	return b
}

func TestRunTinyModel(t *testing.T) {
	requireORT(t)
	s, err := Load(tinyModel(t), Options{Name: "tiny", IntraOpThreads: 1})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, []string{"x", "ids"}, s.InputNames())
	require.Equal(t, []string{"y", "z"}, s.OutputNames())
	require.Equal(t, 1, s.Threads())
	for _, batch := range []int{1, 2} { // the free dimension takes any size
		x := tensor.MustFromSlice([]float32{1, -2, 3, 0.5, 0, -1.5}[:3*batch], batch, 3)
		ids := tensor.MustFromSlice([]int64{5, -7}, 2)
		out, err := s.Run([]*tensor.Tensor{x, ids})
		require.NoError(t, err)
		require.Len(t, out, 2)
		// Squares by hand: 1, 4, 9, 0.25, 0, 2.25; doubles: 10, -14.
		require.Equal(t, []float32{1, 4, 9, 0.25, 0, 2.25}[:3*batch], tensor.MustView[float32](out[0]))
		require.Equal(t, tensor.Shape{batch, 3}, out[0].Shape())
		require.Equal(t, []int64{10, -14}, tensor.MustView[int64](out[1]))
	}
}

func TestDefaultThreadsAreGOMAXPROCS(t *testing.T) {
	requireORT(t)
	s, err := Load(tinyModel(t), Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, goruntime.GOMAXPROCS(0), s.Threads())
}

func TestBadInputsAndModels(t *testing.T) {
	requireORT(t)
	s, err := Load(tinyModel(t), Options{Name: "tiny"})
	require.NoError(t, err)
	x := tensor.MustFromSlice([]float32{1, 2, 3}, 1, 3)
	ids := tensor.MustFromSlice([]int64{1, 2}, 2)
	cases := []struct {
		name   string
		inputs []*tensor.Tensor
		input  string
		errHas string
	}{
		{"too few", []*tensor.Tensor{x}, "", "got 1 inputs, the model takes 2"},
		{"nil", []*tensor.Tensor{nil, ids}, "x", "nil tensor"},
		{"dtype", []*tensor.Tensor{tensor.MustFromSlice([]float64{1, 2, 3}, 1, 3), ids}, "x", "dtype float64, the model declares float32"},
		{"rank", []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 2, 3}, 3), ids}, "x", "shape [3], the model declares [? 3]"},
		{"fixed dim", []*tensor.Tensor{x, tensor.MustFromSlice([]int64{1, 2, 3}, 3)}, "ids", "shape [3], the model declares [2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Run(c.inputs)
			require.ErrorIs(t, err, runtime.ErrInvalidInput)
			var re *runtime.Error
			require.True(t, errors.As(err, &re))
			require.Equal(t, "tiny", re.Model)
			require.Equal(t, c.input, re.Input)
			require.Contains(t, err.Error(), c.errHas)
		})
	}
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is a no-op")
	_, err = s.Run([]*tensor.Tensor{x, ids})
	require.ErrorIs(t, err, runtime.ErrClosed)

	_, err = Load(nil, Options{})
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	_, err = Load([]byte("this is not a protobuf"), Options{Name: "junk"})
	require.ErrorIs(t, err, runtime.ErrBackend)
	require.Contains(t, err.Error(), `model "junk"`)
}

func TestConcurrentRuns(t *testing.T) {
	requireORT(t)
	s, err := Load(tinyModel(t), Options{})
	require.NoError(t, err)
	defer s.Close()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Go(func() {
			v := float32(g)
			for range 20 {
				out, err := s.Run([]*tensor.Tensor{
					tensor.MustFromSlice([]float32{v, v, v}, 1, 3), tensor.MustFromSlice([]int64{int64(g), 1}, 2)})
				if err != nil {
					errs[g] = err
					return
				}
				// Each goroutine sees its own squares and doubles.
				if got := tensor.MustView[float32](out[0]); got[0] != v*v || got[2] != v*v ||
					tensor.MustView[int64](out[1])[0] != 2*int64(g) {
					errs[g] = errors.New("outputs of another run")
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}
