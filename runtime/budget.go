package runtime

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// ErrMemory: the memory a model, a run or an import would hold is more than
// the runtime's memory budget allows. It is returned before the memory is
// allocated; the *Error names the model and the value that did not fit.
var ErrMemory = errors.New("over the memory budget")

// Budget is a memory budget: a number of bytes that loads, runs and imports
// reserve before they allocate and release when the memory is freed. It is
// safe for concurrent use. A nil *Budget allows everything.
type Budget struct {
	limit int64
	mu    sync.Mutex
	used  int64
	peak  int64
}

// NewBudget returns a budget of limit bytes; limit <= 0 means
// DefaultMemoryBudget().
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		limit = DefaultMemoryBudget()
	}
	return &Budget{limit: limit}
}

// Limit returns the budget's size in bytes.
func (b *Budget) Limit() int64 {
	if b == nil {
		return math.MaxInt64
	}
	return b.limit
}

// Used returns the bytes reserved now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Peak returns the most bytes ever reserved at once.
func (b *Budget) Peak() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// Reserve takes n bytes from the budget, or returns an error wrapping
// ErrMemory (and leaves the budget as it was) when they do not fit.
func (b *Budget) Reserve(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.limit-b.used {
		return &BudgetError{Need: n, Used: b.used, Limit: b.limit}
	}
	b.used += n
	b.peak = max(b.peak, b.used)
	return nil
}

// Release hands n bytes back to the budget.
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	if b.used < 0 {
		b.used = 0
	}
	b.mu.Unlock()
}

// BudgetError says how far a reservation missed. It matches ErrMemory.
type BudgetError struct {
	Need, Used, Limit int64
}

// Error gives the sizes in bytes.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("needs %s with %s of the memory budget of %s in use",
		fmtBytes(e.Need), fmtBytes(e.Used), fmtBytes(e.Limit))
}

// Is makes errors.Is(err, ErrMemory) true.
func (e *BudgetError) Is(target error) bool { return target == ErrMemory }

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// DefaultMemoryBudget is what the process may use: the smallest of the
// address-space limit (RLIMIT_AS), the cgroup's memory limit (memory.max,
// or memory.limit_in_bytes of cgroup v1) and the Go memory limit
// (GOMEMLIMIT, debug.SetMemoryLimit), or the machine's memory when none is
// set, or 8 GiB when even that is unknown. Three quarters of it goes to the
// budget: the rest is for the Go runtime, code, stacks and what backends
// allocate outside their declared needs.
func DefaultMemoryBudget() int64 {
	limit := int64(math.MaxInt64)
	consider := func(n uint64) {
		if n > 0 && n < uint64(limit) {
			limit = int64(n)
		}
	}
	consider(addressSpaceLimit())
	consider(cgroupMemoryLimit())
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		consider(uint64(l))
	}
	if limit == math.MaxInt64 {
		consider(machineMemory())
	}
	if limit == math.MaxInt64 {
		limit = 8 << 30
	}
	return limit / 4 * 3
}

// cgroupMemoryLimit reads the memory limit of the process's cgroup (0 when
// there is none or it cannot be read).
func cgroupMemoryLimit() uint64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n >= 1<<62 { // cgroup v1 writes a huge number for "no limit"
			return 0
		}
		return n
	}
	return 0
}

// WithMemoryBudget sets the runtime's memory budget in bytes (default
// DefaultMemoryBudget()). Load reserves a model's weights plus what each
// backend declares it needs (see MemoryReporter); each run reserves its
// peak of live values (by the plan's liveness) plus the serving backend's
// declared scratch, and releases it when it returns. What does not fit is
// refused before it is allocated, with an *Error of kind ErrMemory naming the
// model and the value.
func WithMemoryBudget(bytes int64) Option {
	return func(r *Runtime) error {
		if bytes <= 0 {
			return fmt.Errorf("runtime: WithMemoryBudget(%d): the budget must be positive", bytes)
		}
		r.budget = NewBudget(bytes)
		return nil
	}
}

// MemoryBudget returns the runtime's budget.
func (r *Runtime) MemoryBudget() *Budget { return r.budget }

// MemoryReporter is implemented by a Prepared model (optionally) to declare
// the memory it holds beyond the artifact's weights, and the scratch one run
// of it needs beyond its inputs and outputs for the given input types. The
// runtime charges both against its budget: the first while the model is
// loaded, the second for the duration of each run it serves.
type MemoryReporter interface {
	// ResidentBytes is the memory the prepared model holds (compiled code,
	// packed weights, arenas).
	ResidentBytes() int64
	// ScratchBytes is the memory one run needs beyond its inputs and
	// outputs, given the type of every value of the graph for the run's
	// input shapes (inputs, weights and node outputs, by name).
	ScratchBytes(types map[string]ValueType) int64
}

// ValueType is a value's dtype and concrete shape, as MemoryReporter sees it.
type ValueType = outType
