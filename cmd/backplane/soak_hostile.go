package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/backplane-ml/backplane/internal/hostile"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// soakMemoryBudget bounds the soak runtime's memory, so a hostile request
// for 16 GiB is refused on every backend (the fast ones declare no scratch
// and would otherwise be given what the machine has).
const soakMemoryBudget = 2 << 30

// hostileRequest is one kind of hostile request: a crafted model and
// input, and what a correct answer is (an error of a given kind, or the
// reference backend's outputs computed once at setup).
type hostileRequest struct {
	name    string
	m       *runtime.Model
	feed    []*tensor.Tensor
	wantErr error            // the error kind a correct answer has, or nil
	want    []*tensor.Tensor // ref's outputs when wantErr is nil
}

// The kinds of soak phase.
const (
	phaseFault int32 = iota
	phaseClean
	phaseHostile
)

// hostileCounts are the outcomes of the hostile phases, and where clean
// requests were served in clean and in hostile phases: hostile requests
// must not move clean traffic off the backend it runs on.
type hostileCounts struct {
	sent, refused, answered atomic.Int64 // hostile requests and their correct outcomes
	inClean, inHostile      cleanServed
}

// cleanServed counts clean requests, those that fell back after a failed
// attempt, and those the reference backend served.
type cleanServed struct {
	n, fallbacks, onRef atomic.Int64
}

// hostileMix loads the hostile models of issue 15 into rt: client data
// every backend refuses (an index out of range, an integer division by
// zero), NaN inputs, legitimate NaN outputs (sqrt of negatives) and a
// request for 16 GiB.
func hostileMix(ctx context.Context, rt *runtime.Runtime) ([]hostileRequest, error) {
	nan := float32(math.NaN())
	specs := []struct {
		name    string
		model   []byte
		feed    []*tensor.Tensor
		wantErr error
	}{
		{"gather-index-out-of-range", hostile.GatherModel(), []*tensor.Tensor{tensor.MustFromSlice([]int64{0, 9, 1}, 3)}, runtime.ErrInvalidInput},
		{"int-division-by-zero", hostile.IntDivModel(), []*tensor.Tensor{tensor.MustFromSlice([]int32{1, 2, 3, 4}, 4), tensor.MustFromSlice([]int32{1, 0, 2, 2}, 4)}, runtime.ErrInvalidInput},
		{"nan-inputs", hostile.ScaleModel(), []*tensor.Tensor{tensor.MustFromSlice([]float32{1, nan, float32(math.Inf(-1)), 2}, 4)}, nil},
		{"sqrt-of-negatives", hostile.SqrtModel(), []*tensor.Tensor{tensor.MustFromSlice([]float32{-1, 0, 4, -9, 2, 16, -0.5, 1, 9, -4, 25, 3}, 3, 4)}, nil},
		{"16-GiB-expand", hostile.HugeExpand(1 << 31), []*tensor.Tensor{tensor.MustFromSlice([]float32{1}, 1)}, runtime.ErrMemory},
	}
	var mix []hostileRequest
	for _, s := range specs {
		art, err := onnx.Import(s.model, onnx.Options{Name: s.name})
		if err != nil {
			return nil, fmt.Errorf("hostile model %s: %w", s.name, err)
		}
		m, err := rt.Load(ctx, art)
		if err != nil {
			return nil, fmt.Errorf("hostile model %s: %w", s.name, err)
		}
		h := hostileRequest{name: s.name, m: m, feed: s.feed, wantErr: s.wantErr}
		if s.wantErr == nil {
			if h.want, _, err = timeOn(ctx, art, s.feed, runtime.WithBackends(runtime.GroundTruth), 0, 0, false); err != nil {
				return nil, fmt.Errorf("hostile model %s on ref: %w", s.name, err)
			}
		}
		mix = append(mix, h)
	}
	return mix, nil
}

// runHostile sends one hostile request and counts its outcome: the
// expected error kind or ref's outputs are correct; any other typed error
// is counted typed, an answer that differs is wrong.
func runHostile(ctx context.Context, c *soakCounts, hc *hostileCounts, h hostileRequest) {
	hc.sent.Add(1)
	out, err := h.m.Run(ctx, h.feed...)
	switch {
	case h.wantErr != nil && errors.Is(err, h.wantErr):
		hc.refused.Add(1)
		c.typed.Add(1)
	case h.wantErr != nil && err == nil:
		c.wrong.Add(1) // an answer where the data allows none
	case err != nil:
		classify(c, soakModel{}, nil, err)
	default:
		for i := range h.want {
			if !tensor.Compare(out[i], h.want[i], demoTolerance).Equal {
				c.wrong.Add(1)
				return
			}
		}
		hc.answered.Add(1)
		c.ok.Add(1)
	}
}

// runClean sends a clean request outside fault phases and records whether
// it fell back (a backend failed first: a breaker refusing is not a
// failure) or ended on the reference backend. Requests that straddle a
// phase boundary (when a fault phase may begin) are not recorded.
func runClean(ctx context.Context, c *soakCounts, hc *hostileCounts, sm soakModel, hostilePhase bool, phase *atomic.Int64) {
	start := phase.Load()
	out, info, err := sm.m.RunWithInfo(ctx, sm.feed...)
	classify(c, sm, out, err)
	if phase.Load() != start {
		return
	}
	s := &hc.inClean
	if hostilePhase {
		s = &hc.inHostile
	}
	s.n.Add(1)
	for _, a := range info.Attempts {
		if a.Mode != runtime.ModeCircuitOpen {
			s.fallbacks.Add(1)
			break
		}
	}
	if info.Backend == runtime.GroundTruth {
		s.onRef.Add(1)
	}
}

// hostileTurn decides whether the next request of a hostile phase is a
// hostile one: frac of them are, spread evenly (every worker's requests
// draw from one sequence).
func hostileTurn(seq *atomic.Int64, frac float64) bool {
	n := float64(seq.Add(1))
	return math.Floor(n*frac) != math.Floor((n-1)*frac)
}
