package xla_test

import (
	"context"
	"fmt"

	"github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Running a model on GoMLX's pure-Go engine through a runtime restricted to
// it. relu(x·W + b): x·W = [2·1+1·4, 2·2+1·5, 2·3+1·6] = [6, 9, 12];
// + b = [6.5, −1, 13]; relu gives [6.5, 0, 13].
func ExampleNewGoMLX() {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	bias := b.Weight("b", tensor.MustFromSlice([]float32{0.5, -10, 1}, 3))
	b.Output("y", b.Op("relu", nil, b.Op("add", nil, b.Op("matmul", nil, x, w), bias)))
	model, err := b.Build()
	if err != nil {
		panic(err)
	}
	rt, err := runtime.New(runtime.UsingBackends(xla.NewGoMLX(xla.Options{CacheSize: 4})))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	m, err := rt.Load(context.Background(), model)
	if err != nil {
		panic(err)
	}
	out, err := m.Run(context.Background(), tensor.MustFromSlice([]float32{2, 1}, 1, 2))
	if err != nil {
		panic(err)
	}
	fmt.Println(tensor.MustView[float32](out[0]))
	// Output: [6.5 0 13]
}

// The xla backend says whether it can run here and, if not, why.
func ExampleNewXLA() {
	if err := xla.NewXLA(xla.Options{}).Available(); err != nil {
		fmt.Println("xla unavailable")
		return
	}
	fmt.Println("xla available")
}

// A backend on XLA that computes on one CPU, for a process that shares the
// machine; Detail says which plugin it runs on. (Not run by go test: the
// output depends on whether `make xla` has fetched the plugin.)
func ExampleOptions_threads() {
	b := xla.NewXLA(xla.Options{Threads: 1})
	if err := b.Available(); err != nil {
		fmt.Println("xla unavailable:", err)
		return
	}
	fmt.Println(b.Detail()) // PJRT plugin …/pjrt_c_api_cpu_plugin.so, PJRT C API 0.81, threads: 1
}
