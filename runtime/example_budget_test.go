package runtime_test

import (
	"context"
	"errors"
	"fmt"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// A runtime with a 64 MiB memory budget refuses, before allocating, a run
// whose values would need more: here a batch of a million rows.
func ExampleWithMemoryBudget() {
	b := runtime.NewBuilder("widen")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(16))
	b.Output("y", b.Op("neg", nil, b.Op("relu", nil, x)))
	model, err := b.Build()
	if err != nil {
		panic(err)
	}
	rt, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMemoryBudget(64<<20))
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	m, err := rt.Load(context.Background(), model)
	if err != nil {
		panic(err)
	}

	small, _ := tensor.New(tensor.Float32, 8, 16)
	_, err = m.Run(context.Background(), small)
	fmt.Println("8 rows:", err)

	big, _ := tensor.New(tensor.Float32, 1<<20, 16) // 64 MiB per value, two live at once
	_, err = m.Run(context.Background(), big)
	var e *runtime.Error
	if errors.As(err, &e) {
		fmt.Println("a million rows:", errors.Is(err, runtime.ErrMemory), e.Model, e.Input != "")
	}
	// Output:
	// 8 rows: <nil>
	// a million rows: true widen true
}
