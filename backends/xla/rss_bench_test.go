package xla_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// rssMiB is this process's resident set size (Linux /proc/self/statm), or 0
// where that is not available.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return 0
	}
	return pages * float64(os.Getpagesize()) / (1 << 20)
}

// BenchmarkRSS runs the zoo's MLP (batch 8) b.N times on each engine and
// reports the resident set size after a warm-up of 100 runs (rss-start-MiB),
// after the b.N runs (rss-end-MiB) and the growth per 1000 runs; run it as
// -benchtime 10000x to see whether memory stays flat over many runs (buffers
// released, executables reused).
func BenchmarkRSS(b *testing.B) {
	ctx := context.Background()
	z, _ := models.ZooByName("mlp")
	art, err := z.Build(0)
	if err != nil {
		b.Fatal(err)
	}
	in, err := models.Inputs(art, 8, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range engines() {
		b.Run(be.Name(), func(b *testing.B) {
			if err := be.Available(); err != nil {
				b.Skip(oneLine(err))
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
			for range 100 {
				if _, err := m.Run(ctx, in...); err != nil {
					b.Fatal(err)
				}
			}
			start := rssMiB()
			b.ResetTimer()
			for range b.N {
				if _, err := m.Run(ctx, in...); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			end := rssMiB()
			b.ReportMetric(start, "rss-start-MiB")
			b.ReportMetric(end, "rss-end-MiB")
			b.ReportMetric((end-start)/float64(b.N)*1000, "MiB/1000runs")
		})
	}
}
