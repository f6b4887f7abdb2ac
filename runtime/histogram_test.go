package runtime

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []uint64{0, 1, 31, 32, 33, 63, 64, 65, 1000, 1 << 20, 1<<45 - 1}
	for range 10000 {
		values = append(values, r.Uint64N(1<<45))
	}
	for _, v := range values {
		i := histIndex(v)
		lo, w := histBucket(i)
		require.True(t, v >= lo && v < lo+w, "value %d outside bucket %d [%d, %d)", v, i, lo, lo+w)
		mid := float64(lo + w/2)
		if v > 0 {
			require.LessOrEqual(t, abs(mid-float64(v))/float64(v), HistogramRelativeError, "value %d", v)
		}
	}
	// Values beyond the range land in the last bucket instead of overflowing the array.
	require.Equal(t, histBucketsLen-1, histIndex(1<<62))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	// 1..1000 µs, each once: the q-quantile is ceil(1000q) µs.
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	s := h.summary()
	require.Equal(t, uint64(1000), s.Count)
	require.Equal(t, 1000*time.Microsecond, s.Max)
	require.Equal(t, 500500*time.Microsecond, s.Sum) // 1000·1001/2
	for _, c := range []struct {
		got  time.Duration
		want float64
	}{{s.P50, 500e3}, {s.P95, 950e3}, {s.P99, 990e3}} {
		require.InDelta(t, c.want, float64(c.got), c.want*HistogramRelativeError)
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	var h histogram
	require.Equal(t, LatencySummary{}, h.summary())
	h.record(-time.Second) // a clock step backwards counts as zero, never a panic
	require.Equal(t, time.Duration(0), h.summary().P99)
}

func TestHistogramConcurrentRecording(t *testing.T) {
	var h histogram
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.record(time.Duration(g*1000+i) * time.Nanosecond)
			}
		}()
	}
	wg.Wait()
	s := h.summary()
	require.Equal(t, uint64(16000), s.Count)
	require.Equal(t, 15999*time.Nanosecond, s.Max)
}

// BenchmarkTelemetryRecord measures recording one successful run (latency
// histogram, counters, smoothed latency, breaker window) from parallel callers.
func BenchmarkTelemetryRecord(b *testing.B) {
	cfg := DefaultBreakerConfig()
	c := newCandidate(nil, &cfg)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			d = (d + 7919) % (10 * time.Millisecond)
			c.stats.recordSuccess(d, 64, 64)
			c.breaker.record(time.Now(), true, d)
		}
	})
}

func TestSmoothedLatencyAveragesEarlySamples(t *testing.T) {
	var s backendStats
	// A cold first run, then three warm ones: the plain mean is
	// (100 + 1 + 1 + 1) / 4 = 25.75 ms, where a 1/16-weighted EWMA seeded
	// with the first sample would still say about 82 ms.
	for _, ms := range []time.Duration{100, 1, 1, 1} {
		s.recordSuccess(ms*time.Millisecond, 0, 0)
	}
	require.InDelta(t, float64(25750*time.Microsecond), float64(s.ewma()), 1e3)
	// From the 17th sample on, each new one moves it by 1/16 of the difference.
	for range 12 {
		s.recordSuccess(time.Millisecond, 0, 0)
	}
	before := s.ewma()
	s.recordSuccess(before+16*time.Millisecond, 0, 0)
	require.InDelta(t, float64(before+time.Millisecond), float64(s.ewma()), 1e3)
}
