package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// paths returns every ISA this machine runs, logging the ones it skips.
func paths(t testing.TB) []*ISA {
	have := Available()
	for _, name := range Known() {
		found := false
		for _, isa := range have {
			found = found || isa.Name == name
		}
		if !found {
			t.Logf("kernel path %s: skipped, not supported by this CPU or build", name)
		}
	}
	return have
}

func TestGemmArgsLayout(t *testing.T) {
	var p gemmArgs
	// The offsets the generator in _asm/gemm.go addresses.
	require.Equal(t, []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 92},
		[]uintptr{unsafe.Offsetof(p.A), unsafe.Offsetof(p.LDA), unsafe.Offsetof(p.B), unsafe.Offsetof(p.C),
			unsafe.Offsetof(p.LDC), unsafe.Offsetof(p.K), unsafe.Offsetof(p.Flags), unsafe.Offsetof(p.Bias),
			unsafe.Offsetof(p.R), unsafe.Offsetof(p.LDR), unsafe.Offsetof(p.Mask), unsafe.Offsetof(p.Min), unsafe.Offsetof(p.Max)})
	require.Equal(t, uintptr(96), unsafe.Sizeof(p))
}

func TestDwArgsLayout(t *testing.T) {
	var p dwArgs
	// The offsets the generator in _asm/depthwise.go addresses.
	require.Equal(t, []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 92, 96},
		[]uintptr{unsafe.Offsetof(p.Out), unsafe.Offsetof(p.In), unsafe.Offsetof(p.Offs), unsafe.Offsetof(p.Pixels),
			unsafe.Offsetof(p.Taps), unsafe.Offsetof(p.W), unsafe.Offsetof(p.C), unsafe.Offsetof(p.Bias),
			unsafe.Offsetof(p.Zero), unsafe.Offsetof(p.OutStride), unsafe.Offsetof(p.Flags), unsafe.Offsetof(p.Min),
			unsafe.Offsetof(p.Max), unsafe.Offsetof(p.WStride)})
	require.Equal(t, uintptr(104), unsafe.Sizeof(p))
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// refAct is the activation written out independently of Activation.Apply.
func refAct(a Activation, x float64) float64 {
	switch a.Kind {
	case ActRelu:
		return math.Max(0, x)
	case ActClip:
		return math.Min(float64(a.B), math.Max(float64(a.A), x))
	case ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case ActSilu:
		return x / (1 + math.Exp(-x))
	case ActGelu:
		return x * 0.5 * math.Erfc(-x/math.Sqrt2)
	case ActHardSwish:
		return x * math.Min(math.Max(x+3, 0), 6) / 6
	case ActExpNeg:
		return math.Exp(x)
	}
	return x
}

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// M, N, K: lda 1024 (six rows in the same L1 sets), tails of rows,
	// panels and K blocks, and halves of 15 and 25 rows (several tiles and a
	// partial one per call).
	shapes := [][3]int{{7, 40, 1021}, {1, 1, 1}, {6, 32, 8}, {7, 33, 5}, {13, 17, 300}, {5, 70, 513}, {1, 100, 3}, {12, 64, 256}, {3, 5, 0},
		{30, 40, 300}, {50, 70, 130}}
	acts := []Activation{{}, {Kind: ActRelu}, {Kind: ActClip, A: 0, B: 6}, {Kind: ActSigmoid}, {Kind: ActSilu}, {Kind: ActGelu}, {Kind: ActHardSwish}}
	for _, isa := range paths(t) {
		for _, s := range shapes {
			for ai, act := range acts {
				for _, withBias := range []bool{false, true} {
					for _, withRes := range []bool{false, true} {
						M, N, K := s[0], s[1], s[2]
						t.Run(fmt.Sprintf("%s/%dx%dx%d/act%d/bias=%v/res=%v", isa.Name, M, N, K, ai, withBias, withRes), func(t *testing.T) {
							lda, ldc := K+3, N+2
							a := randSlice(r, M*lda)
							b := randSlice(r, K*N)
							c := randSlice(r, M*ldc) // garbage the kernel must overwrite
							ep := &Epilogue{Act: act}
							if withBias {
								ep.Bias = randSlice(r, N)
							}
							if withRes {
								ep.LDR = N + 1
								ep.Residual = randSlice(r, M*ep.LDR)
							}
							pb := isa.PackB(K, N, func(k, n int) float32 { return b[k*N+n] })
							// Two calls splitting rows and panels, as threads do.
							mid := M / 2
							isa.Gemm(new(Scratch), a, lda, pb, c, ldc, ep, 0, mid, 0, pb.Panels())
							isa.Gemm(new(Scratch), a, lda, pb, c, ldc, ep, mid, M, 0, pb.Panels())
							for i := 0; i < M; i++ {
								for j := 0; j < N; j++ {
									var want float64
									for k := 0; k < K; k++ {
										want += float64(a[i*lda+k]) * float64(b[k*N+j])
									}
									if withBias {
										want += float64(ep.Bias[j])
									}
									if withRes {
										want += float64(ep.Residual[i*ep.LDR+j])
									}
									want = refAct(act, want)
									got := float64(c[i*ldc+j])
									// K float32 products summed in float32: error ≤ K·2^-24·Σ|a·b| (≤ K).
									tol := 1e-6 + float64(K+2)*6e-8*2
									require.InDelta(t, want, got, tol, "C[%d][%d]", i, j)
								}
							}
						})
					}
				}
			}
		}
	}
}

func TestDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, isa := range paths(t) {
		for _, C := range []int{1, 7, 8, 16, 24, 37, 64, 96, 130, 1000} { // 1000: weights past dwWeightBytes, channels in slices
			for _, act := range []Activation{{}, {Kind: ActClip, A: 0, B: 6}, {Kind: ActSigmoid}} {
				t.Run(fmt.Sprintf("%s/C%d/%d", isa.Name, C, act.Kind), func(t *testing.T) {
					// 3×3 stride 2 pad 1 over a 5×5 image, NHWC.
					H, W, k, s := 5, 5, 3, 2
					OH, OW := 3, 3
					in := randSlice(r, H*W*C)
					w := randSlice(r, k*k*C)
					bias := randSlice(r, C)
					zero := make([]float32, C)
					offs := make([]int64, OH*OW*k*k)
					for oy := 0; oy < OH; oy++ {
						for ox := 0; ox < OW; ox++ {
							for ky := 0; ky < k; ky++ {
								for kx := 0; kx < k; kx++ {
									iy, ix := oy*s-1+ky, ox*s-1+kx
									o := int64(-1)
									if iy >= 0 && iy < H && ix >= 0 && ix < W {
										o = int64((iy*W + ix) * C * 4)
									}
									offs[(oy*OW+ox)*k*k+ky*k+kx] = o
								}
							}
						}
					}
					out := make([]float32, OH*OW*C)
					isa.Depthwise(new(Scratch), out, C, in, offs, k*k, w, C, bias, zero, act, 0, 4)
					isa.Depthwise(new(Scratch), out, C, in, offs, k*k, w, C, bias, zero, act, 4, OH*OW)
					for p := 0; p < OH*OW; p++ {
						for c := 0; c < C; c++ {
							want := float64(bias[c])
							for tp := 0; tp < k*k; tp++ {
								if o := offs[p*k*k+tp]; o >= 0 {
									want += float64(in[int(o/4)+c]) * float64(w[tp*C+c])
								}
							}
							want = refAct(act, want)
							require.InDelta(t, want, float64(out[p*C+c]), 2e-6, "pixel %d channel %d", p, c)
						}
					}
				})
			}
		}
	}
}

func TestForcedPath(t *testing.T) {
	isa, err := choose("generic")
	require.NoError(t, err)
	require.Equal(t, "generic", isa.Name)
	_, err = choose("sparc")
	require.ErrorContains(t, err, EnvVar)
	best, err := choose("")
	require.NoError(t, err)
	require.Equal(t, Available()[0], best)
	if forced := os.Getenv(EnvVar); forced == "" {
		require.Equal(t, Available()[0], Default, "Default is the best path when nothing is forced")
	}
}

// gemmBenchShapes are M, K, N: squares, then BERT-base's matmuls at 128
// tokens (QKV and output, FFN in, FFN out) and an MLP's GEMV.
var gemmBenchShapes = [][3]int{{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
	{128, 768, 768}, {128, 768, 3072}, {128, 3072, 768}, {1, 784, 256}, {8, 784, 256}}

// BenchmarkGemm reports single-thread GFLOP/s of the micro-kernels on
// square problems (A unpacked, B packed once outside the loop).
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, isa := range paths(b) {
		for _, s := range gemmBenchShapes {
			m, k, n := s[0], s[1], s[2]
			name := fmt.Sprintf("%s/%d", isa.Name, m)
			if m != k || k != n {
				name = fmt.Sprintf("%s/%dx%dx%d", isa.Name, m, k, n)
			}
			b.Run(name, func(b *testing.B) {
				a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
				pb := isa.PackB(k, n, func(kk, j int) float32 { return bm[kk*n+j] })
				sc := new(Scratch)
				b.ResetTimer()
				for b.Loop() {
					isa.Gemm(sc, a, k, pb, c, n, nil, 0, m, 0, pb.Panels())
				}
				b.ReportMetric(2*float64(m)*float64(k)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestVectorActivations compares each path's activations with float64
// math over a sweep, NaN and infinities included.
func TestVectorActivations(t *testing.T) {
	var xs []float32
	for x := -30.0; x <= 30; x += 0.0137 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 100, -100, 1e-30, -1e-30, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	for _, isa := range paths(t) {
		for _, act := range []Activation{{Kind: ActGelu}, {Kind: ActSigmoid}, {Kind: ActExpNeg}} {
			got := append([]float32(nil), xs...)
			isa.ApplyAct(act, got)
			for i, x := range xs {
				if act.Kind == ActExpNeg && (x > 0 || x < -87) {
					continue // outside its domain
				}
				want := refAct(act, float64(x))
				if math.IsNaN(want) {
					require.True(t, math.IsNaN(float64(got[i])), "%s kind %d x=%v: got %v, want NaN", isa.Name, act.Kind, x, got[i])
					continue
				}
				if math.IsInf(want, 0) {
					require.Equal(t, want, float64(got[i]), "%s kind %d x=%v", isa.Name, act.Kind, x)
					continue
				}
				// Within 1e-6 absolute plus 4 float32 ulps relative of the exact value.
				require.InDelta(t, want, float64(got[i]), 1e-6+4*6e-8*math.Abs(want), "%s kind %d x=%v", isa.Name, act.Kind, x)
			}
		}
	}
}

// slicePacker produces A from a stored matrix, element by element (an
// independent packing of the layout APacker documents).
type slicePacker struct {
	a   []float32
	lda int
}

func (p slicePacker) PackA(dst []float32, i0, i1, k0, kc, mr int) {
	for i := i0; i < i1; i++ {
		tile := (i - i0) / mr * mr
		for k := 0; k < kc; k++ {
			dst[tile*kc+k*mr+(i-i0-tile)] = p.a[i*p.lda+k0+k]
		}
	}
}

// TestGemmPacked: GemmPacked with A produced by an APacker gives what Gemm
// gives on the stored A, bit for bit (same kernels, same order).
func TestGemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, isa := range paths(t) {
		M, N, K := 23, 45, 300
		a, b := randSlice(r, M*K), randSlice(r, K*N)
		pb := isa.PackB(K, N, func(k, n int) float32 { return b[k*N+n] })
		want, got := make([]float32, M*N), make([]float32, M*N)
		ep := &Epilogue{Bias: randSlice(r, N), Act: Activation{Kind: ActRelu}}
		isa.Gemm(new(Scratch), a, K, pb, want, N, ep, 0, M, 0, pb.Panels())
		isa.GemmPacked(new(Scratch), slicePacker{a, K}, pb, got, N, ep, 0, M, 0, pb.Panels())
		require.Equal(t, want, got, isa.Name)
	}
}
