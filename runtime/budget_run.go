package runtime

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/backplane-ml/backplane/tensor"
)

// maxRunCosts bounds the per-model cache of run costs per input signature.
const maxRunCosts = 64

// modelMemory is what a model has reserved from its runtime's budget and
// what its runs cost, per input signature.
type modelMemory struct {
	weights int64 // reserved from Load to Close

	static   atomic.Pointer[runCost] // the one run cost of a model without symbolic dims
	mu       sync.Mutex
	costs    map[string]*runCost
	resident map[*candidate]int64 // each prepared backend's declared resident bytes, reserved
}

// runCost is what one run with a given input signature holds at its peak.
type runCost struct {
	types   map[string]ValueType
	live    int64  // peak bytes of values computed by the run, by liveness
	biggest string // the largest value alive at that peak
	size    int64  // its size

	mu      sync.Mutex
	scratch map[*candidate]int64 // each backend's declared scratch for this signature
}

// reserveWeights charges the artifact's weights at Load.
func (m *Model) reserveWeights() error {
	var n int64
	biggest, size := "", int64(0)
	for name, t := range m.art.Initializers {
		if s, ok := m.sharedWeights[name]; ok && s == t {
			continue // the template holds (and charged) it
		}
		b := int64(t.NumElements()) * int64(t.DType().Size())
		n += b
		if b > size {
			biggest, size = name, b
		}
	}
	if err := m.rt.budget.Reserve(n); err != nil {
		return &Error{Kind: ErrMemory, Model: m.art.Name, Input: biggest, Mode: ModeMemory,
			Err: fmt.Errorf("the weights (largest %q, %d bytes): %w", biggest, size, err)}
	}
	m.mem.weights = n
	return nil
}

// releaseMemory hands back everything the model reserved.
func (m *Model) releaseMemory() {
	m.rt.budget.Release(m.mem.weights)
	m.mem.weights = 0
	m.mem.mu.Lock()
	for c, n := range m.mem.resident {
		m.rt.budget.Release(n)
		delete(m.mem.resident, c)
	}
	m.mem.mu.Unlock()
}

// appendSignature appends the input shapes of a run to b.
func appendSignature(b []byte, inputs []*tensor.Tensor) []byte {
	for _, t := range inputs {
		for _, d := range t.Shape() {
			b = strconv.AppendInt(b, int64(d), 10)
			b = append(b, ',')
		}
		b = append(b, ';')
	}
	return b
}

// cost returns the run cost of inputs' signature, working it out on first sight.
func (m *Model) cost(inputs []*tensor.Tensor) (*runCost, error) {
	if m.static != nil { // one signature: no key to build, no lock
		if c := m.mem.static.Load(); c != nil {
			return c, nil
		}
		c, err := m.costOf(nil, inputs)
		if err == nil {
			m.mem.static.Store(c)
		}
		return c, err
	}
	var buf [128]byte
	return m.costOf(appendSignature(buf[:0], inputs), inputs)
}

// costOf returns the run cost of signature key, working it out on first sight.
func (m *Model) costOf(key []byte, inputs []*tensor.Tensor) (*runCost, error) {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	if c, ok := m.mem.costs[string(key)]; ok { // map lookup by string(bytes) does not allocate
		return c, nil
	}
	in := make([]ValueType, len(inputs))
	for i, t := range inputs {
		in[i] = ValueType{DType: t.DType(), Shape: t.Shape()}
	}
	types, err := m.plan.InferTypes(in)
	if err != nil {
		return nil, err // checkInputs has refused anything this could refuse
	}
	c := &runCost{types: types, scratch: map[*candidate]int64{}}
	c.live, c.biggest, c.size = peakLive(m.plan, types)
	if m.mem.costs == nil || len(m.mem.costs) >= maxRunCosts {
		m.mem.costs = map[string]*runCost{}
	}
	m.mem.costs[string(key)] = c
	return c, nil
}

// peakLive walks the plan's order, allocating each node's outputs and
// freeing every computed value after its last reader (graph outputs live to
// the end), and returns the peak of bytes held and the largest value alive
// then. Inputs and weights are not counted: they exist before the run.
func peakLive(p *Plan, types map[string]ValueType) (peak int64, biggest string, size int64) {
	a := p.Artifact
	last := map[string]int{}
	for step, idx := range p.Order {
		for _, in := range a.Nodes[idx].Inputs {
			last[in] = step
		}
	}
	for _, o := range a.Outputs {
		last[o.Name] = len(p.Order)
	}
	bytesOf := func(name string) int64 {
		t := types[name]
		return int64(t.Shape.NumElements()) * int64(t.DType.Size())
	}
	alive := map[string]int64{}
	var cur int64
	for step, idx := range p.Order {
		n := &a.Nodes[idx]
		for _, o := range n.Outputs {
			if _, seen := alive[o]; !seen {
				b := bytesOf(o)
				alive[o] = b
				cur += b
			}
		}
		if cur > peak {
			peak, biggest, size = cur, "", 0
			for name, b := range alive {
				if b > size || (b == size && name < biggest) {
					biggest, size = name, b
				}
			}
		}
		for _, in := range n.Inputs {
			if b, ok := alive[in]; ok && last[in] == step {
				cur -= b
				delete(alive, in)
			}
		}
		for _, o := range n.Outputs {
			if _, read := last[o]; !read { // an output nothing reads
				cur -= alive[o]
				delete(alive, o)
			}
		}
	}
	return peak, biggest, size
}

// reserveRun charges a run's live values; the caller releases c.live.
func (m *Model) reserveRun(inputs []*tensor.Tensor) (*runCost, error) {
	c, err := m.cost(inputs)
	if err != nil {
		return nil, err
	}
	if err := m.rt.budget.Reserve(c.live); err != nil {
		return nil, &Error{Kind: ErrMemory, Model: m.art.Name, Input: c.biggest, Mode: ModeMemory,
			Err: fmt.Errorf("the run's values take %d bytes at their peak (largest %q, %d bytes): %w", c.live, c.biggest, c.size, err)}
	}
	return c, nil
}

// reserveBackend charges what backend c declares (resident bytes once, the
// scratch of this run) and returns the scratch, which the caller releases.
func (m *Model) reserveBackend(cand *candidate, p Prepared, cost *runCost) (int64, error) {
	rep, ok := p.(MemoryReporter)
	if !ok || cost == nil {
		return 0, nil
	}
	m.mem.mu.Lock()
	_, charged := m.mem.resident[cand]
	m.mem.mu.Unlock()
	if !charged {
		n := rep.ResidentBytes()
		if err := m.rt.budget.Reserve(n); err != nil {
			return 0, &Error{Kind: ErrMemory, Model: m.art.Name, Backend: cand.name, Mode: ModeMemory,
				Err: fmt.Errorf("the prepared model holds %d bytes: %w", n, err)}
		}
		m.mem.mu.Lock()
		if _, dup := m.mem.resident[cand]; dup {
			m.rt.budget.Release(n)
		} else {
			if m.mem.resident == nil {
				m.mem.resident = map[*candidate]int64{}
			}
			m.mem.resident[cand] = n
		}
		m.mem.mu.Unlock()
	}
	cost.mu.Lock()
	s, ok := cost.scratch[cand]
	cost.mu.Unlock()
	if !ok {
		s = rep.ScratchBytes(cost.types)
		cost.mu.Lock()
		cost.scratch[cand] = s
		cost.mu.Unlock()
	}
	if err := m.rt.budget.Reserve(s); err != nil {
		return 0, &Error{Kind: ErrMemory, Model: m.art.Name, Backend: cand.name, Input: cost.biggest, Mode: ModeMemory,
			Err: fmt.Errorf("the backend's scratch for this run takes %d bytes (largest value %q): %w", s, cost.biggest, err)}
	}
	return s, nil
}

// isMemoryError reports a refusal by the budget (not the backend's fault).
func isMemoryError(err error) bool { return errors.Is(err, ErrMemory) }
