package runtime

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/backplane-ml/backplane/tensor"
)

// NonFiniteTrust is how many agreeing judgements of non-finite outputs a
// (model, backend) needs before they are only sampled; NonFiniteSample is
// one in how many runs is judged after that (see Policy.NoNumericCheck).
const (
	NonFiniteTrust  = 3
	NonFiniteSample = 64
)

// nonFiniteState counts a candidate's judged non-finite outputs.
type nonFiniteState struct {
	agreed atomic.Int64
	seen   atomic.Int64
}

// judgeNonFinite decides whether outputs of c holding NaN or Inf (output i
// is the first) are right: nil accepts them, an error says why not.
func (m *Model) judgeNonFinite(ctx context.Context, c *candidate, inputs, out []*tensor.Tensor, i int) error {
	if nonFiniteOutput(inputs) >= 0 {
		return nil // NaN or Inf in, NaN or Inf out: the data's doing
	}
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
	if n := st.seen.Add(1); st.agreed.Load() >= NonFiniteTrust && n%NonFiniteSample != 0 {
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
			return fmt.Errorf("output %q holds NaN or Inf and differs from the reference backend's "+
				"(%d elements differ in finiteness; max abs error among finite ones %g)",
				m.art.Outputs[k].Name, finitenessMismatches(out[k], want[k]), cmp.MaxAbsErr)
		}
	}
	st.agreed.Add(1)
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
