package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// gemmStep is a matmul against constant weights B (K×N, packed once) with
// its fused bias, residual and activation; A's leading axes are rows.
type gemmStep struct {
	n            *bpruntime.Node
	a, out, res  int
	M, K, N      int
	b            *kernels.PackedB
	bias         []float32
	act          kernels.Activation
	isa          *kernels.ISA
	rb, pg       int // rows and panels per part
	rBlocks, pGr int // parts along rows and along panels
	threads      int
}

func (s *gemmStep) node() *bpruntime.Node { return s.n }
func (s *gemmStep) reads() []int {
	if s.res >= 0 {
		return []int{s.a, s.res}
	}
	return []int{s.a}
}
func (s *gemmStep) writes() []int { return []int{s.out} }

func (c *compiler) compileMatmul(n int) bool {
	nd := &c.a.Nodes[n]
	at := c.types[nd.Inputs[0]]
	if !c.isF32(nd.Inputs[0]) || !c.isF32(nd.Inputs[1]) || len(at.Shape) < 1 {
		return false
	}
	w := c.constant(nd.Inputs[1])
	if w == nil || len(w.Shape()) != 2 {
		return c.compileBatchedMatmul(n)
	}
	if len(at.Shape) < 2 {
		return false
	}
	K, N := w.Shape()[0], w.Shape()[1]
	s := &gemmStep{n: nd, K: K, N: N, isa: c.pl.p.isa.ForWidth(N), res: -1}
	s.M = at.Shape.NumElements() / max(K, 1)
	if K == 0 {
		s.M = at.Shape.NumElements() // unreachable for a non-empty a: kept for safety
		return false
	}
	f := c.fuseAfter(nd.Outputs[0], false, N)
	s.bias, s.act = f.bias, f.act
	wd := tensor.MustView[float32](w)
	s.b = s.isa.PackB(K, N, func(k, j int) float32 { return wd[k*N+j] })
	s.a = c.nchw(nd.Inputs[0])
	if f.residual != "" {
		s.res = c.nchw(f.residual)
	}
	s.out = c.arena(f.out, c.types[f.out].Shape, false)
	c.ids[f.out] = s.out
	s.threads = threadsFor(s.M*s.N*s.K, c.pl.p.threads)
	s.rb, s.rBlocks, s.pg, s.pGr = splitGemm(s.M, s.b.Panels(), s.isa.MR, s.isa.NR, s.threads, s.M*s.N*s.K)
	c.emit(s)
	return true
}

func (s *gemmStep) run(pl *plan, rs *runState) error {
	if s.M == 0 {
		return nil
	}
	pl.p.pool.parallelGrain(rs, s, s.rBlocks*s.pGr, s.threads, 1)
	return nil
}

func (s *gemmStep) do(rs *runState, slot, lo, hi int) {
	a, out := rs.f32[s.a], rs.f32[s.out]
	ep := kernels.Epilogue{Bias: s.bias, Act: s.act}
	if s.res >= 0 {
		ep.Residual, ep.LDR = rs.f32[s.res], s.N
	}
	panels := s.b.Panels()
	for item := lo; item < hi; item++ {
		pgi, rbi := item%s.pGr, item/s.pGr
		r0, r1 := rbi*s.rb, min((rbi+1)*s.rb, s.M)
		s.isa.Gemm(rs.scratch[slot], a, s.K, s.b, out, s.N, &ep, r0, r1, pgi*s.pg, min((pgi+1)*s.pg, panels))
	}
}

// partsPerThread is how many parts a parallel GEMM is cut into per thread:
// enough that a thread slowed by another process (the machine is shared)
// leaves little for the others to wait on, few enough that each part still
// runs hundreds of micro-kernel calls.
const partsPerThread = 8

// minTilesPerPart keeps a row block at several tiles when splitting rows.
const minTilesPerPart = 4

// splitGemm cuts an M-row, panels-panel GEMM into parts for threads: rb rows
// (a multiple of mr, so tiles are whole) by pg panels, rBlocks×pGr parts of
// about equal size. Splitting rows makes each row block stream its panels of
// B again; splitting panels makes each panel group read A's rows again; the
// split with the least of that traffic wins. One thread: one part.
// macs is the whole GEMM's multiply-adds.
func splitGemm(M, panels, mr, nr, threads, macs int) (rb, rBlocks, pg, pGr int) {
	if threads <= 1 || M <= 0 || panels <= 0 {
		return max(M, 1), 1, max(panels, 1), 1
	}
	tiles := (M + mr - 1) / mr
	// At least minWorkPerThread multiply-adds per part: smaller parts cost
	// more in handing out than they gain in balance.
	want := max(threads, min(partsPerThread*threads, macs/minWorkPerThread))
	minBlocks := (M + kernels.MC - 1) / kernels.MC // the A block of a part fits L2
	best, bestCost := -1, 0
	maxBlocks := max(minBlocks, tiles/minTilesPerPart) // a part's B block serves several tiles
	for r := minBlocks; r <= maxBlocks; r++ {
		p := min(panels, (want+r-1)/r)
		if r*p < want && r < maxBlocks {
			continue // too few parts: more row blocks are needed
		}
		if cost := r*panels*nr + p*M; best < 0 || cost < bestCost {
			best, bestCost = r, cost
		}
		if p == 1 {
			break // more row blocks only add traffic
		}
	}
	perBlock := (tiles + best - 1) / best
	rb = perBlock * mr
	rBlocks = (M + rb - 1) / rb
	pGr = min(panels, (want+rBlocks-1)/rBlocks)
	pg = (panels + pGr - 1) / pGr
	pGr = (panels + pg - 1) / pg
	return rb, rBlocks, pg, pGr
}
