package benchmarks

import (
	"context"
	"fmt"
	goruntime "runtime"
	"slices"
	"sync"
	"testing"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/internal/zoobench"
	"github.com/backplane-ml/backplane/models"
)

// errUnit is the max-abs-err metric's unit: the error in units of 1e-9,
// because `go test -bench` prints metrics with at most 7 decimals and float32
// errors are often smaller than 1e-7.
const errUnit = "max-abs-err(1e-9)"

// zooBatches are the batch sizes every zoo model is measured at.
var zooBatches = []int{1, 8}

// The zoo benchmarks share their cases, so that each (model, batch) runs on
// ref at most once for the max-abs-err metric, and BenchmarkORT can divide
// by the best backend's time that BenchmarkZoo measured in the same process.
var (
	zooMu    sync.Mutex
	zooCases = map[string]*zoobench.Case{}
	bestNs   = map[string]bestTime{} // by case name
)

// bestTime is the fastest backend seen for one case.
type bestTime struct {
	backend string
	ns      float64
}

// zooCase returns the shared case of model m at batch.
func zooCase(b *testing.B, m models.ZooModel, batch int) *zoobench.Case {
	zooMu.Lock()
	defer zooMu.Unlock()
	key := fmt.Sprintf("%s/batch%d", m.Name, batch)
	if c, ok := zooCases[key]; ok {
		return c
	}
	c, err := zoobench.NewCase(m, batch)
	if err != nil {
		b.Fatal(err)
	}
	zooCases[key] = c
	return c
}

// refFirst puts ref at the head of the backend list: its warm-up run then
// serves as the reference for every other backend's error metric.
func refFirst(names []string) []string {
	names = slices.Clone(names)
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "ref":
			return -1
		case b == "ref":
			return 1
		}
		return 0
	})
	return names
}

// BenchmarkZoo runs every zoo model at batch 1 and 8 on every available
// backend, as model/batchN/backend. Beyond ns/op and allocs/op it reports
// GFLOP/s (models.FLOPs per run) and max-abs-err, the largest difference
// from ref's outputs on the same inputs.
func BenchmarkZoo(b *testing.B) {
	ctx := context.Background()
	for _, m := range models.Zoo() {
		for _, batch := range zooBatches {
			for _, be := range refFirst(availableBackends()) {
				b.Run(fmt.Sprintf("%s/batch%d/%s", m.Name, batch, be), func(b *testing.B) {
					c := zooCase(b, m, batch)
					r, err := zoobench.OpenBackend(ctx, be, c.Artifact)
					if err != nil {
						b.Fatal(err)
					}
					defer r.Close()
					ns := runZoo(b, c, r)
					zooMu.Lock()
					if best, ok := bestNs[c.Name()]; !ok || ns < best.ns {
						bestNs[c.Name()] = bestTime{be, ns}
					}
					zooMu.Unlock()
				})
			}
		}
	}
}

// BenchmarkORT runs every zoo model at batch 1 and 8 on ONNX Runtime (the
// peer, see internal/ortpeer) from the ONNX zoobench.ExportONNX writes, as
// model/batchN. Besides BenchmarkZoo's metrics it reports best/ORT: the
// best backend's ns/op from BenchmarkZoo in the same run divided by ONNX
// Runtime's (above 1: ONNX Runtime is faster). It skips, saying why, when
// the library (`make ort`) or the exporter is missing.
func BenchmarkORT(b *testing.B) {
	if err := ortpeer.Available(); err != nil {
		b.Skip(err)
	}
	if err := zoobench.ExporterWired(zoobench.ExportONNX); err != nil {
		b.Skip(err)
	}
	for _, m := range models.Zoo() {
		for _, batch := range zooBatches {
			b.Run(fmt.Sprintf("%s/batch%d", m.Name, batch), func(b *testing.B) {
				c := zooCase(b, m, batch)
				r, err := zoobench.OpenORT(c, zoobench.ExportONNX, ortpeer.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				ns := runZoo(b, c, r)
				zooMu.Lock()
				best, ok := bestNs[c.Name()]
				zooMu.Unlock()
				if !ok {
					b.Logf("no best/ORT ratio: run BenchmarkZoo in the same invocation (-bench 'Zoo|ORT')")
					return
				}
				b.ReportMetric(best.ns/ns, "best/ORT")
				b.Logf("best backend %s: %.3g ns/op; ONNX Runtime %s (%d threads): %.3g ns/op",
					best.backend, best.ns, ortpeer.Version(), goruntime.GOMAXPROCS(0), ns)
			})
		}
	}
}

// runZoo times r on the case after one warm-up run and reports the zoo
// metrics; it returns ns/op.
func runZoo(b *testing.B, c *zoobench.Case, r zoobench.Runner) float64 {
	ctx := context.Background()
	out, err := r.Run(ctx, c.Inputs) // warm-up (compilation, caches), and fail early
	if err != nil {
		b.Fatal(err)
	}
	if r.Name() == "ref" {
		c.OfferReference(out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Run(ctx, c.Inputs); err != nil {
			b.Fatal(err)
		}
	}
	// b.Loop has stopped the timer: the reference run below is not measured.
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(c.Cost.FLOPs)/ns, "GFLOP/s") // FLOP per ns = GFLOP per s
	maxErr, err := c.MaxAbsErr(ctx, out)
	if err != nil {
		b.Fatalf("comparing with ref: %v", err)
	}
	b.ReportMetric(maxErr*1e9, errUnit)
	return ns
}
