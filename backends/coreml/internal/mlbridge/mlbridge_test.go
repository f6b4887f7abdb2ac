//go:build linux && cgo

package mlbridge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// These tests run the binding against the C test double (double_linux.c),
// whose models compute output k = 2·input k + 1 element by element.

const twoFeatures = `backplane-double 1
input x f32 2 2 3
input ids i32 1 4
output y f16 2 2 3
output z f64 1 4
`

func writeModel(t *testing.T, text string) (model, cache string) {
	t.Helper()
	dir := t.TempDir()
	model = filepath.Join(dir, "m.mlmodel")
	require.NoError(t, os.WriteFile(model, []byte(text), 0o644))
	return model, filepath.Join(dir, "cache")
}

func load(t *testing.T, text string) *Model {
	t.Helper()
	model, cache := writeModel(t, text)
	require.NoError(t, CleanCache(cache))
	compiled, err := Compile(model, cache, "key")
	require.NoError(t, err)
	m, err := Load(compiled, CPUAndNeuralEngine)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, m.Close())
		require.Zero(t, LiveAllocations(), "every string and model the bridge handed out is freed")
	})
	return m
}

func TestABIVersion(t *testing.T) {
	require.Equal(t, 1, ABIVersion)
	require.Equal(t, ABIVersion, LibraryABIVersion())
}

func TestDescribeAndPredictEveryDType(t *testing.T) {
	m := load(t, twoFeatures)
	require.Len(t, m.Inputs(), 2)
	require.Equal(t, "x", m.Inputs()[0].Name)
	require.Equal(t, tensor.Float32, m.Inputs()[0].DType)
	require.Equal(t, tensor.Shape{2, 3}, m.Inputs()[0].Shape)
	require.Equal(t, tensor.Int32, m.Inputs()[1].DType)
	require.Equal(t, tensor.Float16, m.Outputs()[0].DType)
	require.Equal(t, tensor.Float64, m.Outputs()[1].DType)

	x := tensor.MustFromSlice([]float32{0, 1, -1, 0.5, 1000, -0.25}, 2, 3)
	ids := tensor.MustFromSlice([]int32{0, 7, -3, 100}, 4)
	y, err := tensor.New(tensor.Float16, 2, 3)
	require.NoError(t, err)
	z, err := tensor.New(tensor.Float64, 4)
	require.NoError(t, err)
	require.NoError(t, m.Predict(context.Background(), []*tensor.Tensor{x, ids}, []*tensor.Tensor{y, z}))
	// 2x+1 by hand: 1, 3, -1, 2, 2001, 0.5 — all exact in float16 (2001 has 11 significant bits).
	want16 := []float32{1, 3, -1, 2, 2001, 0.5}
	for i, h := range tensor.MustView[float16.Float16](y) {
		require.Equal(t, want16[i], h.Float32(), "element %d", i)
	}
	require.Equal(t, []float64{1, 15, -5, 201}, tensor.MustView[float64](z))
	// Inputs are not modified.
	require.Equal(t, []float32{0, 1, -1, 0.5, 1000, -0.25}, tensor.MustView[float32](x))
}

func TestPredictRejectsMismatchedTensors(t *testing.T) {
	m := load(t, twoFeatures)
	x := tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	ids := tensor.MustFromSlice([]int32{1, 2, 3, 4}, 4)
	y, _ := tensor.New(tensor.Float16, 2, 3)
	z, _ := tensor.New(tensor.Float64, 4)
	wrongShape := tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	wrongDType, _ := tensor.New(tensor.Float32, 4)
	for name, c := range map[string]struct{ in, out []*tensor.Tensor }{
		"count":      {[]*tensor.Tensor{x}, []*tensor.Tensor{y, z}},
		"shape":      {[]*tensor.Tensor{wrongShape, ids}, []*tensor.Tensor{y, z}},
		"dtype":      {[]*tensor.Tensor{x, ids}, []*tensor.Tensor{y, wrongDType}},
		"nil tensor": {[]*tensor.Tensor{x, nil}, []*tensor.Tensor{y, z}},
	} {
		t.Run(name, func(t *testing.T) {
			err := m.Predict(context.Background(), c.in, c.out)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, InvalidArgument, e.Status)
			require.Equal(t, runtime.ModeRuntime, e.Mode())
		})
	}
}

func TestStatusesMapToFailureModes(t *testing.T) {
	for _, c := range []struct {
		fn   string
		st   Status
		mode runtime.FailureMode
	}{
		{"predict", PredictFailed, runtime.ModeRuntime},
		{"predict", Exception, runtime.ModePanic},
		{"predict", OutOfMemory, runtime.ModeMemory},
		{"predict", Internal, runtime.ModeRuntime},
		{"load", LoadFailed, runtime.ModeCompile},
		{"compile", CompileFailed, runtime.ModeCompile},
		{"compute_plan", Unsupported, runtime.ModeUnsupported},
	} {
		t.Run(c.fn+"/"+c.st.String(), func(t *testing.T) {
			model, cache := writeModel(t, twoFeatures)
			require.NoError(t, CleanCache(cache))
			var err error
			var live int64
			switch c.fn {
			case "compile":
				InjectFault("compile", c.st, 0, 1)
				_, err = Compile(model, cache, "k")
			case "load":
				compiled, cerr := Compile(model, cache, "k")
				require.NoError(t, cerr)
				InjectFault("load", c.st, 0, 1)
				_, err = Load(compiled, All)
			default:
				m := load(t, twoFeatures)
				live = LiveAllocations() // the model itself
				InjectFault(c.fn, c.st, 0, 1)
				if c.fn == "predict" {
					err = m.Predict(context.Background(), inputsFor(t, m), outputsFor(t, m))
				} else {
					_, err = m.ComputePlan()
				}
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, c.st, e.Status)
			require.Equal(t, c.mode, e.Mode())
			require.Contains(t, e.Error(), "injected")
			require.Equal(t, live, LiveAllocations(), "the error message was freed")
		})
	}
}

func inputsFor(t *testing.T, m *Model) []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, f := range m.Inputs() {
		x, err := tensor.New(f.DType, f.Shape...)
		require.NoError(t, err)
		ts = append(ts, x)
	}
	return ts
}

func outputsFor(t *testing.T, m *Model) []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, f := range m.Outputs() {
		y, err := tensor.New(f.DType, f.Shape...)
		require.NoError(t, err)
		ts = append(ts, y)
	}
	return ts
}

func TestDeadlineBecomesTimeout(t *testing.T) {
	m := load(t, twoFeatures)
	InjectFault("predict", OK, 2000, 1) // a prediction stalled for 2 s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := m.Predict(ctx, inputsFor(t, m), outputsFor(t, m))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, Timeout, e.Status)
	require.Equal(t, runtime.ModeTimeout, e.Mode())
	InjectFault("", OK, 0, 0)

	// A context already done never reaches the bridge.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	require.ErrorIs(t, m.Predict(done, inputsFor(t, m), outputsFor(t, m)), context.Canceled)
}

func TestCloseIsIdempotentAndLaterCallsFail(t *testing.T) {
	model, cache := writeModel(t, twoFeatures)
	compiled, err := Compile(model, cache, "k")
	require.NoError(t, err)
	m, err := Load(compiled, CPUOnly)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	require.ErrorIs(t, m.Predict(context.Background(), nil, nil), ErrClosed)
	_, err = m.ComputePlan()
	require.ErrorIs(t, err, ErrClosed)
	require.Zero(t, LiveAllocations())
}

func TestConcurrentPredictsAndClose(t *testing.T) {
	m := load(t, "backplane-double 1\ninput x f32 1 64\noutput y f32 1 64\n")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				vals := make([]float32, 64)
				for k := range vals {
					vals[k] = float32(g*1000 + i*64 + k)
				}
				x := tensor.MustFromSlice(vals, 64)
				y, _ := tensor.New(tensor.Float32, 64)
				if err := m.Predict(context.Background(), []*tensor.Tensor{x}, []*tensor.Tensor{y}); err != nil {
					t.Error(err)
					return
				}
				for k, v := range tensor.MustView[float32](y) {
					if v != 2*vals[k]+1 {
						t.Errorf("goroutine %d run %d element %d: %v, want %v", g, i, k, v, 2*vals[k]+1)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	// Close while predictions run: it waits for them; later ones see ErrClosed.
	InjectFault("predict", OK, 50, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			x, _ := tensor.New(tensor.Float32, 64)
			y, _ := tensor.New(tensor.Float32, 64)
			errs <- m.Predict(context.Background(), []*tensor.Tensor{x}, []*tensor.Tensor{y})
		}()
	}
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, m.Close())
	for range 4 {
		if err := <-errs; err != nil {
			require.ErrorIs(t, err, ErrClosed)
		}
	}
	InjectFault("", OK, 0, 0)
}

func TestInterruptedCompileIsCleanedUp(t *testing.T) {
	model, cache := writeModel(t, twoFeatures)
	require.NoError(t, CleanCache(cache))
	InjectFault("compile", IO, 0, 1) // the compile dies after writing its partial output
	_, err := Compile(model, cache, "k")
	require.Error(t, err)
	leftovers, _ := filepath.Glob(filepath.Join(cache, "*.partial"))
	require.Len(t, leftovers, 1, "the interrupted compile left its partial output")
	_, err = os.Stat(filepath.Join(cache, "k.mlmodelc"))
	require.True(t, errors.Is(err, os.ErrNotExist), "nothing appears under the final name")

	require.NoError(t, CleanCache(cache)) // what the backend does at start
	leftovers, _ = filepath.Glob(filepath.Join(cache, "*.partial"))
	require.Empty(t, leftovers)
	compiled, err := Compile(model, cache, "k")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(cache, "k.mlmodelc"), compiled)
	again, err := Compile(model, cache, "k") // reused, not recompiled
	require.NoError(t, err)
	require.Equal(t, compiled, again)
	require.Zero(t, LiveAllocations())
}

func TestBadModelsAndPaths(t *testing.T) {
	model, cache := writeModel(t, "not a model\n")
	_, err := Compile(model, cache, "k")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, CompileFailed, e.Status)
	_, err = Load(filepath.Join(cache, "missing.mlmodelc"), All)
	require.ErrorAs(t, err, &e)
	require.Equal(t, LoadFailed, e.Status)
	_, err = Load(filepath.Join(cache, "missing.mlmodelc"), ComputeUnits(42))
	require.ErrorAs(t, err, &e)
	require.Equal(t, InvalidArgument, e.Status)
	require.Zero(t, LiveAllocations())
}

func TestComputePlan(t *testing.T) {
	m := load(t, twoFeatures)
	p, err := m.ComputePlan()
	require.NoError(t, err)
	// The double plans one op per output on the CPU and two per input on the Neural Engine.
	require.Equal(t, Plan{CPU: 2, NeuralEngine: 4}, p)
	require.InDelta(t, 4.0/6, p.NeuralEngineShare(), 1e-12)
}
