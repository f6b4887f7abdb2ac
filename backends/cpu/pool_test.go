package cpu

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
)

// panicky panics on part 3, wherever it runs.
type panicky struct{}

func (panicky) do(_ *runState, _, lo, hi int) {
	for i := lo; i < hi; i++ {
		if i == 3 {
			panic("part 3 failed")
		}
	}
}

// countParts records which parts ran.
type countParts struct{ seen []bool }

func (c *countParts) do(_ *runState, _, lo, hi int) {
	for i := lo; i < hi; i++ {
		c.seen[i] = true
	}
}

// TestPoolPanicReachesCaller: a panic in a part, on a worker or on the
// caller, is re-raised on the caller's goroutine after every helper has
// stopped, and the pool keeps working afterwards.
func TestPoolPanicReachesCaller(t *testing.T) {
	p := newWorkerPool(4)
	defer p.close()
	rs := &runState{scratch: make([]*kernels.Scratch, 4)}
	for range 20 {
		require.PanicsWithValue(t, "part 3 failed", func() { p.parallel(rs, panicky{}, 64, 4) })
	}
	c := &countParts{seen: make([]bool, 1000)}
	p.parallel(rs, c, len(c.seen), 4)
	for i, ok := range c.seen {
		require.True(t, ok, "part %d did not run", i)
	}
}

// countOnce counts how often each part ran.
type countOnce struct{ runs []atomic.Int32 }

func (c *countOnce) do(_ *runState, slot, lo, hi int) {
	for i := lo; i < hi; i++ {
		c.runs[i].Add(1)
	}
}

// TestPoolRunsEveryPartOnce: step after step on one run state (helpers
// arriving late with tickets of finished steps), with more threads than
// cores, every part runs exactly once, including steps with more parts than
// the cursor has chunks (the grain grows).
func TestPoolRunsEveryPartOnce(t *testing.T) {
	p := newWorkerPool(4)
	defer p.close()
	rs := &runState{scratch: make([]*kernels.Scratch, 4)}
	for step := range 1500 {
		n := 1 + step%97
		if step%1000 == 999 {
			n = maxChunks + 12345
		}
		c := &countOnce{runs: make([]atomic.Int32, n)}
		p.parallelGrain(rs, c, n, 1+step%4, step%3)
		for i := range c.runs {
			require.Equal(t, int32(1), c.runs[i].Load(), "step %d: part %d of %d", step, i, n)
		}
	}
}
