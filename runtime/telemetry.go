package runtime

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// failureModes lists the failure modes in the order telemetry reports them.
var failureModes = [...]FailureMode{ModeUnavailable, ModeUnsupported, ModeCompile, ModeRuntime,
	ModeTimeout, ModePanic, ModeNumeric, ModeMemory}

func modeIndex(m FailureMode) int {
	for i, x := range failureModes {
		if x == m {
			return i
		}
	}
	return int(modeIndexRuntime)
}

const modeIndexRuntime = 3

// backendStats is the telemetry of one (model, backend) pair. Every field is
// updated with atomics, so recording is safe for concurrent use and takes no
// lock and no allocation.
type backendStats struct {
	runs, successes atomic.Int64
	failures        [len(failureModes)]atomic.Int64
	latency         histogram
	ewmaNanos       atomic.Uint64 // float64 bits: smoothed latency of successful runs
	compiles        atomic.Int64  // Prepare calls that succeeded
	compileNanos    atomic.Int64
	bytesIn         atomic.Int64
	bytesOut        atomic.Int64
	shadowChecks    atomic.Int64
	shadowDropped   atomic.Int64
	inputErrors     atomic.Int64 // requests whose data the backend found invalid (not failures)
	nonFiniteChecks atomic.Int64 // non-finite outputs judged against ref
}

// ewmaWeight is the weight of a new sample in the smoothed latency the
// dispatcher ranks backends by, once 16 samples are in: about the last 16
// runs count.
const ewmaWeight = 1.0 / 16

func (s *backendStats) recordSuccess(d time.Duration, in, out int64) {
	s.runs.Add(1)
	n := s.successes.Add(1)
	s.latency.record(d)
	s.bytesIn.Add(in)
	s.bytesOut.Add(out)
	// The first 16 samples are averaged plainly (weight 1/n), so that one
	// slow first run (cold caches) does not dominate the early ranking.
	w := max(1/float64(max(n, 1)), ewmaWeight)
	for {
		old := s.ewmaNanos.Load()
		v := float64(d)
		if old != 0 {
			prev := math.Float64frombits(old)
			v = prev + w*(v-prev)
		}
		if s.ewmaNanos.CompareAndSwap(old, math.Float64bits(max(v, 1))) {
			return
		}
	}
}

func (s *backendStats) recordFailure(m FailureMode) {
	s.runs.Add(1)
	s.failures[modeIndex(m)].Add(1)
}

func (s *backendStats) ewma() time.Duration {
	return time.Duration(math.Float64frombits(s.ewmaNanos.Load()))
}

// BackendStats is the telemetry of one (model, backend) pair at one moment.
type BackendStats struct {
	Model   string // artifact name
	Backend string
	// Runs counts attempts on this backend: Successes plus every failure.
	Runs, Successes int64
	// Failures counts failed attempts by mode; modes with none are absent.
	Failures map[FailureMode]int64
	// Latency summarises successful runs (quantiles within
	// HistogramRelativeError of the true values).
	Latency LatencySummary
	// Smoothed is the exponentially weighted latency the dispatcher ranks by.
	Smoothed time.Duration
	// Compiles and CompileTime count successful Prepare calls plus, for
	// engines that compile per input signature (CompileReporter), their
	// compiles; CacheHits counts runs that reused a compiled executable.
	Compiles    int64
	CompileTime time.Duration
	CacheHits   int64
	// BytesIn and BytesOut count tensor bytes of successful runs.
	BytesIn, BytesOut int64
	// ShadowChecks counts outputs re-checked on ref; ShadowDropped those
	// sampled but skipped because the checker was busy.
	ShadowChecks, ShadowDropped int64
	// InputErrors counts requests whose data the backend found invalid for
	// the model (ModeInputData): returned to the caller, not failures.
	InputErrors int64
	// NonFiniteChecks counts outputs holding NaN or Inf from finite inputs
	// that were judged against the reference backend (see Policy).
	NonFiniteChecks int64
	Breaker         BreakerSnapshot
}

// SuccessRate is Successes/Runs, or 1 before any run.
func (s BackendStats) SuccessRate() float64 {
	if s.Runs == 0 {
		return 1
	}
	return float64(s.Successes) / float64(s.Runs)
}

// Snapshot is the runtime's telemetry at one moment.
type Snapshot struct {
	Time     time.Time
	Backends []BackendStats // sorted by model, then backend preference
	// Specializations counts, per template model (sorted by name), the runs
	// that found their signature's specialization loaded and those that made
	// it. Each loaded specialization has Backends rows of its own, named
	// "model[dim=size;...]".
	Specializations []SpecializationStats
	Memory          MemoryStats
}

// Telemetry collects per (model, backend) statistics of one Runtime. Get it
// with Runtime.Telemetry; read it with Snapshot, Handler (Prometheus text
// format) or PublishExpvar.
type Telemetry struct {
	mu     sync.Mutex
	models []*Model // loaded models, in load order
}

func (t *Telemetry) add(m *Model) {
	t.mu.Lock()
	t.models = append(t.models, m)
	t.mu.Unlock()
}

func (t *Telemetry) remove(m *Model) {
	t.mu.Lock()
	if i := slices.Index(t.models, m); i >= 0 {
		t.models = slices.Delete(t.models, i, i+1)
	}
	t.mu.Unlock()
}

// Snapshot returns the statistics of every model loaded and not yet closed,
// and the process's memory.
func (t *Telemetry) Snapshot() Snapshot {
	now := time.Now()
	t.mu.Lock()
	models := slices.Clone(t.models)
	t.mu.Unlock()
	s := Snapshot{Time: now, Memory: ReadMemoryStats()}
	for _, m := range models {
		s.Backends = append(s.Backends, m.stats(now)...)
		if sp, ok := m.Specializations(); ok {
			s.Specializations = append(s.Specializations, sp)
		}
	}
	slices.SortStableFunc(s.Specializations, func(a, b SpecializationStats) int { return strings.Compare(a.Model, b.Model) })
	slices.SortStableFunc(s.Backends, func(a, b BackendStats) int { return strings.Compare(a.Model, b.Model) })
	return s
}

// stats returns the telemetry of each of m's candidate backends.
func (m *Model) stats(now time.Time) []BackendStats {
	out := make([]BackendStats, 0, len(m.cands))
	for _, c := range m.cands {
		out = append(out, c.snapshot(m.art.Name, now))
	}
	return out
}

func (c *candidate) snapshot(model string, now time.Time) BackendStats {
	s := &c.stats
	b := BackendStats{Model: model, Backend: c.backend.Name(), Runs: s.runs.Load(), Successes: s.successes.Load(),
		Latency: s.latency.summary(), Smoothed: s.ewma(), Compiles: s.compiles.Load(),
		CompileTime: time.Duration(s.compileNanos.Load()), BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load(),
		ShadowChecks: s.shadowChecks.Load(), ShadowDropped: s.shadowDropped.Load(),
		InputErrors: s.inputErrors.Load(), NonFiniteChecks: s.nonFiniteChecks.Load(), Breaker: c.breaker.snapshot(now)}
	for i, mode := range failureModes {
		if n := s.failures[i].Load(); n > 0 {
			if b.Failures == nil {
				b.Failures = map[FailureMode]int64{}
			}
			b.Failures[mode] = n
		}
	}
	if p := c.current(); p != nil {
		if r, ok := p.(CompileReporter); ok {
			cs := compileStatsRecovered(r)
			b.Compiles += cs.Compiles
			b.CompileTime += cs.CompileTime
			b.CacheHits = cs.Hits
		}
	}
	return b
}

func compileStatsRecovered(r CompileReporter) (cs CompileStats) {
	defer func() { _ = recover() }() // telemetry must not crash on a faulty backend
	return r.CompileStats()
}
