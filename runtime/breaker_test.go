package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testBreaker(t *testing.T, mutate func(*BreakerConfig)) *breaker {
	cfg := BreakerConfig{Window: time.Second, Buckets: 10, MinSamples: 10, SuccessThreshold: 0.9,
		MaxSLAViolations: 0.5, Cooldown: 100 * time.Millisecond, MaxCooldown: 350 * time.Millisecond, Probes: 2}
	if mutate != nil {
		mutate(&cfg)
	}
	require.NoError(t, cfg.validate())
	return newBreaker(&cfg)
}

var t0 = time.Unix(1_700_000_000, 0)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestBreakerNeedsMinSamplesBeforeTripping(t *testing.T) {
	b := testBreaker(t, nil)
	for i := range 9 { // 9 failures: below MinSamples 10
		b.record(at(i), false, 0)
	}
	require.Equal(t, BreakerClosed, b.snapshot(at(9)).State)
	b.record(at(9), false, 0)
	s := b.snapshot(at(10))
	require.Equal(t, BreakerOpen, s.State)
	require.Contains(t, s.LastTripReason, "success rate 0.0%")
	require.False(t, b.allow(at(10)))
}

func TestBreakerTripsOnSuccessRateBelowThreshold(t *testing.T) {
	b := testBreaker(t, nil)
	// 18 successes then 2 failures: 18/20 = 90% is not below the 0.9 threshold.
	for i := range 18 {
		b.record(at(i), true, time.Millisecond)
	}
	b.record(at(18), false, 0)
	b.record(at(19), false, 0)
	require.Equal(t, BreakerClosed, b.snapshot(at(20)).State)
	// A third failure: 18/21 ≈ 85.7% < 90%.
	b.record(at(20), false, 0)
	require.Equal(t, BreakerOpen, b.snapshot(at(21)).State)
}

func TestBreakerRollingWindowForgetsOldOutcomes(t *testing.T) {
	b := testBreaker(t, nil)
	for i := range 9 {
		b.record(at(i), false, 0)
	}
	// 1.5 s later the nine failures have left the 1 s window: one more is 1 of 1 sample.
	b.record(at(1500), false, 0)
	s := b.snapshot(at(1500))
	require.Equal(t, BreakerClosed, s.State)
	require.Equal(t, int64(1), s.WindowFailed)
}

func TestBreakerTripsOnSLAViolations(t *testing.T) {
	b := testBreaker(t, func(c *BreakerConfig) { c.SLA = 10 * time.Millisecond })
	// Every run succeeds; 6 of 11 are slower than the SLA: 54.5% > 50%.
	for i := range 5 {
		b.record(at(i), true, time.Millisecond)
	}
	for i := 5; i < 10; i++ {
		b.record(at(i), true, 20*time.Millisecond)
	}
	require.Equal(t, BreakerClosed, b.snapshot(at(10)).State, "5 of 10 slow is not above 50%")
	b.record(at(10), true, 20*time.Millisecond)
	s := b.snapshot(at(11))
	require.Equal(t, BreakerOpen, s.State)
	require.Contains(t, s.LastTripReason, "SLA")
}

func trip(b *breaker, start int) {
	for i := range 10 {
		b.record(at(start+i), false, 0)
	}
}

func TestBreakerHalfOpenProbesCloseIt(t *testing.T) {
	b := testBreaker(t, nil)
	trip(b, 0)
	require.False(t, b.allow(at(50)), "open during the cooldown")
	// After the 100 ms cooldown: half-open, two probes admitted, the third refused.
	require.True(t, b.allow(at(120)))
	require.True(t, b.allow(at(121)))
	require.False(t, b.allow(at(122)))
	require.Equal(t, BreakerHalfOpen, b.snapshot(at(122)).State)
	b.record(at(130), true, time.Millisecond)
	require.Equal(t, BreakerHalfOpen, b.snapshot(at(130)).State)
	b.record(at(131), true, time.Millisecond)
	s := b.snapshot(at(131))
	require.Equal(t, BreakerClosed, s.State)
	require.Equal(t, int64(0), s.WindowFailed, "closing starts a fresh window")
	require.True(t, b.allow(at(132)))
}

func TestBreakerCooldownGrowsOnRepeatedTrips(t *testing.T) {
	b := testBreaker(t, nil)
	trip(b, 0) // opens at 9 ms for 100 ms
	require.Equal(t, 100*time.Millisecond, b.snapshot(at(10)).Cooldown)
	require.True(t, b.allow(at(110)))
	b.record(at(111), false, 0) // the probe fails: open again, cooldown doubled
	s := b.snapshot(at(112))
	require.Equal(t, BreakerOpen, s.State)
	require.Equal(t, 200*time.Millisecond, s.Cooldown)
	require.False(t, b.allow(at(300)))
	require.True(t, b.allow(at(312)))
	b.record(at(313), false, 0)
	require.Equal(t, 350*time.Millisecond, b.snapshot(at(314)).Cooldown, "capped at MaxCooldown")
	require.Equal(t, int64(3), b.snapshot(at(314)).Trips)
}

func TestBreakerCooldownResetsAfterACleanWindow(t *testing.T) {
	b := testBreaker(t, nil)
	trip(b, 0)
	require.True(t, b.allow(at(110)))
	b.record(at(111), false, 0) // second trip: 200 ms
	require.True(t, b.allow(at(320)))
	require.True(t, b.allow(at(321)))
	b.record(at(322), true, 0)
	b.record(at(323), true, 0) // closed again
	require.Equal(t, BreakerClosed, b.snapshot(at(324)).State)
	// Much later, a new burst of failures starts over at the base cooldown.
	trip(b, 10_000)
	require.Equal(t, 100*time.Millisecond, b.snapshot(at(10_010)).Cooldown)
}

func TestBreakerReleaseReturnsAProbe(t *testing.T) {
	b := testBreaker(t, func(c *BreakerConfig) { c.Probes = 1 })
	trip(b, 0)
	require.True(t, b.allow(at(200)))
	require.False(t, b.allow(at(201)))
	b.release() // the probe's caller gave up before an answer
	require.True(t, b.allow(at(202)))
}

func TestBreakerConfigValidation(t *testing.T) {
	for name, mutate := range map[string]func(*BreakerConfig){
		"window":    func(c *BreakerConfig) { c.Window = 0 },
		"buckets":   func(c *BreakerConfig) { c.Buckets = -1 },
		"samples":   func(c *BreakerConfig) { c.MinSamples = 0 },
		"threshold": func(c *BreakerConfig) { c.SuccessThreshold = 1.5 },
		"sla":       func(c *BreakerConfig) { c.SLA = -time.Second },
		"cooldown":  func(c *BreakerConfig) { c.MaxCooldown = c.Cooldown / 2 },
		"probes":    func(c *BreakerConfig) { c.Probes = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultBreakerConfig()
			mutate(&c)
			require.Error(t, c.validate())
		})
	}
	require.NoError(t, DefaultBreakerConfig().validate())
}
