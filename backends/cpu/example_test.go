package cpu_test

import (
	"context"
	"fmt"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// A runtime that runs everything on the cpu backend with two threads.
func ExampleNew() {
	rt, err := runtime.New(runtime.UsingBackends(cpu.New(cpu.Options{Threads: 2})))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	art, err := models.MLP(models.MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1, Batch: 4})
	if err != nil {
		panic(err)
	}
	m, err := rt.Load(context.Background(), art)
	if err != nil {
		panic(err)
	}
	in, err := models.Inputs(art, 4, 1)
	if err != nil {
		panic(err)
	}
	out, err := m.Run(context.Background(), in...)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Shape())
	// Output: [4 10]
}
