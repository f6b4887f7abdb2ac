package runtime

import (
	"fmt"
	"strings"
	"time"
)

// Decision explains how a model's next run will be dispatched, with the
// numbers behind it.
type Decision struct {
	Model string
	// Order is the backends in the order the next run tries them (before
	// exploration, which sends a fraction Exploration of runs to a random
	// other backend first).
	Order []string
	// Ranked is true when the first two backends both have enough samples
	// (MinSamples) to be ranked by latency, so the lead was won on latency;
	// false means the lead is the static preference's.
	Ranked      bool
	MinSamples  int64
	Exploration float64
	Candidates  []CandidateDecision // in Order
	// Skipped lists backends passed over at Load (unavailable, unsupported).
	Skipped []Attempt
}

// CandidateDecision is one capable backend's standing.
type CandidateDecision struct {
	Backend string
	// Admits is false while the breaker refuses requests.
	Admits   bool
	Prepared bool
	Stats    BackendStats
	// Reason says in words why the backend sits where it does.
	Reason string
}

// Explain returns the dispatch decision for the model's next run and the
// telemetry behind it.
func (m *Model) Explain() Decision {
	now := time.Now()
	m.reorder() // rank on the latest numbers rather than those of the last periodic re-ranking
	order := *m.order.Load()
	d := Decision{Model: m.art.Name, MinSamples: m.rt.policy.MinSamples, Exploration: m.rt.policy.Exploration,
		Skipped: m.Skipped()}
	if len(order) < 2 {
		d.Exploration = 0
	}
	d.Ranked = len(order) > 1 && m.sampled(order[0]) && m.sampled(order[1])
	for i, c := range order {
		s := c.snapshot(m.art.Name, now)
		cd := CandidateDecision{Backend: c.name, Prepared: c.current() != nil, Stats: s,
			Admits: s.Breaker.State == BreakerClosed || s.Breaker.State == BreakerHalfOpen ||
				(s.Breaker.State == BreakerOpen && s.Breaker.OpenFor == 0)}
		switch {
		case len(order) == 1:
			cd.Reason = fmt.Sprintf("the only capable backend (%d runs)", s.Runs)
		case m.sampled(c):
			cd.Reason = fmt.Sprintf("ranked by latency: smoothed %v, p50 %v over %d runs", round(s.Smoothed), round(s.Latency.P50), s.Successes)
		default:
			cd.Reason = fmt.Sprintf("static preference: %d of the %d samples a backend needs before ranking", s.Successes, m.rt.policy.MinSamples)
		}
		switch s.Breaker.State {
		case BreakerOpen:
			cd.Reason += fmt.Sprintf("; breaker open (%s), half-open in %v", s.Breaker.LastTripReason, round(s.Breaker.OpenFor))
		case BreakerHalfOpen:
			cd.Reason += "; breaker half-open: admitting probes"
		}
		if i == len(order)-1 && len(order) > 1 {
			cd.Reason += "; last resort: tried even with its breaker open"
		}
		d.Order = append(d.Order, c.name)
		d.Candidates = append(d.Candidates, cd)
	}
	return d
}

// round trims a duration to three significant digits for display.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	}
	return d
}

// String renders the decision as a few lines for people.
func (d Decision) String() string {
	var b strings.Builder
	policy := "static preference (the leaders do not have enough samples yet)"
	if d.Ranked {
		policy = "lowest smoothed latency among backends with enough samples"
	}
	fmt.Fprintf(&b, "model %q: order %s; policy: %s; exploration %.0f%%\n", d.Model,
		strings.Join(d.Order, " > "), policy, 100*d.Exploration)
	for i, c := range d.Candidates {
		fmt.Fprintf(&b, "  %d. %-8s %s\n", i+1, c.Backend, c.Reason)
	}
	for _, s := range d.Skipped {
		fmt.Fprintf(&b, "  -  %-8s skipped at load [%s]: %s\n", s.Backend, s.Mode, Brief(s.Err))
	}
	return b.String()
}
