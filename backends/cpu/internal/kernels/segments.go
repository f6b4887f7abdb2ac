package kernels

// Segment is a run of K read in place for one tile: row r of the tile,
// step k, is A[Off + r·LDA + k] for k < K, multiplying rows [K0, K0+K) of B.
// A convolution's taps are segments: for a row of output pixels away from
// the padding, each tap's input pixels are evenly spaced in NHWC memory.
type Segment struct {
	A            []float32
	Off, LDA, K0 int
	K            int
}

// InPlace reports whether the ISA can read A in place (GemmSegments).
func (isa *ISA) InPlace() bool { return isa.tileU != nil }

// GemmSegments computes one tile of rows ≤ MR rows of C (row stride ldc)
// over B panels [panelLo, panelHi): C = Σ_segments A_seg·B[K0:K0+K], then the
// epilogue. Only for ISAs that read A in place.
func (isa *ISA) GemmSegments(sc *Scratch, segs []Segment, rows int, b *PackedB, c []float32, ldc int, ep *Epilogue, panelLo, panelHi int) {
	if rows <= 0 || panelLo >= panelHi || len(segs) == 0 {
		return
	}
	isa.checkGemm("GemmSegments", b, ldc, ep)
	N, NR, K := b.N, isa.NR, b.K
	for _, s := range segs { // bounds, checked once
		nonNegative("GemmSegments", "row stride of a segment", s.LDA)
		if s.K0 < 0 || s.K < 0 || s.K0+s.K > K {
			badArg("GemmSegments", "segment of B's rows [%d, %d) outside its K=%d", s.K0, s.K0+s.K, K)
		}
		_ = s.A[s.Off+(rows-1)*s.LDA+s.K-1]
		_ = b.Data[(panelHi-1)*K*NR+(s.K0+s.K)*NR-1]
	}
	lastCol := min(panelHi*NR, N) - 1
	_ = c[(rows-1)*ldc+lastCol]
	if ep != nil && ep.Residual != nil {
		_ = ep.Residual[(rows-1)*ep.LDR+lastCol]
	}
	if ep != nil && ep.Bias != nil {
		_ = ep.Bias[lastCol]
	}
	args := &sc.args
	*args = gemmArgs{}
	scratch := sc.tile[:]
	clamp, lo, hi := false, float32(0), float32(0)
	if ep != nil {
		clamp, lo, hi = ep.Act.clamp()
	}
	for j := panelLo; j < panelHi; j++ {
		j0 := j * NR
		cols := min(NR, N-j0)
		full := cols == NR || isa.masked
		first := true
		for si, s := range segs {
			for k0 := 0; k0 < s.K; k0 += KC {
				kc := min(KC, s.K-k0)
				last := si == len(segs)-1 && k0+KC >= s.K
				args.K = kc
				args.A = &s.A[s.Off+k0]
				args.LDA = s.LDA * 4
				args.B = &b.Data[j*K*NR+(s.K0+k0)*NR]
				args.Mask = uint64(1)<<cols - 1
				args.Flags = 0
				if !first {
					args.Flags |= flagAccumulate
				}
				first = false
				if full {
					args.C, args.LDC = &c[j0], ldc*4
				} else {
					args.C, args.LDC = &scratch[0], NR*4
				}
				if last && full && ep != nil {
					if ep.Bias != nil {
						args.Flags |= flagBias
						args.Bias = &ep.Bias[j0]
					}
					if ep.Residual != nil {
						args.Flags |= flagResidual
						args.R, args.LDR = &ep.Residual[j0], ep.LDR*4
					}
					if clamp {
						args.Flags |= flagClamp
						args.Min, args.Max = lo, hi
					}
				}
				isa.tileU(args, rows)
				args.Bias, args.R = nil, nil
			}
		}
		if !full {
			for r := 0; r < rows; r++ {
				row := c[r*ldc+j0 : r*ldc+j0+cols]
				copy(row, scratch[r*NR:r*NR+cols])
				if ep != nil {
					if ep.Bias != nil {
						addTo(row, ep.Bias[j0:j0+cols])
					}
					if ep.Residual != nil {
						addTo(row, ep.Residual[r*ep.LDR+j0:r*ep.LDR+j0+cols])
					}
					if clamp {
						clampTo(row, lo, hi)
					}
				}
			}
		}
		if ep != nil && ep.Act.post() {
			for r := 0; r < rows; r++ {
				isa.ApplyAct(ep.Act, c[r*ldc+j0:r*ldc+j0+cols])
			}
		}
	}
}
