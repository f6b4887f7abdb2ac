package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/tensor"
)

// compileIndirect sets up a convolution (not depthwise, not a plain 1×1)
// for the indirect GEMM kernels: the input is copied once into a
// zero-bordered NHWC buffer (when the conv pads), so every output pixel's
// window lies inside it at one byte offset, and each kernel row (one group,
// no horizontal dilation: kw·C contiguous floats) or each tap is a segment
// at a fixed offset from the window. Tiles are then any six output pixels
// — they may cross output rows and images — and the whole K of a tile
// stays in registers. Small channel counts (an RGB stem: segments of
// kw·3 floats) take the same path: nothing is packed per run.
func (c *compiler) compileIndirect(s *convStep, x string, pb, pr int) {
	if s.pt+s.pl+pb+pr > 0 {
		padded := c.arena(x+"·padded", tensor.Shape{s.N, s.C, s.H + s.pt + pb, s.W + s.pl + pr}, true)
		c.emit(&padStep{src: s.in, dst: padded, N: s.N, H: s.H, W: s.W, C: s.C, pt: s.pt, pb: pb, pl: s.pl, pr: pr})
		s.in, s.H, s.W, s.pt, s.pl = padded, s.H+s.pt+pb, s.W+s.pl+pr, 0, 0
	}
	s.actISA = c.pl.p.isa
	if c.compileStem(s) {
		c.emit(s)
		return
	}
	s.indirect = true
	if s.rowSegments() {
		s.segK = s.kw * s.C
		s.segOffs = make([]int64, s.kh)
		for ky := range s.segOffs {
			s.segOffs[ky] = int64(ky*s.dh*s.W*s.C) * 4
		}
	} else {
		s.segK = s.Cg
		s.segOffs = make([]int64, s.kh*s.kw)
		for ky := 0; ky < s.kh; ky++ {
			for kx := 0; kx < s.kw; kx++ {
				s.segOffs[ky*s.kw+kx] = int64((ky*s.dh*s.W+kx*s.dw)*s.C) * 4
			}
		}
	}
	c.splitWork(s)
	c.emit(s)
}

// indirectISA picks the kernels for an indirect convolution with n output
// channels per group: isa, or on AVX-512 the AVX2 kernels when their
// 16-wide panels waste fewer lanes than 32-wide ones by more than AVX-512's
// edge on full panels (about 8 % in BenchmarkGemmIndirect): 48 channels
// (FastViT's stem) fill two AVX2 panels of three but half of AVX-512's second.
func indirectISA(isa *kernels.ISA, n int) *kernels.ISA {
	if isa.Name != "avx512" || !isa.Indirect() {
		return isa
	}
	narrow, err := kernels.ByName("avx2")
	if err != nil || !narrow.Indirect() {
		return isa
	}
	fill := func(nr int) float64 { return float64(n) / float64((n+nr-1)/nr*nr) }
	if 0.92*fill(narrow.NR) > fill(isa.NR) {
		return narrow
	}
	return isa
}

// doIndirect computes output pixels [r0, r1) of group gi over panels
// [p0, p1): each pixel's window offset, then the indirect GEMM.
func (s *convStep) doIndirect(rs *runState, slot int, in, out []float32, gi, r0, r1, p0, p1 int, ep *kernels.Epilogue) {
	pk := &rs.packers[slot]
	offs := pk.rowOffs[:r1-r0]
	b, oy, ox := r0/(s.OH*s.OW), (r0/s.OW)%s.OH, r0%s.OW
	step := int64(s.sw*s.C) * 4
	for i := 0; i < len(offs); {
		// One output row's run: windows step sw pixels apart.
		o := int64(((b*s.H+oy*s.sh)*s.W+ox*s.sw)*s.C+gi*s.Cg) * 4
		run := offs[i:min(len(offs), i+s.OW-ox)]
		for k := range run {
			run[k] = o
			o += step
		}
		i += len(run)
		ox = 0
		if oy++; oy == s.OH {
			oy = 0
			b++
		}
	}
	if !ep.Act.Post() {
		s.isa.GemmIndirect(&pk.cs, in, offs, s.segOffs, s.segK, s.packed[gi], out[r0*s.M+gi*s.Mg:], s.M, ep, p0, p1)
		return
	}
	// An activation after the kernel (gelu, sigmoid, …) runs over the whole
	// block on the full-width ISA: one call, and AVX-512's where an AVX2
	// kernel computed the conv (16 or 48 channels: FastViT's stem).
	act := ep.Act
	ep.Act = kernels.Activation{}
	s.isa.GemmIndirect(&pk.cs, in, offs, s.segOffs, s.segK, s.packed[gi], out[r0*s.M+gi*s.Mg:], s.M, ep, p0, p1)
	NR := s.packed[gi].NR
	c0, c1 := gi*s.Mg+p0*NR, gi*s.Mg+min(p1*NR, s.Mg)
	if c0 == 0 && c1 == s.M {
		s.actISA.ApplyAct(act, out[r0*s.M:r1*s.M])
		return
	}
	for r := r0; r < r1; r++ {
		s.actISA.ApplyAct(act, out[r*s.M+c0:r*s.M+c1])
	}
}
