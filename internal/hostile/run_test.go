package hostile

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Attack 3: an 84-byte-class model expanding a scalar to 2^31 float32 (8
// GiB, exactly the default value limit) is refused by the memory budget
// before anything is allocated, with the value named: by the run's live
// values when the budget is smaller than them, by ref's declared scratch
// when it is not.
func TestHugeExpandRefusedByBudget(t *testing.T) {
	data := HugeExpand(1 << 31)
	t.Logf("model: %d bytes", len(data))
	art, err := onnx.Import(data, onnx.Options{})
	require.NoError(t, err)
	x := tensor.MustFromSlice([]float32{1}, 1)
	for _, c := range []struct {
		name     string
		backends []string
		budget   int64
	}{
		{"ref, default budget", []string{"ref"}, 0},
		{"gomlx and ref, 1 GiB budget", []string{fast, "ref"}, 1 << 30},
		{"ref, 20 GiB budget: ref's scratch refused", []string{"ref"}, 20 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []runtime.Option{runtime.WithBackends(c.backends...)}
			if c.budget > 0 {
				opts = append(opts, runtime.WithMemoryBudget(c.budget))
			}
			rt, err := runtime.New(opts...)
			require.NoError(t, err)
			defer rt.Close()
			m, err := rt.Load(context.Background(), art)
			require.NoError(t, err)
			err = attack(t, c.name, func() error { _, err := m.Run(context.Background(), x); return err })
			require.ErrorIs(t, err, runtime.ErrMemory)
			require.Contains(t, err.Error(), `"e"`, "names the value")
			require.Contains(t, err.Error(), "huge-expand", "names the model")
			require.Less(t, rt.MemoryBudget().Used(), int64(1<<10), "only the weights stay reserved after the run")
		})
	}
}

// Attack 3: a chain of large values is charged by liveness, not by total:
// four chained 64 MiB values need 128 MiB at their peak, so a budget of
// 160 MiB runs them and one of 96 MiB refuses them.
func TestLivenessChargedNotTotal(t *testing.T) {
	const n = 16 << 20 // float32: 64 MiB per value
	b := runtime.NewBuilder("chain")
	v := b.Input("x", tensor.Float32, runtime.Dims(n)...)
	for range 4 {
		v = b.Op("neg", nil, v)
	}
	b.Output("y", v)
	art, err := b.Build()
	require.NoError(t, err)
	x, err := tensor.New(tensor.Float32, n)
	require.NoError(t, err)
	for _, c := range []struct {
		budget int64
		ok     bool
	}{{160 << 20, true}, {96 << 20, false}} {
		rt, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMemoryBudget(c.budget))
		require.NoError(t, err)
		m, err := rt.Load(context.Background(), art)
		require.NoError(t, err)
		_, err = m.Run(context.Background(), x)
		if c.ok {
			require.NoError(t, err, "budget %d MiB", c.budget>>20)
			require.LessOrEqual(t, rt.MemoryBudget().Peak(), int64(2*n*4+8*(1<<16)), "peak reservation: two live values and one chunk")
		} else {
			require.ErrorIs(t, err, runtime.ErrMemory, "budget %d MiB", c.budget>>20)
		}
		require.NoError(t, rt.Close())
	}
}

// Attack 5: the widest Sum the decoder allows runs on gomlx (a balanced
// tree of adds, no deep recursion) and gives the exact sum.
func TestWidestSumOnGoMLX(t *testing.T) {
	data := WideSum(onnxpb.MaxNodeInputs - 1)
	var out []*tensor.Tensor
	var info runtime.RunInfo
	err := attack(t, "Sum of MaxNodeInputs-1 inputs on gomlx", func() error {
		art, err := onnx.Import(data, onnx.Options{})
		if err != nil {
			return err
		}
		rt, err := runtime.New(runtime.WithBackends(fast, "ref"))
		if err != nil {
			return err
		}
		defer rt.Close()
		m, err := rt.Load(context.Background(), art)
		if err != nil {
			return err
		}
		out, info, err = m.RunWithInfo(context.Background(), tensor.MustFromSlice([]float32{1, 0.5, -2, 0}, 4))
		return err
	})
	require.NoError(t, err)
	require.Equal(t, fast, info.Backend)
	k := float32(onnxpb.MaxNodeInputs - 1) // small integers and halves: exact in float32
	require.Equal(t, []float32{k, k / 2, -2 * k, 0}, tensor.MustView[float32](out[0]))
}

// Attack 7: gomlx cannot stop mid-run; its runs are supervised, so a
// deadline far shorter than the run gives the typed timeout at the deadline
// (the run is counted as abandoned) and a cancelled Load returns no model.
func TestGoMLXDeadline(t *testing.T) {
	const n = 384
	b := runtime.NewBuilder("slow-matmuls")
	v := b.Input("x", tensor.Float32, runtime.Dims(n, n)...)
	r := rand.New(rand.NewPCG(7, 7))
	for range 24 {
		w := make([]float32, n*n)
		for i := range w {
			w[i] = r.Float32()/n - 0.5/n
		}
		v = b.Op("matmul", nil, v, b.Constant(tensor.MustFromSlice(w, n, n)))
	}
	b.Output("y", v)
	art, err := b.Build()
	require.NoError(t, err)
	rt, err := runtime.New(runtime.WithBackends(fast))
	require.NoError(t, err)
	m, err := rt.Load(context.Background(), art)
	require.NoError(t, err)
	x, err := tensor.New(tensor.Float32, n, n)
	require.NoError(t, err)
	start := time.Now()
	_, err = m.Run(context.Background(), x) // compile and time one full run
	require.NoError(t, err)
	full := time.Since(start)

	deadline := full / 20
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start = time.Now()
	_, err = m.Run(ctx, x)
	took := time.Since(start)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	t.Logf("full run %v; with a %v deadline the caller got the timeout after %v (abandoned: %v)", full, deadline, took, m.Abandoned())
	require.NoError(t, rt.Close(), "Close waits for the abandoned run")

	rt2, err := runtime.New(runtime.WithBackends(fast))
	require.NoError(t, err)
	defer rt2.Close()
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	m2, err := rt2.Load(cctx, art)
	require.Nil(t, m2)
	require.ErrorIs(t, err, context.Canceled)
}
