package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/ops"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// poolStep is max_pool or avg_pool over 2-D NHWC, channels innermost: the
// kernels' channel-vectorised pooling over an indirection buffer (one byte
// offset per output pixel and tap of one image, −1 for padding), the same
// idea as depthwise.
type poolStep struct {
	n                  *bpruntime.Node
	src, dst           int
	avg                bool
	g                  ops.PoolGeometry
	N, C, H, W, OH, OW int
	taps               int
	offs               []int64   // OH·OW·taps, relative to an image
	scales             []float32 // avg: per output pixel of an image, 1/divisor
	isa                *kernels.ISA
}

func (s *poolStep) node() *bpruntime.Node { return s.n }
func (s *poolStep) reads() []int          { return []int{s.src} }
func (s *poolStep) writes() []int         { return []int{s.dst} }

func (c *compiler) compilePool(n int, avg bool) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	sh := c.types[x].Shape
	if !c.isF32(x) || len(sh) != 4 || len(nd.Outputs) != 1 {
		return false
	}
	g, err := ops.ResolvePool(sh, nd.Attrs, avg)
	if err != nil {
		return false
	}
	s := &poolStep{n: nd, avg: avg, g: g, N: sh[0], C: sh[1], H: sh[2], W: sh[3], OH: g.Out[0], OW: g.Out[1], isa: c.pl.p.isa}
	kh, kw := g.Kernel[0], g.Kernel[1]
	s.taps = kh * kw
	s.offs = make([]int64, s.OH*s.OW*s.taps)
	if avg {
		s.scales = make([]float32, s.OH*s.OW)
	}
	i := 0
	for oy := 0; oy < s.OH; oy++ {
		for ox := 0; ox < s.OW; ox++ {
			count := 0
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					iy, ix := oy*g.Strides[0]-g.Pads[0]+ky*g.Dilations[0], ox*g.Strides[1]-g.Pads[1]+kx*g.Dilations[1]
					o := int64(-1)
					if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
						o = int64((iy*s.W+ix)*s.C) * 4
						count++
					}
					s.offs[i] = o
					i++
				}
			}
			if count == 0 {
				return false // a window made only of padding (ResolvePool rules it out): ref's kernel decides
			}
			if avg {
				if g.CountIncludePad {
					count = s.includedCount(oy, ox)
				}
				s.scales[oy*s.OW+ox] = float32(1 / float64(count))
			}
		}
	}
	s.src = c.nhwc(x)
	s.dst = c.arena(nd.Outputs[0], tensor.Shape{s.N, s.C, s.OH, s.OW}, true)
	c.ids[nd.Outputs[0]] = s.dst
	c.emit(s)
	return true
}

func (s *poolStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.N*s.OH, threadsFor(s.N*s.OH*s.OW*s.C*s.taps, pl.p.threads))
	return nil
}

// do handles output rows [lo, hi) of N·OH, one image's run of them at a time.
func (s *poolStep) do(rs *runState, _, lo, hi int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	img, oimg := s.H*s.W*s.C, s.OH*s.OW*s.C
	for row := lo; row < hi; {
		b := row / s.OH
		end := min(hi, (b+1)*s.OH)
		p0, p1 := (row-b*s.OH)*s.OW, (end-b*s.OH)*s.OW
		s.isa.Pool(y[b*oimg:(b+1)*oimg], s.C, x[b*img:(b+1)*img], s.offs, s.taps, s.C, s.scales, p0, p1)
		row = end
	}
}

// includedCount is the window positions inside the padded input (the
// divisor of avg_pool with count_include_pad).
func (s *poolStep) includedCount(oy, ox int) int {
	n := 1
	for d, o := range []int{oy, ox} {
		size := []int{s.H, s.W}[d]
		k, st, dl := s.g.Kernel[d], s.g.Strides[d], s.g.Dilations[d]
		begin, end := s.g.Pads[d], s.g.Pads[2+d]
		cnt := 0
		for t := 0; t < k; t++ {
			i := o*st - begin + t*dl
			if i >= -begin && i < size+end {
				cnt++
			}
		}
		n *= cnt
	}
	return n
}

// maxVecGlobalAvgHW is the most pixels a global average pool sums in
// float32 with the vector pooling kernel (error ≲ HW·2^-24 relative, within
// Tolerance up to here); larger maps keep the float64 sums of
// globalAvgStep.
const maxVecGlobalAvgHW = 1024

// vecGlobalAvgStep is global_avg_pool as one average-pooling window per
// image through the vector kernel: taps are the image's pixels.
type vecGlobalAvgStep struct {
	n        *bpruntime.Node
	src, dst int
	N, C, HW int
	offs     []int64 // HW byte offsets: pixel p at p·C·4
	scale    []float32
	isa      *kernels.ISA
}

func (s *vecGlobalAvgStep) node() *bpruntime.Node { return s.n }
func (s *vecGlobalAvgStep) reads() []int          { return []int{s.src} }
func (s *vecGlobalAvgStep) writes() []int         { return []int{s.dst} }

// compileVecGlobalAvg takes a global_avg_pool whose map is small enough
// for float32 sums, on an ISA with a pooling kernel.
func (c *compiler) compileVecGlobalAvg(n int) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	sh := c.types[x].Shape
	isa := c.pl.p.isa
	if !c.isF32(x) || len(sh) != 4 || len(nd.Outputs) != 1 || !isa.HasPool() {
		return false
	}
	HW := sh[2] * sh[3]
	if HW == 0 || HW > maxVecGlobalAvgHW {
		return false
	}
	s := &vecGlobalAvgStep{n: nd, N: sh[0], C: sh[1], HW: HW, offs: make([]int64, HW), scale: []float32{float32(1 / float64(HW))}, isa: isa}
	for p := range s.offs {
		s.offs[p] = int64(p*s.C) * 4
	}
	s.src = c.nhwc(x)
	s.dst = c.arena(nd.Outputs[0], c.types[nd.Outputs[0]].Shape, false) // N×C×1×1: the same bytes in either layout
	c.ids[nd.Outputs[0]] = s.dst
	c.emit(s)
	return true
}

func (s *vecGlobalAvgStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.N, threadsFor(s.N*s.C*s.HW/4, pl.p.threads))
	return nil
}

// do handles images [lo, hi).
func (s *vecGlobalAvgStep) do(rs *runState, _, lo, hi int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	for b := lo; b < hi; b++ {
		s.isa.Pool(y[b*s.C:(b+1)*s.C], s.C, x[b*s.HW*s.C:(b+1)*s.HW*s.C], s.offs, s.HW, s.C, s.scale, 0, 1)
	}
}
