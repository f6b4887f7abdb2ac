package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/ops"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// convStep is a 2-D convolution in NHWC with its fused output step. Its
// algorithm is chosen at compile time: depthwise through an indirection
// buffer, 1×1 as a direct GEMM over the input, else im2col per block of
// output pixels into a thread's scratch, then GEMM against packed weights.
type convStep struct {
	n              *bpruntime.Node
	in, out, res   int // value ids (NHWC); res -1 when there is no residual
	N, H, W, C     int
	OH, OW, M      int
	kh, kw         int
	sh, sw, dh, dw int
	pt, pl         int
	G, Cg, Mg      int
	bias           []float32 // M, or nil
	act            kernels.Activation
	isa            *kernels.ISA

	// GEMM algorithms
	packed  []*kernels.PackedB // per group
	direct  bool               // 1×1, stride 1, no padding: A is the input itself
	rb      int                // output pixels per work item
	pg      int                // panels per work item
	rBlocks int
	pGroups int
	// indirect GEMM (conv_indirect.go)
	indirect bool
	segOffs  []int64 // per segment (kernel row or tap): byte offset within a window
	segK     int
	actISA   *kernels.ISA // the plan's full-width ISA, for activations after the kernel
	// RGB stem (conv_stem.go)
	stem     bool
	stemW    []float32
	stemBias []float32
	// depthwise
	depthwise bool
	dwW       []float32 // taps × C
	offs      []int64   // output pixel × tap: byte offset into the input, -1 for padding
	zero      []float32
	dwBias    []float32
	dwRow     bool // output rows through the row kernel (conv_dwrow.go)
}

func (s *convStep) node() *bpruntime.Node { return s.n }
func (s *convStep) reads() []int {
	if s.res >= 0 {
		return []int{s.in, s.res}
	}
	return []int{s.in}
}
func (s *convStep) writes() []int { return []int{s.out} }

// compileConv handles a float32 2-D conv with constant weights.
func (c *compiler) compileConv(n int) bool {
	nd := &c.a.Nodes[n]
	x, wName := nd.Inputs[0], nd.Inputs[1]
	xt := c.types[x]
	w := c.constant(wName)
	if !c.isF32(x) || len(xt.Shape) != 4 || w == nil || w.DType() != tensor.Float32 || len(nd.Outputs) != 1 {
		return false
	}
	var b *tensor.Tensor
	if len(nd.Inputs) > 2 && nd.Inputs[2] != "" {
		if b = c.constant(nd.Inputs[2]); b == nil || b.DType() != tensor.Float32 {
			return false
		}
	}
	g, err := ops.ResolveConv(xt.Shape, w.Shape(), nd.Attrs)
	if err != nil {
		return false
	}
	ws := w.Shape()
	s := &convStep{n: nd, N: xt.Shape[0], C: xt.Shape[1], H: xt.Shape[2], W: xt.Shape[3],
		M: ws[0], kh: ws[2], kw: ws[3], OH: g.Out[0], OW: g.Out[1],
		sh: g.Strides[0], sw: g.Strides[1], dh: g.Dilations[0], dw: g.Dilations[1], pt: g.Pads[0], pl: g.Pads[1],
		G: g.Group, isa: c.pl.p.isa, res: -1}
	s.Cg, s.Mg = s.C/s.G, s.M/s.G
	s.isa = c.pl.p.isa.ForWidth(s.Mg)
	f := c.fuseAfter(nd.Outputs[0], true, s.M)
	// Weights and bias with batch_norm folded in (float64, rounded once).
	wd := tensor.MustView[float32](w)
	K := s.Cg * s.kh * s.kw
	wf := make([]float32, len(wd))
	bf := make([]float32, s.M)
	hasBias := b != nil || f.scale != nil
	for m := 0; m < s.M; m++ {
		sc, sh := 1.0, 0.0
		if f.scale != nil {
			sc, sh = f.scale[m], f.shift[m]
		}
		for k := 0; k < K; k++ {
			wf[m*K+k] = float32(float64(wd[m*K+k]) * sc)
		}
		bv := 0.0
		if b != nil {
			bv = float64(tensor.MustView[float32](b)[m])
		}
		bf[m] = float32(bv*sc + sh)
	}
	if hasBias {
		s.bias = bf
	}
	s.act = f.act
	s.in = c.nhwc(x)
	if f.residual != "" {
		s.res = c.nhwc(f.residual)
	}
	outShape := tensor.Shape{s.N, s.M, s.OH, s.OW}
	s.out = c.arena(f.out, outShape, true)
	c.ids[f.out] = s.out

	if s.G == s.C && s.dh == 1 && s.dw == 1 {
		// Depthwise, possibly with a channel multiplier: then each input
		// channel is first repeated Mg times, and the depthwise kernel runs
		// over M channels (a memory-bound copy instead of G tiny GEMMs).
		if s.Mg > 1 {
			e := c.arena(x+"·repeated", tensor.Shape{s.N, s.M, s.H, s.W}, true)
			c.emit(&repeatChannelsStep{src: s.in, dst: e, pixels: s.N * s.H * s.W, C: s.C, times: s.Mg})
			s.in, s.C = e, s.M
		}
		s.depthwise = true
		// Channels are the vector axis here, not Mg: the full-width ISA
		// (AVX-512 masks its channel tail; about 10 % over AVX2 in
		// BenchmarkDepthwise).
		s.isa = c.pl.p.isa
		taps := s.kh * s.kw
		s.dwW = make([]float32, taps*s.C)
		for ch := 0; ch < s.C; ch++ {
			for t := 0; t < taps; t++ {
				s.dwW[t*s.C+ch] = wf[ch*taps+t]
			}
		}
		s.dwBias = bf
		s.zero = make([]float32, s.C)
		if s.dwRow = s.isa.HasDepthwiseRow(s.kw, s.sw); s.dwRow {
			c.pl.maxEdge = max(c.pl.maxEdge, s.dwEdgeFloats())
			c.emit(s) // no indirection buffer (conv_dwrow.go)
			return true
		}
		s.offs = make([]int64, s.N*s.OH*s.OW*taps)
		i := 0
		for b := 0; b < s.N; b++ {
			for oy := 0; oy < s.OH; oy++ {
				for ox := 0; ox < s.OW; ox++ {
					for ky := 0; ky < s.kh; ky++ {
						for kx := 0; kx < s.kw; kx++ {
							iy, ix := oy*s.sh-s.pt+ky, ox*s.sw-s.pl+kx
							o := int64(-1)
							if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
								o = int64(((b*s.H+iy)*s.W + ix) * s.C * 4)
							}
							s.offs[i] = o
							i++
						}
					}
				}
			}
		}
		c.emit(s)
		return true
	}
	pb, pr := g.Pads[2], g.Pads[3]
	direct := s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pt == 0 && s.pl == 0 && pb == 0 && pr == 0
	if !direct {
		s.isa = indirectISA(s.isa, s.Mg)
	}
	s.packed = make([]*kernels.PackedB, s.G)
	for gi := 0; gi < s.G; gi++ {
		// B[k = (ky, kx, ci)][m] = W[g·Mg + m][ci][ky][kx]
		s.packed[gi] = s.isa.PackB(K, s.Mg, func(k, m int) float32 {
			ci := k % s.Cg
			kk := k / s.Cg
			ky, kx := kk/s.kw, kk%s.kw
			return wf[(gi*s.Mg+m)*K+(ci*s.kh+ky)*s.kw+kx]
		})
	}
	if !direct && s.isa.Indirect() {
		c.compileIndirect(s, x, pb, pr)
		return true
	}
	s.direct = direct
	c.splitWork(s)
	c.emit(s)
	return true
}

// splitWork cuts a GEMM convolution into work items: blocks of output
// pixels × groups of B panels.
func (c *compiler) splitWork(s *convStep) {
	rows := s.N * s.OH * s.OW
	panels := s.packed[0].Panels()
	s.rb = min(rows, kernels.MC)
	if s.indirect && panels*s.G == 1 {
		// One panel: only row blocks feed the threads, so cut them small
		// enough for four parts per thread (whole tiles; B is one panel,
		// cheap to stream again).
		per := (rows + 4*c.pl.p.threads - 1) / (4 * c.pl.p.threads)
		s.rb = min(s.rb, max(4*s.isa.MR, (per+s.isa.MR-1)/s.isa.MR*s.isa.MR))
	}
	s.rb = max(1, s.rb) // an empty batch: no blocks
	s.rBlocks = (rows + s.rb - 1) / s.rb
	// Split panels too when rows alone give the threads too little to share.
	s.pg = panels
	for s.pg > 1 && s.G*s.rBlocks*((panels+s.pg-1)/s.pg) < 4*c.pl.p.threads {
		s.pg = (s.pg + 1) / 2
	}
	s.pGroups = (panels + s.pg - 1) / s.pg
}

func (s *convStep) run(pl *plan, rs *runState) error {
	if s.stem {
		macs := s.N * s.OH * s.OW * s.M * 27
		pl.p.pool.parallel(rs, s, s.N*s.OH, threadsFor(macs/4, pl.p.threads))
		return nil
	}
	if s.dwRow {
		npix := s.N * s.OH * s.OW
		pl.p.pool.parallel(rs, s, s.N*s.OH, threadsFor(npix*s.C*s.kh*s.kw, pl.p.threads))
		return nil
	}
	if s.depthwise {
		npix := s.N * s.OH * s.OW
		parts := (npix + kernels.DWChunk - 1) / kernels.DWChunk
		pl.p.pool.parallel(rs, s, parts, threadsFor(npix*s.C*s.kh*s.kw, pl.p.threads))
		return nil
	}
	K := s.Cg * s.kh * s.kw
	macs := s.N * s.OH * s.OW * s.M * K
	// Four times the usual minimum: a conv step's share for a woken worker
	// must outweigh the wake-up (the small CNN's 1.2-MMAC second conv runs
	// faster on the caller alone: p50 50 → 37 µs for the model at batch 1).
	pl.p.pool.parallel(rs, s, s.G*s.rBlocks*s.pGroups, threadsFor(macs/4, pl.p.threads))
	return nil
}

// minWorkPerThread is the multiply-adds below which a step stays on one thread.
const minWorkPerThread = 1 << 18

func threadsFor(work, threads int) int { return max(1, min(threads, work/minWorkPerThread)) }

func (s *convStep) do(rs *runState, slot, lo, hi int) {
	in, out := rs.f32[s.in], rs.f32[s.out]
	if s.dwRow {
		s.doDwRow(rs, slot, in, out, lo, hi)
		return
	}
	if s.stem {
		s.doStem(in, out, lo, hi)
		return
	}
	if s.depthwise {
		taps := s.kh * s.kw
		npix := s.N * s.OH * s.OW
		p0, p1 := lo*kernels.DWChunk, min(hi*kernels.DWChunk, npix)
		if s.res < 0 {
			s.isa.Depthwise(rs.scratch[slot], out, s.M, in, s.offs, taps, s.dwW, s.C, s.dwBias, s.zero, s.act, p0, p1)
			return
		}
		// A residual comes before the activation: add it, then activate,
		// while the chunk is in cache.
		s.isa.Depthwise(rs.scratch[slot], out, s.M, in, s.offs, taps, s.dwW, s.C, s.dwBias, s.zero, kernels.Activation{}, p0, p1)
		o, r := out[p0*s.C:p1*s.C], rs.f32[s.res][p0*s.C:p1*s.C]
		for i := range o {
			o[i] += r[i]
		}
		s.isa.ApplyAct(s.act, o)
		return
	}
	var res []float32
	if s.res >= 0 {
		res = rs.f32[s.res]
	}
	rows := s.N * s.OH * s.OW
	panels := s.packed[0].Panels()
	var ep kernels.Epilogue
	for item := lo; item < hi; item++ {
		pgi := item % s.pGroups
		rbi := (item / s.pGroups) % s.rBlocks
		gi := item / (s.pGroups * s.rBlocks)
		r0 := rbi * s.rb
		r1 := min(r0+s.rb, rows)
		p0, p1 := pgi*s.pg, min((pgi+1)*s.pg, panels)
		ep = kernels.Epilogue{Act: s.act}
		if s.bias != nil {
			ep.Bias = s.bias[gi*s.Mg : (gi+1)*s.Mg]
		}
		if res != nil {
			ep.Residual, ep.LDR = res[r0*s.M+gi*s.Mg:], s.M
		}
		if s.indirect {
			s.doIndirect(rs, slot, in, out, gi, r0, r1, p0, p1, &ep)
			continue
		}
		if s.direct {
			s.isa.Gemm(rs.scratch[slot], in[r0*s.C+gi*s.Cg:], s.C, s.packed[gi], out[r0*s.M+gi*s.Mg:], s.M, &ep, 0, r1-r0, p0, p1)
			continue
		}
		// ISAs without the indirect kernels (generic, neon): im2col straight
		// into the kernels' packed A, no column matrix.
		pk := &rs.packers[slot]
		pk.s, pk.in, pk.gi, pk.r0 = s, in, gi, r0
		s.isa.GemmPacked(rs.scratch[slot], pk, s.packed[gi], out[r0*s.M+gi*s.Mg:], s.M, &ep, 0, r1-r0, p0, p1)
		pk.in = nil
	}
}

// rowSegments: one group and no horizontal dilation, so each kernel row's
// taps are one contiguous run of kw·C floats in NHWC.
func (s *convStep) rowSegments() bool { return s.G == 1 && s.dw == 1 }

// convPacker packs blocks of a convolution's im2col matrix (rows: output
// pixels; columns: K = kh·kw·Cg values in (ky, kx, ci) order, zeros for
// padding) straight into the GEMM's packed-A layout.
type convPacker struct {
	s      *convStep
	in     []float32
	gi, r0 int // group, and the output pixel of row 0

	// The indirect GEMM's per-thread state (conv_indirect.go).
	cs      kernels.ConvScratch
	rowOffs [kernels.MC]int64
	// A depthwise row's edge windows, zero-bordered (conv_dwrow.go).
	edge []float32
}

// PackA implements kernels.APacker. Per tile of mr output pixels it walks
// the k range tap by tap (a run of up to Cg channels per tap, no divisions
// in the loop), writing each k's mr values contiguously.
func (p *convPacker) PackA(dst []float32, i0, i1, k0, kc, mr int) {
	s := p.s
	kend := k0 + kc
	var iy0, ix0, img, src [16]int // per row of the tile
	for i := i0; i < i1; i += mr {
		rows := min(mr, i1-i)
		tile := dst[(i-i0)*kc : (i-i0)*kc+kc*mr]
		for r := 0; r < rows; r++ {
			pix := p.r0 + i + r
			ox := pix % s.OW
			oy := (pix / s.OW) % s.OH
			img[r] = pix / (s.OW * s.OH) * s.H
			iy0[r], ix0[r] = oy*s.sh-s.pt, ox*s.sw-s.pl
		}
		tap, ci := k0/s.Cg, k0%s.Cg
		ky, kx := tap/s.kw, tap%s.kw
		for k := k0; k < kend; {
			n := min(s.Cg-ci, kend-k)
			for r := 0; r < rows; r++ {
				iy, ix := iy0[r]+ky*s.dh, ix0[r]+kx*s.dw
				if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
					src[r] = -1
				} else {
					src[r] = ((img[r]+iy)*s.W+ix)*s.C + p.gi*s.Cg + ci
				}
			}
			for t := 0; t < n; t++ {
				d := tile[(k-k0+t)*mr : (k-k0+t)*mr+rows]
				for r := range d {
					if o := src[r]; o >= 0 {
						d[r] = p.in[o+t]
					} else {
						d[r] = 0
					}
				}
			}
			k += n
			ci = 0
			if kx++; kx == s.kw {
				kx = 0
				ky++
			}
		}
	}
}

// repeatChannelsStep repeats each channel of an NHWC value times times
// (channel c becomes channels c·times … c·times+times−1).
type repeatChannelsStep struct {
	src, dst         int
	pixels, C, times int
}

func (s *repeatChannelsStep) node() *bpruntime.Node { return nil }
func (s *repeatChannelsStep) reads() []int          { return []int{s.src} }
func (s *repeatChannelsStep) writes() []int         { return []int{s.dst} }

func (s *repeatChannelsStep) run(_ *plan, rs *runState) error {
	src, dst := rs.f32[s.src], rs.f32[s.dst]
	if s.times == 2 { // FastViT's patch embeddings and head
		src, dst = src[:s.pixels*s.C], dst[:2*s.pixels*s.C]
		for i, v := range src {
			d := dst[2*i : 2*i+2 : 2*i+2]
			d[0], d[1] = v, v
		}
		return nil
	}
	for p := 0; p < s.pixels; p++ {
		in := src[p*s.C : (p+1)*s.C]
		out := dst[p*s.C*s.times : (p+1)*s.C*s.times]
		for c, v := range in {
			o := out[c*s.times : (c+1)*s.times]
			for i := range o {
				o[i] = v
			}
		}
	}
	return nil
}

// padStep copies an NHWC value into the middle of a zero-bordered one.
type padStep struct {
	src, dst       int
	N, H, W, C     int
	pt, pb, pl, pr int
}

func (s *padStep) node() *bpruntime.Node { return nil }
func (s *padStep) reads() []int          { return []int{s.src} }
func (s *padStep) writes() []int         { return []int{s.dst} }

func (s *padStep) run(_ *plan, rs *runState) error {
	src, dst := rs.f32[s.src], rs.f32[s.dst]
	W2, H2 := s.W+s.pl+s.pr, s.H+s.pt+s.pb
	row := s.W * s.C
	for b := 0; b < s.N; b++ {
		img := dst[b*H2*W2*s.C : (b+1)*H2*W2*s.C]
		clear(img[:s.pt*W2*s.C])
		clear(img[(s.pt+s.H)*W2*s.C:])
		for y := 0; y < s.H; y++ {
			d := img[((s.pt+y)*W2)*s.C : ((s.pt+y+1)*W2)*s.C]
			clear(d[:s.pl*s.C])
			copy(d[s.pl*s.C:], src[(b*s.H+y)*row:(b*s.H+y+1)*row])
			clear(d[(s.pl+s.W)*s.C:])
		}
	}
	return nil
}
