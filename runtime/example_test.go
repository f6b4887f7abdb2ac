package runtime_test

import (
	"context"
	"errors"
	"fmt"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Build a model with the fluent builder, then run it once.
func ExampleRun() {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	bias := b.Weight("b", tensor.MustFromSlice([]float32{0.5, -10, 1}, 3))
	b.Output("y", b.Op("relu", nil, b.Op("add", nil, b.Op("matmul", nil, x, w), bias)))
	model, err := b.Build()
	if err != nil {
		panic(err)
	}

	out, err := runtime.Run(context.Background(), model, tensor.MustFromSlice([]float32{2, 1}, 1, 2))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Shape(), tensor.MustView[float32](out[0]))
	// Output: [1 3] [6.5 0 13]
}

// The builder collects mistakes and Build reports them with the node at fault.
func ExampleBuilder() {
	b := runtime.NewBuilder("mismatch")
	x := b.Input("x", tensor.Float32, runtime.Static(2), runtime.Static(3))
	y := b.Input("y", tensor.Float32, runtime.Static(4))
	b.Output("sum", b.Op("add", nil, x, y))
	_, err := b.Build()
	var e *runtime.Error
	if errors.As(err, &e) {
		fmt.Println(errors.Is(err, runtime.ErrInvalidArtifact), e.Node, e.Op)
	}
	// Output: true add_1 add
}

// A Runtime restricted to chosen backends, and a Model run many times.
func ExampleRuntime_Load() {
	rt, err := runtime.New(runtime.WithBackends("ref"))
	if err != nil {
		panic(err)
	}
	defer rt.Close()

	b := runtime.NewBuilder("double")
	x := b.Input("x", tensor.Int64, runtime.Symbolic("n"))
	b.Output("y", b.Op("add", nil, x, x))
	art, err := b.Build()
	if err != nil {
		panic(err)
	}
	m, err := rt.Load(context.Background(), art)
	if err != nil {
		panic(err)
	}
	for _, in := range [][]int64{{1, 2}, {10, 20, 30}} {
		out, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice(in))
		if err != nil {
			panic(err)
		}
		fmt.Println(info.Backend, tensor.MustView[int64](out[0]))
	}
	// Output:
	// ref [2 4]
	// ref [20 40 60]
}
