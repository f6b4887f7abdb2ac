package cpu

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
)

// busyParts spins for d per part and counts the parts each slot ran.
type busyParts struct {
	d      time.Duration
	helped atomic.Int64
}

func (b *busyParts) do(_ *runState, slot, lo, hi int) {
	for i := lo; i < hi; i++ {
		for t0 := time.Now(); time.Since(t0) < b.d; {
		}
		if slot != 0 {
			b.helped.Add(1)
		}
	}
}

// BenchmarkPoolHandoff times parallel steps of two parts of 5 µs each, with
// a gap between steps as a model's serial steps leave: at best 5 µs per step
// when the helper takes its part at once, 10 µs when it never does.
// helped/op is the fraction of parts the helper ran.
func BenchmarkPoolHandoff(b *testing.B) {
	for _, gap := range []time.Duration{0, 20 * time.Microsecond, 200 * time.Microsecond} {
		b.Run("gap="+gap.String(), func(b *testing.B) {
			p := newWorkerPool(2)
			defer p.close()
			rs := &runState{scratch: make([]*kernels.Scratch, 2)}
			w := &busyParts{d: 5 * time.Microsecond}
			var inStep time.Duration
			for b.Loop() {
				for t0 := time.Now(); time.Since(t0) < gap; {
				}
				t0 := time.Now()
				p.parallelGrain(rs, w, 2, 2, 1)
				inStep += time.Since(t0)
			}
			b.ReportMetric(float64(inStep.Nanoseconds())/float64(b.N), "ns/step")
			b.ReportMetric(float64(w.helped.Load())/float64(2*b.N), "helped/part")
		})
	}
}
