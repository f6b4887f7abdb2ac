package runtime_test

import (
	"context"
	"testing"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// BenchmarkRunOverhead measures what the runtime adds to a backend's own Run:
// "direct" calls the prepared model, "dispatched" goes through Model.Run
// (input checks, candidate order, breaker, telemetry, output and NaN checks).
// The backend returns a preallocated output so nothing else is measured.
func BenchmarkRunOverhead(b *testing.B) {
	out := []*tensor.Tensor{tensor.MustFromSlice([]float32{6.5, 0, 13}, 1, 3)}
	tiny := &fake{name: "tiny", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) { return out, nil }}
	art := affine(b)
	art.Inputs[0].Dims[0] = runtime.Static(1) // a static model, as most served models are
	in := []*tensor.Tensor{tensor.MustFromSlice([]float32{2, 1}, 1, 2)}
	ctx := context.Background()

	b.Run("direct", func(b *testing.B) {
		p, err := tiny.Prepare(ctx, art)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Run(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dispatched", func(b *testing.B) { benchDispatched(b, tiny, art, in) })
	// The same model with a symbolic batch: the input signature is looked up per run.
	b.Run("dispatched-symbolic", func(b *testing.B) { benchDispatched(b, tiny, affine(b), in) })
}

func benchDispatched(b *testing.B, backend runtime.Backend, art *runtime.Artifact, in []*tensor.Tensor) {
	ctx := context.Background()
	rt, err := runtime.New(runtime.UsingBackends(backend))
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	m, err := rt.Load(ctx, art)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Run(ctx, in...); err != nil {
			b.Fatal(err)
		}
	}
}
