package runtime

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/backplane-ml/backplane/tensor"
)

// NonFinitePatterns is how many distinct finiteness patterns (which output
// elements are NaN, +Inf or -Inf) a (model, backend) remembers once ref has
// confirmed them; NonFiniteSample is one in how many runs whose pattern is
// trusted is judged anyway (see Policy.NoNumericCheck).
const (
	NonFinitePatterns = 64
	NonFiniteSample   = 64
)

// nonFiniteState is a candidate's record of judged non-finite outputs.
type nonFiniteState struct {
	seen atomic.Int64

	mu       sync.Mutex
	patterns map[uint64]struct{} // finiteness patterns ref confirmed
	full     bool                // NonFinitePatterns confirmed: every pattern is sampled
}

// trusted reports whether outputs with finiteness pattern p may skip the
// reference run this time: p (or, once NonFinitePatterns were confirmed,
// any pattern) agreed with ref before, and this is not a sampled run.
func (st *nonFiniteState) trusted(p uint64) bool {
	st.mu.Lock()
	_, known := st.patterns[p]
	known = known || st.full
	st.mu.Unlock()
	return known && st.seen.Add(1)%NonFiniteSample != 0
}

// judged records ref's verdict on pattern p. A disagreement forgets every
// confirmed pattern, so the backend's next non-finite outputs are all judged.
func (st *nonFiniteState) judged(p uint64, agreed bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !agreed {
		st.patterns, st.full = nil, false
		return
	}
	if st.patterns == nil {
		st.patterns = map[uint64]struct{}{}
	}
	st.patterns[p] = struct{}{}
	st.full = len(st.patterns) >= NonFinitePatterns
}

// judgeNonFinite decides whether outputs of c holding NaN or Inf (output i
// is the first) are right: nil accepts them, an error says why not. Outputs
// are judged against the reference backend's for the same inputs, even when
// the inputs hold NaN or Inf (a faulty backend can turn x into NaN there
// too), unless their finiteness pattern is one ref already confirmed.
func (m *Model) judgeNonFinite(ctx context.Context, c *candidate, inputs, out []*tensor.Tensor, i int) error {
	var ref *candidate
	for _, k := range m.cands {
		if k.isRef {
			ref = k
		}
	}
	if ref == nil {
		return nil // nothing to judge against; see Policy.NoNumericCheck
	}
	st := m.nonFinite(c)
	pattern := finitenessPattern(out)
	if st.trusted(pattern) {
		return nil
	}
	p, err := ref.prepare(ctx, m.art)
	if err != nil {
		return fmt.Errorf("output %q holds NaN or Inf and the reference backend to judge it could not be prepared: %w", m.art.Outputs[i].Name, err)
	}
	want, err := runRecovered(ctx, p, inputs, ref.name)
	if err != nil || len(want) != len(out) {
		return fmt.Errorf("output %q holds NaN or Inf and the reference run to judge it failed: %v", m.art.Outputs[i].Name, err)
	}
	c.stats.nonFiniteChecks.Add(1)
	tol := m.rt.shadowCfg.Tolerance
	if tol == nil {
		tol = DefaultShadowTolerance
	}
	for k := range want {
		if cmp := tensor.Compare(out[k], want[k], tol(want[k].DType())); !cmp.Equal {
			st.judged(pattern, false)
			return fmt.Errorf("output %q holds NaN or Inf and differs from the reference backend's "+
				"(%d elements differ in finiteness; max abs error among finite ones %g)",
				m.art.Outputs[k].Name, finitenessMismatches(out[k], want[k]), cmp.MaxAbsErr)
		}
	}
	st.judged(pattern, true)
	return nil
}

// nonFinite returns c's judgement counters for this model.
func (m *Model) nonFinite(c *candidate) *nonFiniteState {
	if v, ok := m.nonFiniteStates.Load(c); ok {
		return v.(*nonFiniteState)
	}
	v, _ := m.nonFiniteStates.LoadOrStore(c, &nonFiniteState{})
	return v.(*nonFiniteState)
}

// finitenessMismatches counts elements that are NaN or ±Inf in one tensor
// and not the same in the other.
func finitenessMismatches(got, want *tensor.Tensor) int {
	g, w := got.Float64s(), want.Float64s()
	n := 0
	for i := range min(len(g), len(w)) {
		gn, wn := math.IsNaN(g[i]), math.IsNaN(w[i])
		if gn != wn || (!gn && (math.IsInf(g[i], 0) || math.IsInf(w[i], 0)) && g[i] != w[i]) {
			n++
		}
	}
	return n
}
