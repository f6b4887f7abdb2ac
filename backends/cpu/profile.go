package cpu

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// StepProfile is the time one kind of step took over a profiled run.
type StepProfile struct {
	Kind  string        // e.g. "conv 3x3 im2col", "conv depthwise 7x7", "matmul", "fallback gather"
	Steps int           // steps of this kind in the plan
	Time  time.Duration // total over the runs
	Share float64       // fraction of all step time
}

// Profile prepares a on b, runs it runs times on inputs after one warm-up,
// and returns the time per kind of step, largest first: where the time of
// the model goes, for whoever tunes the kernels next.
func Profile(ctx context.Context, b *Backend, a *bpruntime.Artifact, inputs []*tensor.Tensor, runs int) ([]StepProfile, error) {
	pr, err := b.Prepare(ctx, a)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	p := pr.(*prepared)
	pl, err := p.planFor(inputs)
	if err != nil {
		return nil, err
	}
	if _, err := pl.run(ctx, inputs); err != nil {
		return nil, err
	}
	byKind := map[string]*StepProfile{}
	for _, s := range pl.steps {
		k := stepKind(s)
		if byKind[k] == nil {
			byKind[k] = &StepProfile{Kind: k}
		}
		byKind[k].Steps++
	}
	rs := pl.getState()
	defer pl.putState(rs)
	rs.ctx = ctx
	for range runs {
		for id, v := range pl.vals {
			if v.where == inInput {
				rs.tens[id] = inputs[v.input]
				if inputs[v.input].DType() == tensor.Float32 {
					rs.f32[id] = tensor.MustView[float32](inputs[v.input])
				}
			}
		}
		for _, s := range pl.steps {
			start := time.Now()
			if err := s.run(pl, rs); err != nil {
				return nil, err
			}
			byKind[stepKind(s)].Time += time.Since(start)
		}
	}
	var out []StepProfile
	var total time.Duration
	for _, sp := range byKind {
		total += sp.Time
	}
	for _, sp := range byKind {
		sp.Share = float64(sp.Time) / float64(max(total, 1))
		out = append(out, *sp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time > out[j].Time })
	return out, nil
}

func stepKind(s step) string {
	switch s := s.(type) {
	case *convStep:
		switch {
		case s.depthwise:
			return fmt.Sprintf("conv depthwise %dx%d", s.kh, s.kw)
		case s.direct:
			return "conv 1x1 (direct GEMM)"
		}
		alg := "im2col-packed GEMM"
		if s.stem {
			alg = "direct stem kernel"
		} else if s.indirect {
			alg = "indirect GEMM, any tile"
		}
		if s.G > 1 {
			return fmt.Sprintf("conv grouped %dx%d s%d (%s)", s.kh, s.kw, s.sh, alg)
		}
		return fmt.Sprintf("conv %dx%d s%d (%s)", s.kh, s.kw, s.sh, alg)
	case *gemmStep:
		return "matmul (packed weights)"
	case *batchedMatmulStep:
		return "matmul (batched, both computed)"
	case *fallbackStep:
		return "fallback " + s.n.Op
	}
	t := fmt.Sprintf("%T", s)
	return strings.TrimSuffix(strings.TrimPrefix(t, "*cpu."), "Step")
}
