package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// batchedMatmulStep multiplies two computed values batch by batch (same
// batch dims, no broadcasting). Each operand is read, and the output
// written, through strides, so the transposes around attention (heads split
// out of, and joined back into, the hidden axis) cost nothing: a transpose
// whose only reader is this matmul becomes a view (see compileTranspose),
// and a transpose that is the matmul's only reader becomes the layout the
// output is written in. A scalar mul between matmul and transpose (the
// 1/√d of attention) is applied while each batch's B is packed.
type batchedMatmulStep struct {
	n         *bpruntime.Node
	a, b, out stridedMat
	batch     int
	M, K, N   int
	alpha     float32 // B's scale (1: none)
	isa       *kernels.ISA
	threads   int
}

// stridedMat is one operand of a batched matmul: batch i's element (r, c)
// is at off[i] + r·rs + c·cs in value id.
type stridedMat struct {
	id     int
	off    []int
	rs, cs int
}

func (s *batchedMatmulStep) node() *bpruntime.Node { return s.n }
func (s *batchedMatmulStep) reads() []int          { return []int{s.a.id, s.b.id} }
func (s *batchedMatmulStep) writes() []int         { return []int{s.out.id} }

// batchedShapes reports whether matmul node nd multiplies two computed
// float32 values this step handles (equal ranks ≥ 2, equal batch dims,
// nothing empty), giving M, K, N and the batch count.
func (c *compiler) batchedShapes(nd *bpruntime.Node) (M, K, N, batch int, ok bool) {
	if nd.Op != "matmul" || len(nd.Inputs) != 2 || len(nd.Outputs) != 1 || !c.isF32(nd.Inputs[0]) || !c.isF32(nd.Inputs[1]) {
		return 0, 0, 0, 0, false
	}
	if _, isView := c.lazy[nd.Inputs[0]]; !isView && c.constant(nd.Inputs[0]) != nil {
		return 0, 0, 0, 0, false
	}
	if _, isView := c.lazy[nd.Inputs[1]]; !isView && c.constant(nd.Inputs[1]) != nil {
		return 0, 0, 0, 0, false
	}
	at, bt := c.types[nd.Inputs[0]].Shape, c.types[nd.Inputs[1]].Shape
	if len(at) < 2 || len(at) != len(bt) || !at[:len(at)-2].Equal(bt[:len(bt)-2]) {
		return 0, 0, 0, 0, false
	}
	M, K, N = at[len(at)-2], at[len(at)-1], bt[len(bt)-1]
	if bt[len(bt)-2] != K || M == 0 || K == 0 || N == 0 {
		return 0, 0, 0, 0, false
	}
	return M, K, N, at.NumElements() / (M * K), true
}

func (c *compiler) compileBatchedMatmul(n int) bool {
	nd := &c.a.Nodes[n]
	M, K, N, batch, ok := c.batchedShapes(nd)
	if !ok {
		return false
	}
	s := &batchedMatmulStep{n: nd, isa: c.pl.p.isa.ForWidth(N), M: M, K: K, N: N, batch: batch, alpha: 1}
	outShape := c.types[nd.Outputs[0]].Shape
	s.a = c.operand(nd.Inputs[0], outShape)
	if s.a.cs != 1 {
		// The micro-kernels read A's rows in place: a view with strided
		// columns is made contiguous first.
		c.materialize(nd.Inputs[0])
		s.a = c.operand(nd.Inputs[0], outShape)
	}
	s.b = c.operand(nd.Inputs[1], outShape)

	// The output: the matmul's own value, or the layout of a scalar mul
	// and/or transpose that follow it alone.
	out, outStrides := nd.Outputs[0], outShape.Strides()
	if u, ok := c.soleUser(out); ok && !c.fused[u] {
		if alpha, ok := c.scalarMul(&c.a.Nodes[u], out); ok {
			s.alpha = alpha
			c.fused[u] = true
			out = c.a.Nodes[u].Outputs[0]
		}
	}
	if u, ok := c.soleUser(out); ok && !c.fused[u] {
		if perm, ok := c.lastAxisKept(&c.a.Nodes[u], out); ok {
			tn := &c.a.Nodes[u]
			ys := c.types[tn.Outputs[0]].Shape.Strides()
			for i, p := range perm {
				outStrides[p] = ys[i]
			}
			c.fused[u] = true
			out = tn.Outputs[0]
		}
	}
	id := c.arena(out, c.types[out].Shape, false)
	c.ids[out] = id
	s.out = stridedMat{id: id, off: batchOffsets(outShape, outStrides), rs: outStrides[len(outShape)-2], cs: 1}

	panels := (N + s.isa.NR - 1) / s.isa.NR
	c.pl.colSize = max(c.pl.colSize, panels*s.isa.NR*K)
	s.threads = threadsFor(batch*M*N*K, c.pl.p.threads)
	c.emit(s)
	return true
}

// operand describes value name as a batched matmul operand whose batch dims
// are those of out: a pending transpose is read through its strides.
func (c *compiler) operand(name string, out tensor.Shape) stridedMat {
	r := len(out)
	var id int
	var st []int
	if t, ok := c.lazy[name]; ok {
		id, st = t.src, t.stride
	} else {
		id = c.nchw(name)
		st = c.types[name].Shape.Strides()
	}
	full := make([]int, r)
	copy(full, st[:r-2])
	return stridedMat{id: id, off: batchOffsets(out, full), rs: st[r-2], cs: st[r-1]}
}

// batchOffsets lists, per batch index of shape's leading axes (all but the
// last two), the element offset Σ index·stride.
func batchOffsets(shape tensor.Shape, strides []int) []int {
	r := len(shape)
	n := 1
	for _, d := range shape[:r-2] {
		n *= d
	}
	offs := make([]int, n)
	for i := range offs {
		rem, off := i, 0
		for ax := r - 3; ax >= 0; ax-- {
			off += (rem % shape[ax]) * strides[ax]
			rem /= shape[ax]
		}
		offs[i] = off
	}
	return offs
}

// scalarMul reports whether nd multiplies value x by a float32 constant of
// one element (same output shape), and the constant.
func (c *compiler) scalarMul(nd *bpruntime.Node, x string) (float32, bool) {
	if nd.Op != "mul" || len(nd.Inputs) != 2 || len(nd.Outputs) != 1 || nd.Inputs[0] == nd.Inputs[1] {
		return 0, false
	}
	other := nd.Inputs[1]
	if other == x {
		other = nd.Inputs[0]
	}
	t := c.constant(other)
	if t == nil || t.DType() != tensor.Float32 || t.Shape().NumElements() != 1 ||
		!c.types[nd.Outputs[0]].Shape.Equal(c.types[x].Shape) {
		return 0, false
	}
	return tensor.MustView[float32](t)[0], true
}

// lastAxisKept reports whether nd transposes value x (float32) keeping its
// last axis last, and the permutation.
func (c *compiler) lastAxisKept(nd *bpruntime.Node, x string) ([]int, bool) {
	if nd.Op != "transpose" || len(nd.Outputs) != 1 || !c.isF32(nd.Outputs[0]) {
		return nil, false
	}
	r := len(c.types[x].Shape)
	perm := permOf(nd, r)
	if len(perm) != r || perm[r-1] != r-1 {
		return nil, false
	}
	return perm, true
}

// permOf is a transpose's perm attribute (reversed axes by default).
func permOf(nd *bpruntime.Node, r int) []int {
	perm := nd.Attrs.Ints("perm", nil)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	return perm
}

func (s *batchedMatmulStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallelGrain(rs, s, s.batch, s.threads, 1)
	return nil
}

func (s *batchedMatmulStep) do(rs *runState, slot, lo, hi int) {
	a, b, out := rs.f32[s.a.id], rs.f32[s.b.id], rs.f32[s.out.id]
	NR := s.isa.NR
	pb := kernels.PackedB{K: s.K, N: s.N, NR: NR}
	pb.Data = rs.col[slot][:pb.Panels()*NR*s.K]
	for i := lo; i < hi; i++ {
		packStrided(pb.Data, b[s.b.off[i]:], s.K, s.N, NR, s.b.rs, s.b.cs, s.alpha)
		s.isa.Gemm(rs.scratch[slot], a[s.a.off[i]:], s.a.rs, &pb, out[s.out.off[i]:], s.out.rs, nil, 0, s.M, 0, pb.Panels())
	}
}

// packStrided packs the K×N matrix whose (k, n) element is src[k·rs + n·cs],
// times alpha, into panels of nr columns (zero-padded).
func packStrided(dst, src []float32, K, N, nr, rs, cs int, alpha float32) {
	panels := (N + nr - 1) / nr
	for j := 0; j < panels; j++ {
		panel := dst[j*K*nr : (j+1)*K*nr]
		cols := min(nr, N-j*nr)
		switch {
		case cs == 1:
			for k := 0; k < K; k++ {
				d := panel[k*nr : k*nr+nr]
				row := src[k*rs+j*nr : k*rs+j*nr+cols]
				if alpha == 1 {
					copy(d, row)
				} else {
					for c, v := range row {
						d[c] = v * alpha
					}
				}
				clear(d[cols:])
			}
		default:
			// Columns of B are runs of K (a transposed operand): read each
			// run once, write it down the panel.
			if cols < nr {
				clear(panel)
			}
			for c := 0; c < cols; c++ {
				col := src[(j*nr+c)*cs:]
				if rs == 1 {
					col = col[:K]
					for k, v := range col {
						panel[k*nr+c] = v * alpha
					}
					continue
				}
				for k := 0; k < K; k++ {
					panel[k*nr+c] = col[k*rs] * alpha
				}
			}
		}
	}
}
