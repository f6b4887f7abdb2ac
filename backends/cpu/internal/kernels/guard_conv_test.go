//go:build linux

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// im2colGemm computes rows×N outputs with the generic kernel from A given
// element by element (a convolution's im2col), B K×N row-major.
func im2colGemm(rows, K, N int, at func(i, k int) float32, bm []float32, ldc int, ep *Epilogue) []float32 {
	a := make([]float32, rows*K)
	for i := 0; i < rows; i++ {
		for k := 0; k < K; k++ {
			a[i*K+k] = at(i, k)
		}
	}
	if K == 0 {
		return gemmRef(a, 0, rows, N, 0, bm, ldc, ep)
	}
	return gemmRef(a, K, rows, N, K, bm, ldc, ep)
}

// offsetsSpanning returns n byte offsets, multiples of 4 below limit·4,
// one of them 0 and one limit·4 (when n > 1), in random order.
func offsetsSpanning(r *rand.Rand, n, limit int) []int64 {
	o := make([]int64, n)
	for i := range o {
		o[i] = int64(r.IntN(limit+1)) * 4
	}
	o[0] = 0
	if n > 1 {
		o[n-1] = int64(limit) * 4
	}
	r.Shuffle(n, func(i, j int) { o[i], o[j] = o[j], o[i] })
	return o
}

// TestGuardGemmIndirect runs GemmIndirect with the input as long as its
// farthest window needs (one window ends at the input's end, another starts
// at its first element), the row and segment offsets, packed B, C, bias and
// residual all flush against guard pages, over every tile row count, single
// and split calls (segK·segments past IKC) and panel tails; results against
// the generic kernel on the im2col'd A.
func TestGuardGemmIndirect(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	type shape struct{ rows, segs, segK int }
	var shapes []shape
	for _, rows := range []int{1, 2, 3, 5, 6, 7, 13} {
		for _, segs := range []int{1, 2, 3, 9} {
			for _, segK := range []int{1, 3, 8, 17, 600} {
				if segK == 600 && segs > 2 {
					continue
				}
				shapes = append(shapes, shape{rows, segs, segK})
			}
		}
	}
	for _, isa := range paths(t) {
		if !isa.Indirect() {
			t.Logf("kernel path %s: no indirect GEMM", isa.Name)
			continue
		}
		n := 0
		for _, s := range shapes {
			for _, N := range []int{1, 15, 16, 17, 33} {
				n++
				K := s.segs * s.segK
				rowOffs := offsetsSpanning(r, s.rows, 40)
				segOffs := offsetsSpanning(r, s.segs, 25)
				in := randSlice(r, 40+25+s.segK) // the last window ends at the last element
				bm := randSlice(r, K*N)
				ldc := N + n%2
				ep := makeEpilogue(r, n, s.rows, N)
				want := im2colGemm(s.rows, K, N, func(i, k int) float32 {
					return in[(rowOffs[i]+segOffs[k/s.segK])/4+int64(k%s.segK)]
				}, bm, ldc, ep)
				pb := isa.PackB(K, N, func(k, j int) float32 { return bm[k*N+j] })
				for _, start := range placements {
					what := fmt.Sprintf("%s GemmIndirect rows=%d segs=%d segK=%d N=%d %s", isa.Name, s.rows, s.segs, s.segK, N, placeName(start))
					g := newGuard(t, start)
					gb := &PackedB{K: pb.K, N: pb.N, NR: pb.NR, Data: guardCopy(g, pb.Data)}
					c := guardCopy(g, randSlice(r, len(want)))
					gin, grows, gsegs, gep := guardCopy(g, in), guardCopy(g, rowOffs), guardCopy(g, segOffs), guardEpilogue(g, ep)
					if noFault(t, what, func() {
						isa.GemmIndirect(sharedConvScratch, gin, grows, gsegs, s.segK, gb, c, ldc, gep, 0, gb.Panels())
					}) {
						keepGaps(want, c, s.rows, N, ldc)
						closeTo(t, what, want, c, float64(K+2)*2e-7)
					}
					g.free()
				}
			}
		}
		t.Logf("%s: %d GemmIndirect cases, each in both placements", isa.Name, n)
	}
}

// convGeom is a k×k convolution window over an H×W NHWC image with C
// channels, stride s, padding k/2.
type convGeom struct{ H, W, C, k, s int }

func (g convGeom) out() (int, int) { return (g.H+2*(g.k/2)-g.k)/g.s + 1, (g.W+2*(g.k/2)-g.k)/g.s + 1 }

// paddingOffsets are the offsets padding taps get: any negative offset is
// padding, whatever its value (the kernels test the sign).
var paddingOffsets = []int64{-1, -4, math.MinInt64}

// offsets returns the indirection buffer (byte offsets, negative for padding)
// and each pixel's count of taps inside the image.
func (g convGeom) offsets() ([]int64, []int) {
	OH, OW := g.out()
	p := g.k / 2
	offs := make([]int64, OH*OW*g.k*g.k)
	inside := make([]int, OH*OW)
	for oy := 0; oy < OH; oy++ {
		for ox := 0; ox < OW; ox++ {
			for ky := 0; ky < g.k; ky++ {
				for kx := 0; kx < g.k; kx++ {
					iy, ix := oy*g.s-p+ky, ox*g.s-p+kx
					o := paddingOffsets[(oy+ox+ky+kx)%len(paddingOffsets)]
					if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
						o = int64((iy*g.W + ix) * g.C * 4)
						inside[oy*OW+ox]++
					}
					offs[(oy*OW+ox)*g.k*g.k+ky*g.k+kx] = o
				}
			}
		}
	}
	return offs, inside
}

// convGeoms: widths 1–9, a tall map, strides 1 and 2, and channel counts
// around every vector width (a masked or Go tail) plus one past the
// depthwise weight-slicing and pooling call bounds.
func convGeoms(k int, Cs []int) []convGeom {
	var gs []convGeom
	for _, C := range Cs {
		for W := 1; W <= 9; W++ {
			gs = append(gs, convGeom{H: 1 + W%3, W: W, C: C, k: k, s: 1 + W%2})
		}
		gs = append(gs, convGeom{H: 9, W: 2, C: C, k: k, s: 1}, convGeom{H: 9, W: 9, C: C, k: k, s: 2})
	}
	return gs
}

// TestGuardDepthwise runs Depthwise (the indirection kernels) with input,
// output, offsets, weights, bias and zero vector flush against guard pages,
// against the generic kernel.
func TestGuardDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	geoms := append(convGeoms(3, []int{1, 7, 8, 9, 15, 16, 17, 33}), convGeoms(5, []int{3, 24})...)
	geoms = append(geoms, convGeom{H: 3, W: 3, C: 600, k: 3, s: 1}) // weights past dwWeightBytes: channel slices
	acts := []Activation{{}, {Kind: ActClip, A: -0.5, B: 0.5}, {Kind: ActSigmoid}}
	for _, isa := range paths(t) {
		for gi, geo := range geoms {
			offs, _ := geo.offsets()
			OH, OW := geo.out()
			P, taps, C := OH*OW, geo.k*geo.k, geo.C
			in, w, bias := randSlice(r, geo.H*geo.W*C), randSlice(r, taps*C), randSlice(r, C)
			act := acts[gi%len(acts)]
			want := make([]float32, P*C)
			Generic.Depthwise(sharedScratch, want, C, in, offs, taps, w, C, bias, make([]float32, C), act, 0, P)
			for _, start := range placements {
				what := fmt.Sprintf("%s Depthwise %+v %s", isa.Name, geo, placeName(start))
				g := newGuard(t, start)
				out := guardCopy(g, randSlice(r, P*C))
				gin, goffs, gw, gb, gz := guardCopy(g, in), guardCopy(g, offs), guardCopy(g, w), guardCopy(g, bias), guardCopy(g, make([]float32, C))
				mid := P / 2
				if noFault(t, what, func() {
					isa.Depthwise(sharedScratch, out, C, gin, goffs, taps, gw, C, gb, gz, act, 0, mid)
					isa.Depthwise(sharedScratch, out, C, gin, goffs, taps, gw, C, gb, gz, act, mid, P)
				}) {
					closeTo(t, what, want, out, 1e-5)
				}
				g.free()
			}
		}
		t.Logf("%s: %d Depthwise geometries, each in both placements", isa.Name, len(geoms))
	}
}

// TestGuardDepthwiseRow runs the row-depthwise kernels (kw 3, 5, 7;
// strides 1 and 2) with the input exactly as long as the row's last window
// needs and the row stride the least allowed, so the last tap of the last
// pixel ends at the guard page; against the generic kernel over the same
// windows as an indirection buffer.
func TestGuardDepthwiseRow(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	ran := false
	for _, isa := range paths(t) {
		n := 0
		for _, kw := range []int{3, 5, 7} {
			for _, sw := range []int{1, 2} {
				if !isa.HasDepthwiseRow(kw, sw) {
					continue
				}
				ran = true
				for _, pixels := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, DWChunk + 1} {
					for ci, C := range []int{1, 7, 8, 9, 16, 17, 33, dwRowChannels + 9} {
						if pixels > 9 && ci%2 == 0 {
							continue
						}
						n++
						kh := 1 + 2*(n%3)
						inOff := n % 3 * C
						span := (pixels-1)*sw + kw
						rowStride := span*C + n%2
						in := randSlice(r, inOff+(kh-1)*rowStride+span*C)
						w, bias := randSlice(r, kh*kw*C), randSlice(r, C)
						act := guardActs[n%len(guardActs)]
						offs := make([]int64, pixels*kh*kw)
						for ox := 0; ox < pixels; ox++ {
							for ky := 0; ky < kh; ky++ {
								for kx := 0; kx < kw; kx++ {
									offs[(ox*kh+ky)*kw+kx] = int64(inOff+ky*rowStride+(ox*sw+kx)*C) * 4
								}
							}
						}
						want := make([]float32, pixels*C)
						Generic.Depthwise(sharedScratch, want, C, in, offs, kh*kw, w, C, bias, make([]float32, C), act, 0, pixels)
						for _, start := range placements {
							what := fmt.Sprintf("%s DepthwiseRow kw=%d sw=%d kh=%d pixels=%d C=%d %s", isa.Name, kw, sw, kh, pixels, C, placeName(start))
							g := newGuard(t, start)
							out := guardCopy(g, randSlice(r, pixels*C))
							gin, gw, gb := guardCopy(g, in), guardCopy(g, w), guardCopy(g, bias)
							if noFault(t, what, func() {
								isa.DepthwiseRow(out, gin, inOff, rowStride, pixels, kh, kw, sw, gw, C, gb, act)
							}) {
								closeTo(t, what, want, out, 1e-5)
							}
							g.free()
						}
					}
				}
			}
		}
		if n > 0 {
			t.Logf("%s: %d DepthwiseRow cases, each in both placements", isa.Name, n)
		}
	}
	if !ran {
		t.Log("no path here has row-depthwise kernels")
	}
}

// TestGuardStem runs the 3×3×3 stem kernel with the input as long as the
// row's last window needs, against the generic kernel on the im2col'd input.
func TestGuardStem(t *testing.T) {
	r := rand.New(rand.NewPCG(39, 40))
	for _, isa := range paths(t) {
		if !isa.HasStem() {
			t.Logf("kernel path %s: no stem kernel", isa.Name)
			continue
		}
		n := 0
		for _, pixels := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, DWChunk + 1} {
			for _, sw := range []int{1, 2} {
				for _, m := range []int{16, 32, 48} {
					n++
					inOff := n % 4
					span := ((pixels-1)*sw + 3) * 3
					rowStride := span + n%3
					in := randSlice(r, inOff+2*rowStride+span)
					wm := randSlice(r, 27*m) // k = (ky·3+kx)·3+ci, row-major over m
					bias := randSlice(r, m)
					ldo := m + n%2*3
					act := []Activation{{}, {Kind: ActRelu}, {Kind: ActClip, A: -0.2, B: 0.3}}[n%3]
					want := im2colGemm(pixels, 27, m, func(i, k int) float32 {
						ky, kx, ci := k/9, k/3%3, k%3
						return in[inOff+ky*rowStride+(i*sw+kx)*3+ci]
					}, wm, ldo, &Epilogue{Bias: bias, Act: act})
					packed := PackStem(m, func(k, j int) float32 { return wm[k*m+j] })
					for _, start := range placements {
						what := fmt.Sprintf("%s Stem pixels=%d sw=%d m=%d %s", isa.Name, pixels, sw, m, placeName(start))
						g := newGuard(t, start)
						out := guardCopy(g, randSlice(r, len(want)))
						gin, gw, gb := guardCopy(g, in), guardCopy(g, packed), guardCopy(g, bias)
						if noFault(t, what, func() {
							isa.Stem(out, ldo, gin, inOff, rowStride, pixels, sw, gw, m, gb, act)
						}) {
							keepGaps(want, out, pixels, m, ldo)
							closeTo(t, what, want, out, 1e-5)
						}
						g.free()
					}
				}
			}
		}
		t.Logf("%s: %d Stem cases, each in both placements", isa.Name, n)
	}
}

// TestGuardPool runs max and average pooling with input, output, offsets
// and scales flush against guard pages, against the generic kernel.
func TestGuardPool(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	geoms := append(convGeoms(3, []int{1, 7, 8, 9, 15, 16, 17, 33}), convGeom{H: 2, W: 3, C: poolChannels + 9, k: 3, s: 2})
	for _, isa := range paths(t) {
		for _, geo := range geoms {
			for _, avg := range []bool{false, true} {
				offs, inside := geo.offsets()
				OH, OW := geo.out()
				P, taps, C := OH*OW, geo.k*geo.k, geo.C
				in := randSlice(r, geo.H*geo.W*C)
				var scales []float32
				if avg {
					scales = make([]float32, P)
					for p := range scales {
						scales[p] = 1 / float32(inside[p])
					}
				}
				want := make([]float32, P*C)
				Generic.Pool(want, C, in, offs, taps, C, scales, 0, P)
				for _, start := range placements {
					what := fmt.Sprintf("%s Pool avg=%v %+v %s", isa.Name, avg, geo, placeName(start))
					g := newGuard(t, start)
					out := guardCopy(g, randSlice(r, P*C))
					gin, goffs, gs := guardCopy(g, in), guardCopy(g, offs), guardCopy(g, scales)
					if noFault(t, what, func() { isa.Pool(out, C, gin, goffs, taps, C, gs, 0, P) }) {
						closeTo(t, what, want, out, 1e-6)
					}
					g.free()
				}
			}
		}
		t.Logf("%s: %d Pool cases, each in both placements", isa.Name, 2*len(geoms))
	}
}

// TestGuardActivations runs ApplyAct (the vector activations over whole
// vectors, Go over the tail) on every length from 0 to past several
// vectors, the row flush against guard pages, against Activation.Apply.
func TestGuardActivations(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, isa := range paths(t) {
		n := 0
		for kind := ActNone; kind < numActKinds; kind++ {
			act := Activation{Kind: kind, A: -0.5, B: 0.5}
			for length := 0; length <= 49; length++ {
				n++
				x := randSlice(r, length)
				for i := range x {
					x[i] *= 6
					if kind == ActExpNeg {
						x[i] = -abs32(x[i])
					}
				}
				want := append([]float32(nil), x...)
				act.Apply(want)
				for _, start := range placements {
					what := fmt.Sprintf("%s activation %d length %d %s", isa.Name, kind, length, placeName(start))
					g := newGuard(t, start)
					got := guardCopy(g, x)
					if noFault(t, what, func() { isa.ApplyAct(act, got) }) {
						closeTo(t, what, want, got, 1e-6)
					}
					g.free()
				}
			}
		}
		require.Positive(t, n)
		t.Logf("%s: %d activation cases, each in both placements", isa.Name, n)
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
