package kernels

import "unsafe"

// igemmArgs is what an indirect-GEMM micro-kernel reads; the assembly
// addresses fields by offset (TestIgemmArgsLayout checks them).
type igemmArgs struct {
	Rows  *int64   // per tile row: byte offset of its window in In
	In    *float32 // base of every offset
	Segs  *int64   // per segment: byte offset within a window
	NSeg  int      // segments of this call, ≥ 1
	SegK  int      // k steps per segment, ≥ 1
	B     *float32 // packed panel at the call's first k
	C     *float32 // tile's top-left element of C
	LDC   int      // bytes between rows of C
	Flags int
	Bias  *float32
	R     *float32
	LDR   int // bytes between rows of R
	Mask  uint64
	Min   float32
	Max   float32
}

func (p *igemmArgs) raw() *[14]uint64 { return (*[14]uint64)(unsafe.Pointer(p)) }

// ConvScratch is one thread's working memory for GemmIndirect; allocate one
// per worker and reuse it.
type ConvScratch struct {
	args igemmArgs
	tile [6 * 32]float32 // a partial panel's tile on ISAs without masked stores
}

// IKC bounds the k steps of one indirect micro-kernel call (whole segments
// are grouped up to it; a longer segment is one call), so no call runs long.
const IKC = 512

// indirectTiles holds, per ISA name, the indirect micro-kernel: one tile of
// rows ≤ the ISA's MR. Filled by the platform file; absent: no kernel.
var indirectTiles = map[string]func(p *igemmArgs, rows int){}

// Indirect reports whether the ISA has an indirect-GEMM kernel
// (GemmIndirect).
func (isa *ISA) Indirect() bool { return indirectTiles[isa.Name] != nil }

// GemmIndirect computes the rows of C for output pixels i < len(rowOffs):
//
//	C[i][j] = Σ_s Σ_{k<segK} in[(rowOffs[i]+segOffs[s])/4 + k] · B[s·segK+k][j]
//
// over B panels [panelLo, panelHi), then the epilogue; C's row i is at
// c[i·ldc:], the residual's at ep.Residual[i·ep.LDR:]. Offsets are in bytes
// (a convolution's windows over a zero-bordered NHWC input: the row offset
// is an output pixel's window, a segment one kernel row or tap of it), so
// any output pixels may share a tile: 7-wide maps keep the 6-row kernel
// full. b must have K = len(segOffs)·segK. Only for ISAs with Indirect.
func (isa *ISA) GemmIndirect(cs *ConvScratch, in []float32, rowOffs, segOffs []int64, segK int, b *PackedB, c []float32, ldc int, ep *Epilogue, panelLo, panelHi int) {
	rows := len(rowOffs)
	if rows == 0 || panelLo >= panelHi || len(segOffs) == 0 || segK <= 0 {
		return
	}
	tileFn := indirectTiles[isa.Name]
	N, NR, K := b.N, isa.NR, b.K
	if K != len(segOffs)*segK {
		panic("kernels: GemmIndirect: B's K is not segments × segK")
	}
	isa.checkGemm("GemmIndirect", b, ldc, ep)
	// Bounds, checked once: every row's window plus every segment stays in in.
	var maxRow, maxSeg int64
	for _, o := range rowOffs {
		if o < 0 {
			panic("kernels: GemmIndirect: negative row offset")
		}
		maxRow = max(maxRow, o)
	}
	for _, o := range segOffs {
		if o < 0 || o%4 != 0 {
			panic("kernels: GemmIndirect: bad segment offset")
		}
		maxSeg = max(maxSeg, o)
	}
	// Each offset is bounded first, so their sum cannot overflow.
	if maxRow%4 != 0 || maxRow/4 > int64(len(in)) || maxSeg/4 > int64(len(in)) || (maxRow+maxSeg)/4+int64(segK) > int64(len(in)) {
		panic("kernels: GemmIndirect: a window reads past the input")
	}
	_ = b.Data[panelHi*K*NR-1]
	lastCol := min(panelHi*NR, N) - 1
	_ = c[(rows-1)*ldc+lastCol]
	if ep != nil && ep.Residual != nil {
		_ = ep.Residual[(rows-1)*ep.LDR+lastCol]
	}
	if ep != nil && ep.Bias != nil {
		_ = ep.Bias[lastCol]
	}
	clamp, lo, hi := false, float32(0), float32(0)
	if ep != nil {
		clamp, lo, hi = ep.Act.clamp()
	}
	segsPerCall := max(1, IKC/segK)
	nseg := len(segOffs)
	a := &cs.args
	*a = igemmArgs{In: &in[0], SegK: segK}
	MR := isa.MR
	for j := panelLo; j < panelHi; j++ {
		j0 := j * NR
		cols := min(NR, N-j0)
		a.Mask = uint64(1)<<cols - 1
		if cols == NR || isa.masked {
			for s0 := 0; s0 < nseg; s0 += segsPerCall {
				ns := min(segsPerCall, nseg-s0)
				last := s0+ns == nseg
				a.Segs, a.NSeg = &segOffs[s0], ns
				for i := 0; i < rows; i += MR {
					rr := min(MR, rows-i)
					a.Rows = &rowOffs[i]
					a.B = &b.Data[j*K*NR+s0*segK*NR]
					a.C, a.LDC = &c[i*ldc+j0], ldc*4
					a.Flags = 0
					if s0 > 0 {
						a.Flags |= flagAccumulate
					}
					if last && ep != nil {
						if ep.Bias != nil {
							a.Flags |= flagBias
							a.Bias = &ep.Bias[j0]
						}
						if ep.Residual != nil {
							a.Flags |= flagResidual
							a.R, a.LDR = &ep.Residual[i*ep.LDR+j0], ep.LDR*4
						}
						if clamp {
							a.Flags |= flagClamp
							a.Min, a.Max = lo, hi
						}
					}
					tileFn(a, rr)
					a.Bias, a.R = nil, nil
					if last && ep != nil && ep.Act.post() {
						for r := 0; r < rr; r++ {
							isa.ApplyAct(ep.Act, c[(i+r)*ldc+j0:(i+r)*ldc+j0+cols])
						}
					}
				}
			}
			continue
		}
		// A partial panel on an unmasked ISA: each tile goes through the
		// scratch tile, then its valid columns are copied out with the
		// epilogue applied in Go.
		scratch := cs.tile[:]
		for i := 0; i < rows; i += MR {
			rr := min(MR, rows-i)
			a.Rows = &rowOffs[i]
			a.C, a.LDC = &scratch[0], NR*4
			a.Bias, a.R = nil, nil
			for s0 := 0; s0 < nseg; s0 += segsPerCall {
				a.Segs, a.NSeg = &segOffs[s0], min(segsPerCall, nseg-s0)
				a.B = &b.Data[j*K*NR+s0*segK*NR]
				a.Flags = 0
				if s0 > 0 {
					a.Flags = flagAccumulate
				}
				tileFn(a, rr)
			}
			for r := 0; r < rr; r++ {
				row := c[(i+r)*ldc+j0 : (i+r)*ldc+j0+cols]
				copy(row, scratch[r*NR:r*NR+cols])
				if ep == nil {
					continue
				}
				if ep.Bias != nil {
					addTo(row, ep.Bias[j0:j0+cols])
				}
				if ep.Residual != nil {
					addTo(row, ep.Residual[(i+r)*ep.LDR+j0:(i+r)*ep.LDR+j0+cols])
				}
				if clamp {
					clampTo(row, lo, hi)
				}
				if ep.Act.post() {
					isa.ApplyAct(ep.Act, row)
				}
			}
		}
	}
	a.In, a.Rows, a.Segs, a.B, a.C = nil, nil, nil, nil, nil
}

// Post reports whether the activation runs after the micro-kernels (not a
// clamp inside them), so a caller may apply it to a whole block itself.
func (a Activation) Post() bool { return a.post() }
