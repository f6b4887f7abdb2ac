package kernels

import (
	"math/bits"
	"unsafe"
)

// KC bounds the K steps of one micro-kernel call: a tile's K loop is cut
// into calls of at most KC steps, so no assembly call runs long.
const KC = 128

// MC is the rows of A one pass over the B panels covers (a packed block of
// MC×KC floats stays in L2 while every panel's KC×NR block passes through L1).
const MC = 144

// Flags of gemmArgs (the generator in _asm has the same values).
const (
	flagAccumulate = 1 // add the C already in memory (a later K block)
	flagBias       = 2 // add Bias[j] to column j
	flagResidual   = 4 // add R[i][j]
	flagClamp      = 8 // clamp to [Min, Max]
)

// gemmArgs is what a micro-kernel reads. Its layout is fixed: the assembly
// addresses fields by offset (TestGemmArgsLayout checks them).
type gemmArgs struct {
	A     *float32 // the tile's packed A: step k holds MR floats, one per row
	LDA   int      // unused (kept for the layout)
	B     *float32 // the packed panel at the block's first k: K rows of NR floats
	C     *float32 // tile's top-left element of C
	LDC   int      // bytes between rows of C
	K     int      // steps of k in this call, ≤ KC
	Flags int
	Bias  *float32 // Bias for the tile's first column
	R     *float32 // residual's top-left element
	LDR   int      // bytes between rows of R
	Mask  uint64   // valid columns of the tile: bit j for column j
	Min   float32
	Max   float32
}

func (p *gemmArgs) raw() *[12]uint64 { return (*[12]uint64)(unsafe.Pointer(p)) }

// PackedB is a K×N matrix B in an ISA's panel layout: ceil(N/NR) panels,
// each K rows of NR floats, the last zero-padded.
type PackedB struct {
	K, N, NR int
	Data     []float32
}

// Panels returns the number of NR-wide panels.
func (b *PackedB) Panels() int { return (b.N + b.NR - 1) / b.NR }

// PackB packs the K×N matrix whose element (k, n) is at(k, n) for isa.
// It runs once per weight, at plan time.
func (isa *ISA) PackB(K, N int, at func(k, n int) float32) *PackedB {
	p := &PackedB{K: K, N: N, NR: isa.NR}
	p.Data = make([]float32, p.Panels()*K*isa.NR)
	for j := 0; j < p.Panels(); j++ {
		panel := p.Data[j*K*isa.NR : (j+1)*K*isa.NR]
		for k := 0; k < K; k++ {
			for c := 0; c < isa.NR && j*isa.NR+c < N; c++ {
				panel[k*isa.NR+c] = at(k, j*isa.NR+c)
			}
		}
	}
	return p
}

// Epilogue is the output step fused into a GEMM or convolution: bias, then
// residual, then activation, applied to each tile while it is in cache.
type Epilogue struct {
	Bias     []float32 // one per column of C, or nil
	Residual []float32 // same layout as C (row stride LDR), or nil
	LDR      int
	Act      Activation
}

// Scratch is one thread's working memory for Gemm: allocate one per worker
// and reuse it (it is too big for the goroutine stack to carry cheaply).
type Scratch struct {
	packed [MC * KC]float32
	args   gemmArgs
	tile   [6 * 32]float32 // a whole tile, for partial panels on unmasked ISAs
	loop   tileLoop
	dw     dwArgs
}

// Gemm computes C[i][j] = Σ_k A[i][k]·B[k][j] for rows [rowLo, rowHi) and the
// B panels [panelLo, panelHi), then the epilogue. A has row stride lda, C
// has ldc, in elements. Callers split rows and panels among threads.
func (isa *ISA) Gemm(sc *Scratch, a []float32, lda int, b *PackedB, c []float32, ldc int, ep *Epilogue, rowLo, rowHi, panelLo, panelHi int) {
	if rowLo >= rowHi || panelLo >= panelHi {
		return
	}
	isa.checkGemm("Gemm", b, ldc, ep)
	nonNegative("Gemm", "row stride of A", lda)
	if b.K > 0 {
		_ = a[(rowHi-1)*lda+b.K-1] // bounds, checked once
	}
	isa.gemm(sc, a, lda, nil, b, c, ldc, ep, rowLo, rowHi, panelLo, panelHi)
}

// APacker produces blocks of a matrix A that is never stored whole (a
// convolution's im2col): PackA writes rows [i0, i1) × columns [k0, k0+kc)
// into dst as tiles of mr rows, each kc steps of mr floats (dst[(i−i0)·kc +
// k·mr + r] for the tile starting at row i), the layout the micro-kernels read.
type APacker interface {
	PackA(dst []float32, i0, i1, k0, kc, mr int)
}

// GemmPacked is Gemm with A produced block by block by pk.
func (isa *ISA) GemmPacked(sc *Scratch, pk APacker, b *PackedB, c []float32, ldc int, ep *Epilogue, rowLo, rowHi, panelLo, panelHi int) {
	if rowLo >= rowHi || panelLo >= panelHi {
		return
	}
	isa.checkGemm("GemmPacked", b, ldc, ep)
	isa.gemm(sc, nil, 0, pk, b, c, ldc, ep, rowLo, rowHi, panelLo, panelHi)
}

func (isa *ISA) gemm(sc *Scratch, a []float32, lda int, pk APacker, b *PackedB, c []float32, ldc int, ep *Epilogue, rowLo, rowHi, panelLo, panelHi int) {
	K, N, NR := b.K, b.N, isa.NR
	// Read A in place (as MLAS does) whenever the ISA can: even a row stride
	// that is a multiple of 4 KiB (six rows in the same L1 sets) measured
	// faster in place than packed on AVX-512 and AVX2, since each row's line
	// serves 16 steps of k before the next is needed.
	inPlace := pk == nil && isa.tileU != nil
	lastCol := min(panelHi*NR, N) - 1
	_ = c[(rowHi-1)*ldc+lastCol]
	if ep != nil && ep.Residual != nil {
		_ = ep.Residual[(rowHi-1)*ep.LDR+lastCol]
	}
	if ep != nil && ep.Bias != nil {
		_ = ep.Bias[lastCol]
	}
	// The micro-kernel is called through a func value, so what it reads must
	// not live on this stack frame (it would escape: one allocation per
	// call); the epilogue is copied for the same reason.
	t := &sc.loop
	*t = tileLoop{isa: isa, sc: sc, bv: *b, c: c, ldc: ldc}
	t.b = &t.bv
	if ep != nil {
		t.epv, t.ep = *ep, &t.epv
		t.clamp, t.lo, t.hi = ep.Act.clamp()
	}
	*t.args() = gemmArgs{}
	packed := sc.packed[:] // A block, MR-interleaved: sequential loads in the kernel
	// Loop order: a K block of KC outermost, then blocks of MC rows of A
	// (packed once per K block when the ISA cannot read A in place, so in
	// L2), then every B panel of the range (its KC×NR block in L1 while the
	// row block's tiles pass over it), then tiles; C is accumulated across
	// K blocks. Callers split rows and panels among threads.
	for k0 := 0; k0 < K || k0 == 0; k0 += KC {
		kc := min(KC, K-k0)
		for ib := rowLo; ib < rowHi; ib += MC {
			ie := min(ib+MC, rowHi)
			switch {
			case kc == 0, inPlace:
			case pk != nil:
				pk.PackA(packed, ib, ie, k0, kc, isa.MR)
			default:
				packA(packed, a, lda, ib, ie, k0, kc, isa.MR)
			}
			for j := panelLo; j < panelHi; j++ {
				for i := ib; i < ie; i += isa.MR {
					var ap *float32
					switch {
					case K == 0:
					case inPlace:
						ap = &a[i*lda+k0]
					default:
						ap = &packed[(i-ib)*kc]
					}
					t.tile(ap, lda, inPlace, i, min(isa.MR, ie-i), j, k0, kc)
				}
			}
		}
	}
}

// tileLoop is what every tile of one Gemm call shares.
type tileLoop struct {
	isa    *ISA
	sc     *Scratch
	b      *PackedB // &bv
	bv     PackedB
	c      []float32
	ldc    int
	ep     *Epilogue // &epv, or nil
	epv    Epilogue
	clamp  bool
	lo, hi float32
}

func (t *tileLoop) args() *gemmArgs { return &t.sc.args }

// tile runs the micro-kernel on rows [i, i+rows) of C and panel j for the K
// block [k0, k0+kc), A's first step at ap (in place with row stride lda, or
// packed), with the output step when this is the last K block.
func (t *tileLoop) tile(ap *float32, lda int, inPlace bool, i, rows, j, k0, kc int) {
	isa, b, c, ldc, ep := t.isa, t.b, t.c, t.ldc, t.ep
	NR, K := isa.NR, b.K
	j0 := j * NR
	cols := min(NR, b.N-j0)
	last := k0+KC >= K
	full := (cols == NR || isa.masked) && (rows == isa.MR || !isa.fullRowsOnly)
	scratch := t.sc.tile[:]
	args := t.args()
	args.K = kc
	args.A = ap
	if ap != nil {
		args.B = &b.Data[j*K*NR+k0*NR]
	} else {
		args.B = nil
	}
	args.LDA = lda * 4
	args.Mask = uint64(1)<<cols - 1
	args.Flags = 0
	if k0 > 0 {
		args.Flags |= flagAccumulate
	}
	if full {
		args.C, args.LDC = &c[i*ldc+j0], ldc*4
	} else {
		// Partial panel on an unmasked ISA: the full tile goes to scratch,
		// then the valid columns are copied out.
		args.C, args.LDC = &scratch[0], NR*4
		if k0 > 0 {
			for r := 0; r < rows; r++ {
				copy(scratch[r*NR:r*NR+cols], c[(i+r)*ldc+j0:(i+r)*ldc+j0+cols])
			}
		}
	}
	if last && full && ep != nil && !isa.goEpilogue {
		if ep.Bias != nil {
			args.Flags |= flagBias
			args.Bias = &ep.Bias[j0]
		}
		if ep.Residual != nil {
			args.Flags |= flagResidual
			args.R, args.LDR = &ep.Residual[i*ep.LDR+j0], ep.LDR*4
		}
		if t.clamp {
			args.Flags |= flagClamp
			args.Min, args.Max = t.lo, t.hi
		}
	}
	if inPlace {
		isa.tileU(args, rows)
	} else {
		isa.tile(args, rows)
	}
	args.Bias, args.R = nil, nil
	if !full || (last && ep != nil && isa.goEpilogue) {
		for r := 0; r < rows; r++ {
			row := c[(i+r)*ldc+j0 : (i+r)*ldc+j0+cols]
			if !full {
				copy(row, scratch[r*NR:r*NR+cols])
			}
			if last && ep != nil {
				if ep.Bias != nil {
					addTo(row, ep.Bias[j0:j0+cols])
				}
				if ep.Residual != nil {
					addTo(row, ep.Residual[(i+r)*ep.LDR+j0:(i+r)*ep.LDR+j0+cols])
				}
				if t.clamp {
					clampTo(row, t.lo, t.hi)
				}
			}
		}
	}
	if last && ep != nil && ep.Act.post() {
		for r := 0; r < rows; r++ {
			isa.ApplyAct(ep.Act, c[(i+r)*ldc+j0:(i+r)*ldc+j0+cols])
		}
	}
}

// packA copies rows [ib, ie) × columns [k0, k0+kc) of A into dst as
// tiles of MR rows, each kc steps of MR floats (rows past ie are left as
// they are: the kernels never store them).
func packA(dst, a []float32, lda, ib, ie, k0, kc, MR int) {
	for i := ib; i < ie; i += MR {
		rows := min(MR, ie-i)
		tile := dst[(i-ib)*kc : (i-ib)*kc+kc*MR]
		for r := 0; r < rows; r++ {
			src := a[(i+r)*lda+k0 : (i+r)*lda+k0+kc]
			for k, v := range src {
				tile[k*MR+r] = v
			}
		}
	}
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func clampTo(dst []float32, lo, hi float32) {
	for i, v := range dst {
		if v < lo {
			dst[i] = lo
		} else if v > hi {
			dst[i] = hi
		}
	}
}

// genericTile is the portable micro-kernel: the same contract as the
// assembly, register-blocked 4 rows at a time over up to 8 columns.
func genericTile(p *gemmArgs, rows int) {
	cols := bits.Len64(p.Mask)
	var acc [4][8]float32
	if p.K > 0 {
		a := unsafe.Slice(p.A, p.K*4) // packed, MR = 4
		b := unsafe.Slice(p.B, p.K*8)
		for r := 0; r < rows; r++ {
			s0, s1, s2, s3, s4, s5, s6, s7 := acc[r][0], acc[r][1], acc[r][2], acc[r][3], acc[r][4], acc[r][5], acc[r][6], acc[r][7]
			for k := 0; k < p.K; k++ {
				av := a[k*4+r]
				bk := b[k*8 : k*8+8 : k*8+8]
				s0 += av * bk[0]
				s1 += av * bk[1]
				s2 += av * bk[2]
				s3 += av * bk[3]
				s4 += av * bk[4]
				s5 += av * bk[5]
				s6 += av * bk[6]
				s7 += av * bk[7]
			}
			acc[r] = [8]float32{s0, s1, s2, s3, s4, s5, s6, s7}
		}
	}
	ldc := p.LDC / 4
	c := unsafe.Slice(p.C, (rows-1)*ldc+cols)
	for r := 0; r < rows; r++ {
		row := c[r*ldc : r*ldc+cols]
		for j := range row {
			v := acc[r][j]
			if p.Flags&flagAccumulate != 0 {
				v += row[j]
			}
			row[j] = v
		}
		if p.Flags&flagBias != 0 {
			addTo(row, unsafe.Slice(p.Bias, cols))
		}
		if p.Flags&flagResidual != 0 {
			addTo(row, unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(p.R), r*p.LDR)), cols))
		}
		if p.Flags&flagClamp != 0 {
			clampTo(row, p.Min, p.Max)
		}
	}
}
