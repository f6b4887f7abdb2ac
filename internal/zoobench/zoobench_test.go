package zoobench

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/internal/zoobench/zoobenchtest"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func zooCase(t *testing.T, name string, batch int) *Case {
	t.Helper()
	m, ok := models.ZooByName(name)
	require.True(t, ok, name)
	c, err := NewCase(m, batch)
	require.NoError(t, err)
	return c
}

func TestNewCase(t *testing.T) {
	c := zooCase(t, "mlp", 8)
	require.Equal(t, "mlp/batch8", c.Name())
	require.Len(t, c.Inputs, 1)
	require.Equal(t, tensor.Shape{8, 784}, c.Inputs[0].Shape())
	// 8 examples × (784·256 + 256·128 + 128·10) multiply-adds.
	require.Equal(t, int64(8*(784*256+256*128+128*10)), c.Cost.MACs)
	again := zooCase(t, "mlp", 8)
	require.Equal(t, c.Inputs[0].Float64s(), again.Inputs[0].Float64s(), "inputs are seeded")

	_, err := NewCase(c.Model, 0)
	require.ErrorContains(t, err, "batch 0")
}

func TestReferenceIsComputedOnceAndCanBeOffered(t *testing.T) {
	ctx := context.Background()
	c := zooCase(t, "mlp", 1)
	first, err := c.Reference(ctx)
	require.NoError(t, err)
	second, err := c.Reference(ctx)
	require.NoError(t, err)
	require.Same(t, first[0], second[0], "the second call reuses the first run")
	c.OfferReference([]*tensor.Tensor{tensor.Scalar[float32](1)})
	third, _ := c.Reference(ctx)
	require.Same(t, first[0], third[0], "an offer after the fact changes nothing")

	offered := zooCase(t, "mlp", 1)
	outs := []*tensor.Tensor{tensor.MustFromSlice(make([]float32, 10), 1, 10)}
	offered.OfferReference(outs)
	got, err := offered.Reference(ctx)
	require.NoError(t, err)
	require.Same(t, outs[0], got[0], "an offered reference saves the ref run")
	// The real ref outputs are softmax rows, so they are not all zero: the
	// offered zeros are what MaxAbsErr measures against.
	e, err := offered.MaxAbsErr(ctx, first)
	require.NoError(t, err)
	require.Greater(t, e, 0.0)
}

func TestMaxAbsErrByHand(t *testing.T) {
	f := func(v ...float32) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name      string
		got, want []*tensor.Tensor
		err       string
		maxAbs    float64
	}{
		{name: "equal", got: []*tensor.Tensor{f(1, 2)}, want: []*tensor.Tensor{f(1, 2)}, maxAbs: 0},
		// |2.5 − 2| = 0.5 and |−1 − 0| = 1 over two outputs: the larger is 1.
		{name: "worst over outputs", got: []*tensor.Tensor{f(1, 2.5), f(-1)}, want: []*tensor.Tensor{f(1, 2), f(0)}, maxAbs: 1},
		{name: "NaN for a number", got: []*tensor.Tensor{f(1, nan)}, want: []*tensor.Tensor{f(1, 2)}, maxAbs: math.Inf(1)},
		{name: "Inf for a number", got: []*tensor.Tensor{f(inf)}, want: []*tensor.Tensor{f(3)}, maxAbs: math.Inf(1)},
		{name: "NaN for NaN", got: []*tensor.Tensor{f(nan, 1)}, want: []*tensor.Tensor{f(nan, 1)}, maxAbs: 0},
		{name: "ints", got: []*tensor.Tensor{tensor.MustFromSlice([]int64{3, 9}, 2)},
			want: []*tensor.Tensor{tensor.MustFromSlice([]int64{3, 5}, 2)}, maxAbs: 4},
		{name: "count", got: []*tensor.Tensor{f(1)}, want: []*tensor.Tensor{f(1), f(2)}, err: "1 outputs, want 2"},
		{name: "shape", got: []*tensor.Tensor{f(1, 2)}, want: []*tensor.Tensor{f(1)}, err: "output 0: shape [2], want [1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MaxAbsErr(c.got, c.want)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.maxAbs, got)
		})
	}
}

// fakeRunner returns its call number as a one-element output.
type fakeRunner struct {
	calls atomic.Int64
	sleep time.Duration
	fail  int64 // fail on this call (1-based); 0 never
}

func (f *fakeRunner) Name() string { return "fake" }
func (f *fakeRunner) Close() error { return nil }
func (f *fakeRunner) Run(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n := f.calls.Add(1)
	if n == f.fail {
		return nil, errors.New("boom")
	}
	time.Sleep(f.sleep)
	return []*tensor.Tensor{tensor.Scalar(n)}, nil
}

func TestMeasure(t *testing.T) {
	ctx := context.Background()
	r := &fakeRunner{}
	ticks := 0
	m, err := Measure(ctx, r, nil, Budget{Iters: 3}, func() { ticks++ })
	require.NoError(t, err)
	require.Len(t, m.Latencies, 3)
	require.Equal(t, 3, ticks)
	require.EqualValues(t, 4, r.calls.Load(), "one warm-up run, then three timed")
	require.Equal(t, []int64{1}, m.Outputs[0].Int64s(), "the warm-up run's outputs")
	require.True(t, m.Latencies[0] <= m.Latencies[1] && m.Latencies[1] <= m.Latencies[2], "sorted")

	// A time budget shorter than one run stops after that run.
	slow := &fakeRunner{sleep: time.Millisecond}
	m, err = Measure(ctx, slow, nil, Budget{Iters: 1000, Duration: time.Nanosecond}, nil)
	require.NoError(t, err)
	require.Len(t, m.Latencies, 1)

	// Zero iterations still time one run.
	m, err = Measure(ctx, &fakeRunner{}, nil, Budget{}, nil)
	require.NoError(t, err)
	require.Len(t, m.Latencies, 1)

	for _, call := range []int64{1, 3} { // warm-up, then a timed run
		_, err = Measure(ctx, &fakeRunner{fail: call}, nil, Budget{Iters: 5}, nil)
		require.ErrorContains(t, err, "boom")
	}
}

func TestPercentileAndGFLOPs(t *testing.T) {
	ms := time.Millisecond
	m := Measurement{Latencies: []time.Duration{1 * ms, 2 * ms, 3 * ms, 4 * ms, 5 * ms, 6 * ms, 7 * ms, 8 * ms, 9 * ms, 10 * ms}}
	// Nearest rank ⌈q·10⌉: p50 → 5th, p99 → 10th, p70 → 7th; p0 clamps to the 1st.
	require.Equal(t, 5*ms, m.Percentile(0.5))
	require.Equal(t, 10*ms, m.Percentile(0.99))
	require.Equal(t, 7*ms, m.Percentile(0.7))
	require.Equal(t, 1*ms, m.Percentile(0))
	require.Equal(t, 10*ms, m.Percentile(1))
	// 4·10⁷ FLOPs in the median 5 ms: 8·10⁹ FLOP/s = 8 GFLOP/s.
	require.InDelta(t, 8, m.GFLOPs(4e7), 1e-12)
	require.Zero(t, m.GFLOPs(0))
	require.Zero(t, Measurement{}.Percentile(0.5))
	require.Zero(t, Measurement{}.GFLOPs(1))
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	c := zooCase(t, "mlp", 1)
	want, err := c.Reference(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Check(ctx, want))
	bad := want[0].Clone()
	tensor.MustView[float32](bad)[3] += 0.01 // probabilities are ≤ 1: 0.01 is far outside rtol 1e-3 + atol 1e-5
	err = c.Check(ctx, []*tensor.Tensor{bad})
	require.ErrorContains(t, err, `mlp/batch1: output "probs" differs from ref`)
	require.ErrorContains(t, c.Check(ctx, nil), "0 outputs, ref has 1")
}

func TestExporterWired(t *testing.T) {
	require.ErrorIs(t, ExporterWired(nil), ErrNoExporter)
	require.NoError(t, ExporterWired(zoobenchtest.Export))
	// An exporter that fails for another reason is still wired in: the
	// failure shows on the model it concerns.
	require.NoError(t, ExporterWired(func(*runtime.Artifact) ([]byte, error) { return nil, errors.New("no") }))
}

func TestOpenBackendUnknown(t *testing.T) {
	c := zooCase(t, "mlp", 1)
	_, err := OpenBackend(context.Background(), "no-such-backend", c.Artifact)
	require.Error(t, err)
}

func TestOpenORTWithoutExporter(t *testing.T) {
	if err := ortpeer.Available(); err != nil {
		_, err2 := OpenORT(zooCase(t, "mlp", 1), zoobenchtest.Export, ortpeer.Options{})
		require.ErrorIs(t, err2, runtime.ErrUnavailable, "the peer's own reason comes first")
		return
	}
	c := zooCase(t, "mlp", 1)
	_, err := OpenORT(c, nil, ortpeer.Options{})
	require.ErrorIs(t, err, ErrNoExporter)
	_, err = OpenORT(c, func(*runtime.Artifact) ([]byte, error) { return nil, errors.New("no can do") }, ortpeer.Options{})
	require.ErrorContains(t, err, "exporting mlp to ONNX: no can do")
}

// TestORTMatchesRefOnTestExport puts the mlp and cnn zoo models on ONNX
// Runtime through the test exporter and checks the outputs against ref.
func TestORTMatchesRefOnTestExport(t *testing.T) {
	if err := ortpeer.Available(); err != nil {
		t.Skipf("ONNX Runtime peer not available: %v", err)
	}
	ctx := context.Background()
	for _, name := range []string{"mlp", "cnn"} {
		for _, batch := range []int{1, 8} {
			c := zooCase(t, name, batch)
			t.Run(c.Name(), func(t *testing.T) {
				r, err := OpenORT(c, zoobenchtest.Export, ortpeer.Options{})
				require.NoError(t, err)
				defer r.Close()
				require.Equal(t, ortpeer.Name, r.Name())
				m, err := Measure(ctx, r, c.Inputs, Budget{Iters: 2}, nil)
				require.NoError(t, err)
				require.NoError(t, c.Check(ctx, m.Outputs))
				e, err := c.MaxAbsErr(ctx, m.Outputs)
				require.NoError(t, err)
				t.Logf("%s: ORT vs ref max abs err %.3g", c.Name(), e)
			})
		}
	}
}

// parityMaxFLOPs bounds the zoo models the exported-ONNX parity test runs:
// ref takes about a second per GFLOP, more under the race detector, and
// `make test` must stay short. Larger models are compared in the benchmarks
// (their max-error-vs-ref metric) instead.
const parityMaxFLOPs = 1e9

// TestExportedZooOnORTMatchesRef is the parity check between ref and ONNX
// Runtime on the ONNX the project's exporter writes, for every zoo model at
// batch 1 (under the race detector only up to parityMaxFLOPs; `make test`
// runs it once more without the detector for the whole zoo).
func TestExportedZooOnORTMatchesRef(t *testing.T) {
	if err := ortpeer.Available(); err != nil {
		t.Skipf("ONNX Runtime peer not available: %v", err)
	}
	if err := ExporterWired(ExportONNX); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	for _, m := range models.Zoo() {
		c, err := NewCase(m, 1)
		require.NoError(t, err)
		t.Run(c.Name(), func(t *testing.T) {
			if raceEnabled && c.Cost.FLOPs > parityMaxFLOPs {
				t.Skipf("%.2g FLOPs is more than this test runs on ref; see the benchmarks' max-abs-err", float64(c.Cost.FLOPs))
			}
			r, err := OpenORT(c, ExportONNX, ortpeer.Options{})
			require.NoError(t, err)
			defer r.Close()
			out, err := r.Run(ctx, c.Inputs)
			require.NoError(t, err)
			require.NoError(t, c.Check(ctx, out))
		})
	}
}
