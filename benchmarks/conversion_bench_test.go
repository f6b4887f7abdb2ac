package benchmarks

import (
	"context"
	"testing"

	"github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// BenchmarkConversion measures the cost of moving tensors between backplane
// and a GoMLX engine: the model is y = −x, the cheapest op, on 1 Mi float32
// (4 MiB), so the time is mostly conversion. It reports the copies the
// backend made per run (xla.CopyStats): inputs copied in, outputs copied
// out, outputs handed over without a copy.
func BenchmarkConversion(b *testing.B) {
	const n = 1 << 20
	bld := runtime.NewBuilder("neg")
	x := bld.Input("x", tensor.Float32, runtime.Dims(n)...)
	bld.Output("y", bld.Op("neg", nil, x))
	art, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	in := rand32(b, 1, n)
	for _, be := range []*xla.Backend{xla.NewGoMLX(xla.Options{}), xla.NewXLA(xla.Options{})} {
		b.Run(be.Name(), func(b *testing.B) {
			if err := be.Available(); err != nil {
				b.Skip(err)
			}
			p, err := be.Prepare(context.Background(), art)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			ctx := context.Background()
			feed := []*tensor.Tensor{in}
			if _, err := p.Run(ctx, feed); err != nil {
				b.Fatal(err)
			}
			before := p.(xla.CopyReporter).CopyStats()
			b.ReportAllocs()
			b.SetBytes(2 * 4 * n) // one tensor in, one out
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Run(ctx, feed); err != nil {
					b.Fatal(err)
				}
			}
			after := p.(xla.CopyReporter).CopyStats()
			per := func(v, w int64) float64 { return float64(v-w) / float64(b.N) }
			b.ReportMetric(per(after.InCopies, before.InCopies), "in-copies/op")
			b.ReportMetric(per(after.OutCopies, before.OutCopies), "out-copies/op")
			b.ReportMetric(per(after.OutZeroCpy, before.OutZeroCpy), "zero-copy-outs/op")
		})
	}
	// The floor: one plain copy of the same bytes in Go.
	b.Run("go-copy", func(b *testing.B) {
		src := tensor.MustView[float32](in)
		dst := make([]float32, n)
		b.SetBytes(4 * n)
		for b.Loop() {
			copy(dst, src)
		}
	})
}
