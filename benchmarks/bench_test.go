package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"testing"

	_ "github.com/backplane-ml/backplane/backends/all"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// availableBackends lists the registered backends that can run here.
func availableBackends() []string {
	var names []string
	for _, b := range runtime.Backends() {
		if runtime.Availability(b) == nil {
			names = append(names, b.Name())
		}
	}
	return names
}

func rand32(b *testing.B, seed uint64, shape ...int) *tensor.Tensor {
	t, err := tensor.Rand(tensor.Float32, seed, -1, 1, shape...)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// benchModel loads art on one backend and runs it b.N times, reporting GFLOP/s
// when flops > 0. A backend that does not support the model is skipped, with
// the op it lacks.
func benchModel(b *testing.B, backend string, art *runtime.Artifact, flops float64, inputs ...*tensor.Tensor) {
	if be, ok := runtime.Lookup(backend); ok {
		if err := be.Supports(art); errors.Is(err, runtime.ErrUnsupported) {
			b.Skip(err)
		}
	}
	rt, err := runtime.New(runtime.WithBackends(backend))
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	ctx := context.Background()
	m, err := rt.Load(ctx, art)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Run(ctx, inputs...); err != nil { // warm-up, and fail early
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Run(ctx, inputs...); err != nil {
			b.Fatal(err)
		}
	}
	if flops > 0 {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

// singleOp builds a one-node model over inputs of the given shapes (float32).
func singleOp(b *testing.B, op string, attrs ops.Attrs, shapes ...[]int) (*runtime.Artifact, []*tensor.Tensor) {
	bld := runtime.NewBuilder(op)
	vals := make([]runtime.Value, len(shapes))
	feed := make([]*tensor.Tensor, len(shapes))
	for i, s := range shapes {
		vals[i] = bld.Input(fmt.Sprintf("in%d", i), tensor.Float32, runtime.Dims(s...)...)
		feed[i] = rand32(b, uint64(i+1), s...)
	}
	bld.Output("out", bld.Op(op, attrs, vals...))
	art, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	return art, feed
}

func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{64, 256} {
		art, feed := singleOp(b, "matmul", nil, []int{n, n}, []int{n, n})
		for _, be := range availableBackends() {
			b.Run(fmt.Sprintf("%s/%dx%d", be, n, n), func(b *testing.B) {
				benchModel(b, be, art, 2*float64(n*n*n), feed...)
			})
		}
	}
}

func BenchmarkConv3x3(b *testing.B) {
	// A ResNet-style 3x3 convolution, 64→64 channels on 28x28 with padding 1.
	const c, hw = 64, 28
	art, feed := singleOp(b, "conv", ops.Attrs{"pads": []int{1, 1, 1, 1}}, []int{1, c, hw, hw}, []int{c, c, 3, 3})
	flops := 2 * float64(c*c*9*hw*hw)
	for _, be := range availableBackends() {
		b.Run(be, func(b *testing.B) { benchModel(b, be, art, flops, feed...) })
	}
}
