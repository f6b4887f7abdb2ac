package cpu

import "github.com/backplane-ml/backplane/backends/cpu/internal/kernels"

// doDwRow computes output rows [lo, hi) of N·OH of a depthwise convolution
// (horizontal stride 1 or 2) with the row kernel, which shares input loads
// between adjacent output pixels. Pixels whose windows lie inside the input
// horizontally read it in place (kernel rows above or below it are left
// out); the few at the left and right edges read a small zero-bordered copy
// of their windows. A residual is added before the activation, while the
// row is in cache.
func (s *convStep) doDwRow(rs *runState, slot int, in, out []float32, lo, hi int) {
	C := s.C
	pk := &rs.packers[slot]
	act := s.act
	if s.res >= 0 {
		act = kernels.Activation{}
	}
	oxA, oxB := s.dwInterior()
	for row := lo; row < hi; row++ {
		b, oy := row/s.OH, row%s.OH
		p0 := row * s.OW
		iy0 := oy*s.sh - s.pt // input row of kernel row 0
		ky0, ky1 := max(0, -iy0), min(s.kh, s.H-iy0)
		a, z := oxA, oxB
		if a >= z || ky0 >= ky1 {
			a, z = s.OW, s.OW // no interior: the whole row is an edge
		}
		if a > 0 {
			s.dwEdge(pk, in, out, b, iy0, p0, 0, a, act)
		}
		if z > a {
			s.isa.DepthwiseRow(out[(p0+a)*C:(p0+z)*C], in, ((b*s.H+iy0+ky0)*s.W+a*s.sw-s.pl)*C, s.W*C, z-a, ky1-ky0, s.kw, s.sw,
				s.dwW[ky0*s.kw*C:], C, s.dwBias, act)
		}
		if z < s.OW {
			s.dwEdge(pk, in, out, b, iy0, p0, z, s.OW, act)
		}
		if s.res >= 0 {
			o, r := out[p0*C:(p0+s.OW)*C], rs.f32[s.res][p0*C:(p0+s.OW)*C]
			for i := range o {
				o[i] += r[i]
			}
			s.isa.ApplyAct(s.act, o)
		}
	}
}

// dwEdge computes output pixels [from, to) of the row starting at output
// pixel p0 (image b, kernel row 0 at input row iy0) through a copy of
// their windows with zeros where they leave the input.
func (s *convStep) dwEdge(pk *convPacker, in, out []float32, b, iy0, p0, from, to int, act kernels.Activation) {
	C := s.C
	ixA := from*s.sw - s.pl                 // input column of the patch's column 0
	pw := (to-from-1)*s.sw + s.kw           // patch width in pixels
	x0, x1 := max(0, ixA), min(s.W, ixA+pw) // the columns inside the input
	patch := pk.edge[:s.kh*pw*C]
	for ky := 0; ky < s.kh; ky++ {
		dst := patch[ky*pw*C : (ky+1)*pw*C]
		iy := iy0 + ky
		if iy < 0 || iy >= s.H || x0 >= x1 {
			clear(dst)
			continue
		}
		clear(dst[:(x0-ixA)*C])
		src := ((b*s.H+iy)*s.W + x0) * C
		copy(dst[(x0-ixA)*C:(x1-ixA)*C], in[src:src+(x1-x0)*C])
		clear(dst[(x1-ixA)*C:])
	}
	s.isa.DepthwiseRow(out[(p0+from)*C:(p0+to)*C], patch, 0, pw*C, to-from, s.kh, s.kw, s.sw, s.dwW, C, s.dwBias, act)
}

// dwInterior returns the output columns [oxA, oxB) whose windows lie inside
// the input horizontally: ox·sw−pl ≥ 0 and ox·sw−pl+kw−1 ≤ W−1.
func (s *convStep) dwInterior() (oxA, oxB int) {
	oxA = (s.pl + s.sw - 1) / s.sw
	if s.W-s.kw+s.pl < 0 {
		return oxA, 0
	}
	return oxA, min(s.OW, (s.W-s.kw+s.pl)/s.sw+1)
}

// dwEdgeFloats is the largest edge patch doDwRow copies: a whole row's
// windows (a row without interior, or one all in vertical padding) or
// the left or right edge's.
func (s *convStep) dwEdgeFloats() int {
	width := func(pixels int) int { return s.kh * ((pixels-1)*s.sw + s.kw) * s.C }
	oxA, oxB := s.dwInterior()
	if oxA >= oxB || s.pt >= s.kh || (s.OH-1)*s.sh-s.pt >= s.H {
		return width(s.OW)
	}
	return max(width(max(1, oxA)), width(max(1, s.OW-oxB)))
}
