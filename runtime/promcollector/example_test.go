package promcollector_test

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/promcollector"
	"github.com/backplane-ml/backplane/tensor"
)

// Registering the runtime's telemetry with a Prometheus registry, which a
// program then serves with promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).
func ExampleNew() {
	rt, err := runtime.New(runtime.UsingBackends(ref.Backend{}))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(promcollector.New(rt.Telemetry()))

	b := runtime.NewBuilder("double")
	x := b.Input("x", tensor.Float32, runtime.Static(2))
	b.Output("y", b.Op("add", nil, x, x))
	art, err := b.Build()
	if err != nil {
		panic(err)
	}
	m, err := rt.Load(context.Background(), art)
	if err != nil {
		panic(err)
	}
	for range 2 {
		if _, err := m.Run(context.Background(), tensor.MustFromSlice([]float32{1, 2}, 2)); err != nil {
			panic(err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range families {
		if f.GetName() == "backplane_runs_total" {
			for _, mt := range f.GetMetric() {
				fmt.Println(f.GetName(), mt.GetLabel()[1].GetValue(), mt.GetLabel()[0].GetValue(), mt.GetCounter().GetValue())
			}
		}
	}
	// Output: backplane_runs_total double ref 2
}
