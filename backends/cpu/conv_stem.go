package cpu

import "github.com/backplane-ml/backplane/backends/cpu/internal/kernels"

// compileStem sets up a 3×3 conv over 3 channels (an RGB stem: the small
// CNN's first conv, MobileNetV2's and FastViT's stems) for the direct stem
// kernel when the ISA has it: whole output rows, 16 output channels at a
// time with their 27 weight vectors in registers (≈ 110 GFLOP/s single
// thread against ≈ 90 for the indirect GEMM's K = 27 tiles). It needs the
// zero-bordered input compileIndirect made, one group, no dilation, a
// multiple of 16 output channels and no residual.
func (c *compiler) compileStem(s *convStep) bool {
	isa := c.pl.p.isa
	if !isa.HasStem() || s.C != 3 || s.kh != 3 || s.kw != 3 || s.G != 1 || s.dh != 1 || s.dw != 1 ||
		s.M%kernels.StemBlock != 0 || s.res >= 0 || s.pt != 0 || s.pl != 0 {
		return false
	}
	b := s.packed[0] // K = 27 in (ky, kx, ci) order, the stem layout's order too
	s.stemW = kernels.PackStem(s.M, func(k, n int) float32 { return b.Data[(n/b.NR)*b.K*b.NR+k*b.NR+n%b.NR] })
	s.stemBias = s.bias
	if s.stemBias == nil {
		s.stemBias = make([]float32, s.M)
	}
	s.stem = true
	return true
}

// doStem computes output rows [lo, hi) of N·OH with the stem kernel, then
// a post-kernel activation over each row on the full-width ISA.
func (s *convStep) doStem(in, out []float32, lo, hi int) {
	clampOnly := s.act
	if clampOnly.Post() {
		clampOnly = kernels.Activation{}
	}
	for row := lo; row < hi; row++ {
		b, oy := row/s.OH, row%s.OH
		o := out[row*s.OW*s.M : (row+1)*s.OW*s.M]
		s.actISA.Stem(o, s.M, in, (b*s.H+oy*s.sh)*s.W*s.C, s.W*s.C, s.OW, s.sw, s.stemW, s.M, s.stemBias, clampOnly)
		if s.act.Post() {
			s.actISA.ApplyAct(s.act, o)
		}
	}
}
