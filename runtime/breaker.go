package runtime

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// BreakerConfig configures the circuit breaker kept per (model, backend).
//
// The breaker is written here rather than taken from sony/gobreaker (the
// best-kept Go breaker) because gobreaker's open-state timeout is a constant
// where ours grows on repeated trips, it has no notion of a latency SLA, and
// its per-call path takes a mutex where ours, while closed, is one atomic
// load to admit and one atomic add to record.
type BreakerConfig struct {
	// Window is the span of the rolling window over which the success rate
	// and SLA violations are measured (default 10 s).
	Window time.Duration
	// Buckets divides the window; the oldest bucket is dropped as time moves
	// (default 10).
	Buckets int
	// MinSamples is the fewest outcomes in the window before the breaker may
	// trip (default 20).
	MinSamples int
	// SuccessThreshold trips the breaker when the success rate in the window
	// falls below it (default 0.95).
	SuccessThreshold float64
	// SLA, if positive, counts a successful run slower than it as a
	// violation; MaxSLAViolations is the fraction of outcomes in the window
	// that may violate it before the breaker trips (default 0.2).
	SLA              time.Duration
	MaxSLAViolations float64
	// Cooldown is how long the breaker stays open after its first trip
	// (default 1 s). Each further trip without a clean window in between
	// doubles it, up to MaxCooldown (default 1 min).
	Cooldown, MaxCooldown time.Duration
	// Probes is how many requests the half-open breaker lets through; when
	// all of them succeed it closes, when one fails it opens again (default 3).
	Probes int
}

// DefaultBreakerConfig returns the defaults described on BreakerConfig.
func DefaultBreakerConfig() BreakerConfig {
	return BreakerConfig{Window: 10 * time.Second, Buckets: 10, MinSamples: 20, SuccessThreshold: 0.95,
		MaxSLAViolations: 0.2, Cooldown: time.Second, MaxCooldown: time.Minute, Probes: 3}
}

func (c BreakerConfig) validate() error {
	switch {
	case c.Window <= 0 || c.Buckets <= 0 || c.Window/time.Duration(c.Buckets) <= 0:
		return fmt.Errorf("runtime: breaker window %v with %d buckets is not positive", c.Window, c.Buckets)
	case c.MinSamples < 1:
		return fmt.Errorf("runtime: breaker MinSamples %d must be at least 1", c.MinSamples)
	case !(c.SuccessThreshold >= 0 && c.SuccessThreshold <= 1):
		return fmt.Errorf("runtime: breaker SuccessThreshold %g is not in [0, 1]", c.SuccessThreshold)
	case !(c.MaxSLAViolations >= 0 && c.MaxSLAViolations <= 1):
		return fmt.Errorf("runtime: breaker MaxSLAViolations %g is not in [0, 1]", c.MaxSLAViolations)
	case c.SLA < 0:
		return fmt.Errorf("runtime: breaker SLA %v is negative", c.SLA)
	case c.Cooldown <= 0 || c.MaxCooldown < c.Cooldown:
		return fmt.Errorf("runtime: breaker cooldown %v (max %v) must be positive and at most the max", c.Cooldown, c.MaxCooldown)
	case c.Probes < 1:
		return fmt.Errorf("runtime: breaker Probes %d must be at least 1", c.Probes)
	}
	return nil
}

// BreakerState is the state of a circuit breaker.
type BreakerState int32

// The breaker states.
const (
	BreakerClosed   BreakerState = iota // requests flow; outcomes are counted
	BreakerOpen                         // requests are refused until the cooldown ends
	BreakerHalfOpen                     // a few probes are let through to test recovery
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "breaker-state(?)"
}

// breakerBucket counts outcomes in one slice of the rolling window. epoch is
// the slice's index since the Unix epoch; a bucket whose epoch is stale is
// reset before use.
type breakerBucket struct {
	epoch            atomic.Int64
	ok, failed, slow atomic.Int64
}

// breaker is a circuit breaker. While closed, admitting a request is one
// atomic load and recording an outcome one or two atomic adds; transitions
// take the mutex.
type breaker struct {
	cfg     *BreakerConfig
	width   int64 // nanoseconds per bucket
	state   atomic.Int32
	buckets []breakerBucket

	mu         sync.Mutex
	openUntil  time.Time // while open
	trips      int       // consecutive trips, for the growing cooldown
	lastTrip   time.Time
	probesLeft int // admissions left while half-open
	probesOK   int // successful probes while half-open
	tripReason string
	tripCount  int64 // trips over the breaker's life
}

func newBreaker(cfg *BreakerConfig) *breaker {
	return &breaker{cfg: cfg, width: int64(cfg.Window) / int64(cfg.Buckets), buckets: make([]breakerBucket, cfg.Buckets)}
}

// allow reports whether a request may go to the backend now. While half-open
// it hands out at most Probes admissions; a caller admitted as a probe must
// report its outcome with record (or release if it never ran).
func (b *breaker) allow(now time.Time) bool {
	if BreakerState(b.state.Load()) == BreakerClosed {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch BreakerState(b.state.Load()) {
	case BreakerClosed:
		return true
	case BreakerOpen:
		if now.Before(b.openUntil) {
			return false
		}
		b.state.Store(int32(BreakerHalfOpen))
		b.probesLeft, b.probesOK = b.cfg.Probes, 0
	}
	if b.probesLeft == 0 {
		return false
	}
	b.probesLeft--
	return true
}

// release returns a half-open admission that produced no verdict (the
// caller's context was cancelled before the backend answered).
func (b *breaker) release() {
	if BreakerState(b.state.Load()) != BreakerHalfOpen {
		return
	}
	b.mu.Lock()
	if BreakerState(b.state.Load()) == BreakerHalfOpen && b.probesLeft+b.probesOK < b.cfg.Probes {
		b.probesLeft++
	}
	b.mu.Unlock()
}

// record counts one outcome. latency is only used for successes, against the SLA.
func (b *breaker) record(now time.Time, success bool, latency time.Duration) {
	slow := success && b.cfg.SLA > 0 && latency > b.cfg.SLA
	if st := BreakerState(b.state.Load()); st != BreakerClosed {
		b.recordHalfOpen(now, success && !slow)
		return
	}
	bk := b.bucket(now)
	switch {
	case !success:
		bk.failed.Add(1)
	case slow:
		bk.ok.Add(1)
		bk.slow.Add(1)
	default:
		bk.ok.Add(1)
		return // a success cannot trip the breaker
	}
	b.maybeTrip(now)
}

func (b *breaker) bucket(now time.Time) *breakerBucket {
	epoch := now.UnixNano() / b.width
	bk := &b.buckets[epoch%int64(len(b.buckets))]
	if bk.epoch.Load() != epoch {
		b.mu.Lock()
		if bk.epoch.Load() != epoch {
			bk.ok.Store(0)
			bk.failed.Store(0)
			bk.slow.Store(0)
			bk.epoch.Store(epoch)
		}
		b.mu.Unlock()
	}
	return bk
}

// window sums the buckets still inside the rolling window.
func (b *breaker) window(now time.Time) (ok, failed, slow int64) {
	epoch := now.UnixNano() / b.width
	for i := range b.buckets {
		bk := &b.buckets[i]
		if e := bk.epoch.Load(); e > epoch-int64(len(b.buckets)) && e <= epoch {
			ok += bk.ok.Load()
			failed += bk.failed.Load()
			slow += bk.slow.Load()
		}
	}
	return ok, failed, slow
}

func (b *breaker) maybeTrip(now time.Time) {
	ok, failed, slow := b.window(now)
	n := ok + failed
	if n < int64(b.cfg.MinSamples) {
		return
	}
	var reason string
	if rate := float64(ok) / float64(n); rate < b.cfg.SuccessThreshold {
		reason = fmt.Sprintf("success rate %.1f%% < %.1f%% over %d runs", 100*rate, 100*b.cfg.SuccessThreshold, n)
	} else if b.cfg.SLA > 0 && float64(slow)/float64(n) > b.cfg.MaxSLAViolations {
		reason = fmt.Sprintf("%d of %d runs slower than the %v SLA", slow, n, b.cfg.SLA)
	} else {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if BreakerState(b.state.Load()) != BreakerClosed {
		return
	}
	if now.Sub(b.lastTrip) > b.cfg.Window+b.cooldownLocked() {
		b.trips = 0 // a clean window since the last trip: start the cooldown afresh
	}
	b.tripLocked(now, reason)
}

func (b *breaker) recordHalfOpen(now time.Time, success bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if BreakerState(b.state.Load()) != BreakerHalfOpen {
		return // an outcome of a request admitted before the breaker opened
	}
	if !success {
		b.tripLocked(now, "a half-open probe failed")
		return
	}
	b.probesOK++
	if b.probesOK >= b.cfg.Probes {
		for i := range b.buckets {
			bk := &b.buckets[i]
			bk.ok.Store(0)
			bk.failed.Store(0)
			bk.slow.Store(0)
		}
		b.state.Store(int32(BreakerClosed))
	}
}

func (b *breaker) cooldownLocked() time.Duration {
	d := b.cfg.Cooldown
	for i := 1; i < b.trips && d < b.cfg.MaxCooldown; i++ {
		d *= 2
	}
	return min(d, b.cfg.MaxCooldown)
}

func (b *breaker) tripLocked(now time.Time, reason string) {
	b.trips++
	b.tripCount++
	b.lastTrip = now
	b.tripReason = reason
	b.openUntil = now.Add(b.cooldownLocked())
	b.state.Store(int32(BreakerOpen))
}

// BreakerSnapshot describes a breaker at one moment.
type BreakerSnapshot struct {
	State BreakerState
	// Window counts the outcomes in the rolling window (while closed).
	WindowOK, WindowFailed, WindowSlow int64
	Trips                              int64         // times the breaker has opened
	LastTripReason                     string        // why it last opened
	Cooldown                           time.Duration // current cooldown (grows on repeated trips)
	OpenFor                            time.Duration // while open: time left before half-open
}

func (b *breaker) snapshot(now time.Time) BreakerSnapshot {
	ok, failed, slow := b.window(now)
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BreakerSnapshot{State: BreakerState(b.state.Load()), WindowOK: ok, WindowFailed: failed, WindowSlow: slow,
		Trips: b.tripCount, LastTripReason: b.tripReason, Cooldown: b.cooldownLocked()}
	if s.State == BreakerOpen && now.Before(b.openUntil) {
		s.OpenFor = b.openUntil.Sub(now)
	}
	return s
}
