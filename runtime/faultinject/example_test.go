package faultinject_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

// Wrap a backend so that every Run fails, then clear the fault.
func ExampleWrap() {
	b := faultinject.Wrap(ref.Backend{}, faultinject.WithRate(faultinject.Error, 1))
	a, err := affineArtifact()
	if err != nil {
		panic(err)
	}
	p, err := b.Prepare(context.Background(), a)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	in := []*tensor.Tensor{tensor.MustFromSlice([]float32{2, 1}, 1, 2)}
	_, err = p.Run(context.Background(), in)
	fmt.Println(errors.Is(err, faultinject.ErrInjected))
	b.Clear()
	out, err := p.Run(context.Background(), in)
	fmt.Println(tensor.MustView[float32](out[0]), err, b.Stats().Injected)
	// Output:
	// true
	// [6.5 0 13] <nil> map[error:1]
}
