package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

// Ping checks the backends a runtime was restricted to before any model is
// loaded; an unknown name fails already at New, with a typed error.
func ExampleRuntime_Ping() {
	_, err := runtime.New(runtime.WithBackends("warp-drive"))
	fmt.Println(errors.Is(err, runtime.ErrNotRegistered))

	away := faultinject.Wrap(ref.Backend{}, faultinject.WithName("away"), faultinject.WithRate(faultinject.Unavailable, 1))
	rt, err := runtime.New(runtime.UsingBackends(away, ref.Backend{}))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	err = rt.Ping(context.Background())
	fmt.Println(errors.Is(err, runtime.ErrUnavailable))
	// Output:
	// true
	// true
}

// RunWithInfo says which backend served a request and what failed before
// it: here every run on "flaky" fails and the dispatcher falls back to ref in
// the same request. x·W = [1·1+1·4, 1·2+1·5, 1·3+1·6] = [5 7 9].
func ExampleModel_RunWithInfo() {
	flaky := faultinject.Wrap(ref.Backend{}, faultinject.WithName("flaky"), faultinject.WithRate(faultinject.Error, 1))
	rt, err := runtime.New(runtime.UsingBackends(flaky, ref.Backend{}), runtime.WithThreads(1))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	m, err := rt.Load(context.Background(), exampleModel())
	if err != nil {
		panic(err)
	}
	out, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]float32{1, 1}, 1, 2))
	if err != nil {
		panic(err)
	}
	fmt.Println(tensor.MustView[float32](out[0]), "served by", info.Backend)
	for _, a := range info.Attempts {
		fmt.Printf("tried %s first: failure mode %s\n", a.Backend, a.Mode)
	}
	// Output:
	// [5 7 9] served by ref
	// tried flaky first: failure mode runtime
}
