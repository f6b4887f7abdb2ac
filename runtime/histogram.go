package runtime

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram is log-linear, as HDR histograms are: values below
// 2^histSubBits nanoseconds have a bucket each, and every power of two above
// is split into 2^histSubBits equal buckets. A bucket [lo, lo+w) has w ≤ lo/32,
// so reporting its midpoint is within 1/64 (≈1.6%) of any value in it.
//
// It is hand-written rather than taken from HdrHistogram-go or DDSketch
// because recording must be lock-free and allocation-free under concurrent
// callers (both libraries need a mutex around Record), and exporting it needs
// only quantiles, which take twenty lines.
const (
	histSubBits    = 5
	histSub        = 1 << histSubBits
	histMaxExp     = 45 // 2^45 ns ≈ 9.8 hours; longer latencies land in the last bucket
	histBucketsLen = (histMaxExp - histSubBits + 2) * histSub
)

// HistogramRelativeError bounds the relative error of a quantile reported by
// a latency histogram (for latencies of at least 32 ns, which are exact below).
const HistogramRelativeError = 1.0 / (2 * histSub)

// histogram counts durations. The zero value is ready; it is safe for
// concurrent use and records without locks or allocations.
type histogram struct {
	counts [histBucketsLen]atomic.Uint64
	count  atomic.Uint64
	sum    atomic.Uint64 // nanoseconds; wraps after 584 years of total latency
	max    atomic.Uint64
}

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	exp := bits.Len64(v) - 1 // ≥ histSubBits
	if exp > histMaxExp {
		return histBucketsLen - 1
	}
	sub := (v >> (exp - histSubBits)) & (histSub - 1)
	return (exp-histSubBits+1)*histSub + int(sub)
}

// histBucket returns the lower bound and width of bucket i.
func histBucket(i int) (lo, width uint64) {
	if i < histSub {
		return uint64(i), 1
	}
	exp := i/histSub - 1 + histSubBits
	sub := uint64(i % histSub)
	shift := exp - histSubBits
	return (histSub + sub) << shift, 1 << shift
}

func (h *histogram) record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[histIndex(v)].Add(1)
	h.count.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// LatencySummary is a histogram's content at one moment.
type LatencySummary struct {
	Count         uint64
	Sum           time.Duration // total latency
	Mean          time.Duration
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// summary reads the histogram. Concurrent records may or may not be included;
// the quantiles are computed from one pass over the buckets, so they are
// consistent with each other.
func (h *histogram) summary() LatencySummary {
	var counts [histBucketsLen]uint64
	var n uint64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	s := LatencySummary{Count: n, Max: time.Duration(h.max.Load())}
	if n == 0 {
		return s
	}
	s.Sum = time.Duration(h.sum.Load())
	s.Mean = time.Duration(h.sum.Load() / max(h.count.Load(), 1))
	qs := [3]float64{0.50, 0.95, 0.99}
	var out [3]time.Duration
	for k, q := range qs {
		out[k] = quantile(&counts, n, q)
		if out[k] > s.Max {
			out[k] = s.Max // the midpoint of the top bucket can exceed the largest value seen
		}
	}
	s.P50, s.P95, s.P99 = out[0], out[1], out[2]
	return s
}

// quantile returns the midpoint of the bucket holding the q-quantile (the
// smallest value with at least q·n values at or below it).
func quantile(counts *[histBucketsLen]uint64, n uint64, q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			lo, w := histBucket(i)
			return time.Duration(lo + w/2)
		}
	}
	lo, w := histBucket(histBucketsLen - 1)
	return time.Duration(lo + w/2)
}
