package cpu

import (
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
