package cpu_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// BenchmarkZooRun times Prepared.Run directly (no runtime around it) on
// every zoo model at batch 1 and 8; -benchmem's allocs/op is the backend's own.
func BenchmarkZooRun(b *testing.B) {
	ctx := context.Background()
	for _, z := range models.Zoo() {
		for _, batch := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/batch%d", z.Name, batch), func(b *testing.B) {
				art, err := z.Build(batch)
				if err != nil {
					b.Fatal(err)
				}
				in, err := models.Inputs(art, batch, 1)
				if err != nil {
					b.Fatal(err)
				}
				be := cpu.New(cpu.Options{})
				p, err := be.Prepare(ctx, art)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				if _, err := p.Run(ctx, in); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := p.Run(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

var _ = runtime.DefaultPreference
