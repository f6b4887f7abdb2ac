package xla_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// BenchmarkXLAThreads times zoo models on XLA with its client on 1 CPU
// (Options.Threads: 1) and on every CPU of the affinity mask (0), as
// model/batchN/threadsT.
func BenchmarkXLAThreads(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		model string
		batch int
	}{{"mlp", 8}, {"bert_layer", 1}, {"mobilenetv2", 1}, {"resnet50", 1}} {
		z, _ := models.ZooByName(c.model)
		for _, threads := range []int{1, 0} {
			b.Run(fmt.Sprintf("%s/batch%d/threads%d", c.model, c.batch, threads), func(b *testing.B) {
				be := xla.NewXLA(xla.Options{Threads: threads})
				if err := be.Available(); err != nil {
					b.Skip(oneLine(err))
				}
				art, err := z.Build(0)
				if err != nil {
					b.Fatal(err)
				}
				in, err := models.Inputs(art, c.batch, 1)
				if err != nil {
					b.Fatal(err)
				}
				rt, err := runtime.New(runtime.UsingBackends(be))
				if err != nil {
					b.Fatal(err)
				}
				defer rt.Close()
				m, err := rt.Load(ctx, art)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Run(ctx, in...); err != nil { // compile, warm up
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					if _, err := m.Run(ctx, in...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
