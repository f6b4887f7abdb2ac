package runtime_test

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

func exampleModel() *runtime.Artifact {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b.Output("y", b.Op("matmul", nil, x, w))
	a, err := b.Build()
	if err != nil {
		panic(err)
	}
	return a
}

// A backend that fails every request is routed around: each request falls
// back to ref, the failures are counted, and the breaker opens.
func ExampleModel_Explain() {
	flaky := faultinject.Wrap(ref.Backend{}, faultinject.WithName("flaky"), faultinject.WithRate(faultinject.Error, 1))
	rt, err := runtime.New(runtime.UsingBackends(flaky, ref.Backend{}),
		runtime.WithBreaker(runtime.BreakerConfig{MinSamples: 5, Cooldown: time.Hour}))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	m, err := rt.Load(context.Background(), exampleModel())
	if err != nil {
		panic(err)
	}
	for range 10 {
		out, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]float32{1, 1}, 1, 2))
		if err != nil || info.Backend != "ref" || tensor.MustView[float32](out[0])[0] != 5 {
			panic(fmt.Sprint(err, info))
		}
	}
	for _, s := range rt.Telemetry().Snapshot().Backends {
		fmt.Printf("%s: %d runs, %d ok, failures %v, breaker %s\n", s.Backend, s.Runs, s.Successes, s.Failures, s.Breaker.State)
	}
	fmt.Println(m.Explain().Order)
	// Output:
	// flaky: 5 runs, 0 ok, failures map[runtime:5], breaker open
	// ref: 10 runs, 10 ok, failures map[], breaker closed
	// [flaky ref]
}

// Telemetry is exported in Prometheus' text format (Handler serves it).
func ExampleTelemetry_WritePrometheus() {
	rt, err := runtime.New(runtime.UsingBackends(ref.Backend{}))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	m, err := rt.Load(context.Background(), exampleModel())
	if err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := m.Run(context.Background(), tensor.MustFromSlice([]float32{1, 1}, 1, 2)); err != nil {
			panic(err)
		}
	}
	var b strings.Builder
	if err := rt.Telemetry().WritePrometheus(&b); err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "backplane_runs_total") || strings.HasPrefix(sc.Text(), "backplane_breaker_state{") {
			fmt.Println(sc.Text())
		}
	}
	// Output:
	// backplane_runs_total{model="affine",backend="ref"} 3
	// backplane_breaker_state{model="affine",backend="ref"} 0
}
