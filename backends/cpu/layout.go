package cpu

import (
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// reorderStep converts a rank-4 float32 value between NCHW and NHWC, at the
// edges of a run of layout-aware steps.
type reorderStep struct {
	src, dst int
	toNHWC   bool
	shape    tensor.Shape // logical N, C, H, W
}

func (s *reorderStep) node() *bpruntime.Node { return nil }
func (s *reorderStep) reads() []int          { return []int{s.src} }
func (s *reorderStep) writes() []int         { return []int{s.dst} }

func (s *reorderStep) run(pl *plan, rs *runState) error {
	if s.toNHWC && s.shape[1] == 3 {
		// An RGB input: one pass per image writing whole pixels (three planes
		// at once), not three passes of strided stores.
		pl.p.pool.parallel(rs, rgbReorder{s}, s.shape[0], threadsFor(s.shape.NumElements()/4, pl.p.threads))
		return nil
	}
	n := s.shape[0] * s.shape[1]
	pl.p.pool.parallel(rs, s, n, threadsFor(s.shape.NumElements()/4, pl.p.threads))
	return nil
}

// rgbReorder is a 3-channel NCHW → NHWC reorder split by image.
type rgbReorder struct{ s *reorderStep }

// do handles images [lo, hi).
func (r rgbReorder) do(rs *runState, _, lo, hi int) {
	src, dst := rs.f32[r.s.src], rs.f32[r.s.dst]
	HW := r.s.shape[2] * r.s.shape[3]
	for b := lo; b < hi; b++ {
		img := src[b*3*HW : (b+1)*3*HW]
		c0, c1, c2 := img[:HW], img[HW:2*HW], img[2*HW:3*HW]
		d := dst[b*3*HW : (b+1)*3*HW]
		for p, v := range c0 {
			px := d[3*p : 3*p+3 : 3*p+3]
			px[0], px[1], px[2] = v, c1[p], c2[p]
		}
	}
}

// do handles (n, c) planes [lo, hi).
func (s *reorderStep) do(rs *runState, _, lo, hi int) {
	src, dst := rs.f32[s.src], rs.f32[s.dst]
	C, HW := s.shape[1], s.shape[2]*s.shape[3]
	for nc := lo; nc < hi; nc++ {
		b, ch := nc/C, nc%C
		plane := b*C*HW + ch*HW
		pix := b*HW*C + ch
		if s.toNHWC {
			for p, v := range src[plane : plane+HW] {
				dst[pix+p*C] = v
			}
		} else {
			d := dst[plane : plane+HW]
			for p := range d {
				d[p] = src[pix+p*C]
			}
		}
	}
}

// copyStep copies a float32 value into the arena (a reshape of a value the
// plan does not own).
type copyStep struct {
	n        *bpruntime.Node
	src, dst int
}

func (s *copyStep) node() *bpruntime.Node { return s.n }
func (s *copyStep) reads() []int          { return []int{s.src} }
func (s *copyStep) writes() []int         { return []int{s.dst} }
func (s *copyStep) run(_ *plan, rs *runState) error {
	copy(rs.f32[s.dst], rs.f32[s.src])
	return nil
}

// transposeStep permutes the axes of a float32 value.
type transposeStep struct {
	n        *bpruntime.Node
	src, dst int
	in       tensor.Shape
	out      tensor.Shape
	stride   []int // input stride of each output axis
}

func (s *transposeStep) node() *bpruntime.Node { return s.n }
func (s *transposeStep) reads() []int          { return []int{s.src} }
func (s *transposeStep) writes() []int         { return []int{s.dst} }

func (s *transposeStep) run(pl *plan, rs *runState) error {
	rows := 1
	for _, d := range s.out[:len(s.out)-1] {
		rows *= d
	}
	pl.p.pool.parallel(rs, s, rows, threadsFor(s.out.NumElements()/4, pl.p.threads))
	return nil
}

// do writes output rows [lo, hi) (all axes but the last).
func (s *transposeStep) do(rs *runState, _, lo, hi int) {
	src, dst := rs.f32[s.src], rs.f32[s.dst]
	r := len(s.out)
	last := s.out[r-1]
	ls := s.stride[r-1]
	for row := lo; row < hi; row++ {
		// input offset of the row's first element
		off, rem := 0, row
		for ax := r - 2; ax >= 0; ax-- {
			off += (rem % s.out[ax]) * s.stride[ax]
			rem /= s.out[ax]
		}
		d := dst[row*last : (row+1)*last]
		for i := range d {
			d[i] = src[off+i*ls]
		}
	}
}
