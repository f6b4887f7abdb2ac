//go:build linux

package kernels

// Guard-page tests: every buffer a kernel reads or writes is placed flush
// against an inaccessible (PROT_NONE) page, once ending right before one and
// once starting right after one, so an assembly kernel that touches a single
// element past either end faults instead of silently reading a neighbour's
// memory. debug.SetPanicOnFault turns the fault into a panic the test
// recovers and reports (TestGuardPagesCatchFaults checks that this works
// for faults inside the assembly on every path).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// guardPages hands out buffers bordered by PROT_NONE pages; free returns
// their mappings to a pool for the next case (mapping and protecting pages
// for every buffer made the tests spend most of their time in system calls).
type guardPages struct {
	t     testing.TB
	start bool // place buffers right after the leading guard page (else right before the trailing one)
	maps  [][]byte
}

// guardPool holds free mappings by their count of data pages: each is a
// guard page, the data pages and a guard page.
var guardPool = map[int][][]byte{}

// placements are the two runs of every case: data ending at a guard page,
// and data starting at one.
var placements = []bool{false, true}

func placeName(start bool) string {
	if start {
		return "flush-start"
	}
	return "flush-end"
}

func newGuard(t testing.TB, start bool) *guardPages { return &guardPages{t: t, start: start} }

func (g *guardPages) free() {
	ps := unix.Getpagesize()
	for _, m := range g.maps {
		pages := len(m)/ps - 2
		guardPool[pages] = append(guardPool[pages], m)
	}
	g.maps = nil
}

// bytes returns n bytes whose first or last byte borders a guard page.
func (g *guardPages) bytes(n int) unsafe.Pointer {
	ps := unix.Getpagesize()
	pages := (n + ps - 1) / ps
	data := pages * ps
	var m []byte
	if free := guardPool[pages]; len(free) > 0 {
		m, guardPool[pages] = free[len(free)-1], free[:len(free)-1]
	} else {
		var err error
		m, err = unix.Mmap(-1, 0, data+2*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		require.NoError(g.t, err)
		require.NoError(g.t, unix.Mprotect(m[:ps], unix.PROT_NONE))
		require.NoError(g.t, unix.Mprotect(m[ps+data:], unix.PROT_NONE))
	}
	g.maps = append(g.maps, m)
	if g.start {
		return unsafe.Pointer(&m[ps])
	}
	return unsafe.Pointer(&m[ps+data-n])
}

// guardCopy returns a copy of src in guarded memory (nil for nil, and an
// empty slice at the guard for an empty one).
func guardCopy[T any](g *guardPages, src []T) []T {
	if src == nil {
		return nil
	}
	var zero T
	s := unsafe.Slice((*T)(g.bytes(len(src)*int(unsafe.Sizeof(zero)))), len(src))
	copy(s, src)
	return s
}

// faultAddr reports whether r, a recovered value, is a memory fault
// (SetPanicOnFault's runtime error, which carries the address).
func faultAddr(r any) (uintptr, bool) {
	if e, ok := r.(interface{ Addr() uintptr }); ok {
		return e.Addr(), true
	}
	return 0, false
}

// catch runs f with faults turned into panics and returns what f panicked
// with, or nil.
func catch(f func()) (r any) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() { r = recover() }()
	f()
	return nil
}

// noFault runs f and fails t, naming the case, if it faults or panics.
func noFault(t testing.TB, what string, f func()) bool {
	t.Helper()
	r := catch(f)
	if r == nil {
		return true
	}
	if addr, ok := faultAddr(r); ok {
		t.Errorf("%s: memory fault at %#x (an access past a buffer's end): %v", what, addr, r)
	} else {
		t.Errorf("%s: panic: %v", what, r)
	}
	return false
}

// closeTo fails t unless got matches want within an absolute tolerance plus
// a relative one (NaN must match NaN).
func closeTo(t testing.TB, what string, want, got []float32, tol float64) bool {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		w, g := float64(want[i]), float64(got[i])
		if math.IsNaN(w) && math.IsNaN(g) || w == g {
			continue
		}
		if !(math.Abs(w-g) <= tol*(1+math.Abs(w))) {
			t.Errorf("%s: element %d: got %v, want %v (generic kernel)", what, i, g, w)
			return false
		}
	}
	return true
}

// TestGuardPagesCatchFaults checks the harness itself: a read one element
// past a guarded buffer, or one before it, faults and is recovered with the
// address, both from Go and from inside each path's GEMM micro-kernel
// (given one K step more than its B panel holds).
func TestGuardPagesCatchFaults(t *testing.T) {
	for _, start := range placements {
		g := newGuard(t, start)
		x := guardCopy(g, make([]float32, 10))
		past := unsafe.Pointer(&x[len(x)-1])
		want := uintptr(past) + 4
		if start {
			past, want = unsafe.Pointer(&x[0]), uintptr(unsafe.Pointer(&x[0]))-4
		}
		var sink float32
		r := catch(func() {
			if start {
				sink = *(*float32)(unsafe.Add(past, -4))
			} else {
				sink = *(*float32)(unsafe.Add(past, 4))
			}
		})
		addr, ok := faultAddr(r)
		require.True(t, ok, "%s: a Go read past the buffer did not fault (got %v, read %v)", placeName(start), r, sink)
		require.Equal(t, want, addr)
		g.free()
	}
	for _, isa := range paths(t) {
		g := newGuard(t, false)
		const K = 5
		a := guardCopy(g, make([]float32, (K+1)*isa.MR))
		b := guardCopy(g, make([]float32, K*isa.NR))
		c := guardCopy(g, make([]float32, isa.MR*isa.NR))
		args := &gemmArgs{A: &a[0], B: &b[0], C: &c[0], LDC: isa.NR * 4, K: K + 1, Mask: 1<<isa.NR - 1}
		r := catch(func() { isa.tile(args, isa.MR) })
		addr, ok := faultAddr(r)
		require.True(t, ok, "%s: the micro-kernel reading past B did not fault (got %v)", isa.Name, r)
		end := uintptr(unsafe.Pointer(&b[len(b)-1])) + 4
		require.True(t, addr >= end && addr < end+uintptr(unix.Getpagesize()), "%s: fault at %#x, B ends at %#x", isa.Name, addr, end)
		g.free()
	}
}

// sharedScratch and sharedConvScratch are the working memory of every
// guard test's kernel calls (tests in this package run one at a time): a
// fresh 74 KB Scratch per call made the race-detector run spend its time in
// the garbage collector.
var (
	sharedScratch     = new(Scratch)
	sharedConvScratch = new(ConvScratch)
)

// gemmRef computes the product with the generic kernel on ordinary memory.
func gemmRef(a []float32, lda, M, N, K int, bm []float32, ldc int, ep *Epilogue) []float32 {
	c := make([]float32, (M-1)*ldc+N)
	pb := Generic.PackB(K, N, func(k, n int) float32 { return bm[k*N+n] })
	Generic.Gemm(sharedScratch, a, lda, pb, c, ldc, ep, 0, M, 0, pb.Panels())
	return c
}

// guardEpilogue copies ep's slices into guarded memory.
func guardEpilogue(g *guardPages, ep *Epilogue) *Epilogue {
	if ep == nil {
		return nil
	}
	return &Epilogue{Bias: guardCopy(g, ep.Bias), Residual: guardCopy(g, ep.Residual), LDR: ep.LDR, Act: ep.Act}
}

// guardActs cycles through the epilogues a case may get: none, the clamps
// the micro-kernels apply, and activations run after them.
var guardActs = []Activation{{}, {Kind: ActRelu}, {Kind: ActClip, A: -0.3, B: 0.4}, {Kind: ActGelu}, {Kind: ActSigmoid}, {Kind: ActHardSwish}}

// makeEpilogue returns case n's epilogue for an M×N output: bias, residual
// (row stride N, flush) and activation vary with n.
func makeEpilogue(r *rand.Rand, n, M, N int) *Epilogue {
	if n%7 == 6 {
		return nil
	}
	ep := &Epilogue{Act: guardActs[n%len(guardActs)]}
	if n%2 == 0 {
		ep.Bias = randSlice(r, N)
	}
	if n%3 != 1 {
		ep.LDR = N + n%2
		ep.Residual = randSlice(r, (M-1)*ep.LDR+N)
	}
	return ep
}

// TestGuardGemm runs Gemm on every path over shapes crossing every tile
// tail (M around MR = 4 and 6, N around NR = 8, 16 and 32, K around KC),
// with A (row stride K, or one not a multiple of it), packed B, C, bias and
// residual flush against guard pages, and compares C with the generic kernel.
func TestGuardGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	Ms := []int{1, 2, 3, 4, 5, 6, 7, 12, 13}
	Ns := []int{1, 7, 8, 15, 16, 17, 31, 32, 33, 65}
	Ks := []int{0, 1, 3, 7, 16, 129}
	for _, isa := range paths(t) {
		t.Run(isa.Name, func(t *testing.T) {
			n := 0
			for _, M := range Ms {
				for _, N := range Ns {
					for _, K := range Ks {
						n++
						lda, ldc := K, N
						if n%4 == 3 {
							lda, ldc = K+3, N+1
						}
						if n%13 == 5 && K > 0 && M <= 3 {
							lda = 1024 // packed A where the ISA packs strides of 4 KiB
						}
						a := randSlice(r, (M-1)*lda+K)
						bm := randSlice(r, K*N)
						ep := makeEpilogue(r, n, M, N)
						want := gemmRef(a, lda, M, N, K, bm, ldc, ep)
						pb := isa.PackB(K, N, func(k, j int) float32 { return bm[k*N+j] })
						for _, start := range placements {
							what := fmt.Sprintf("%s M=%d N=%d K=%d lda=%d ldc=%d %s", isa.Name, M, N, K, lda, ldc, placeName(start))
							g := newGuard(t, start)
							ga, gep := guardCopy(g, a), guardEpilogue(g, ep)
							gb := &PackedB{K: pb.K, N: pb.N, NR: pb.NR, Data: guardCopy(g, pb.Data)}
							c := guardCopy(g, randSlice(r, len(want))) // garbage the kernel must overwrite
							// Two calls splitting rows, as threads do.
							ok := noFault(t, what, func() {
								isa.Gemm(sharedScratch, ga, lda, gb, c, ldc, gep, 0, M/2, 0, gb.Panels())
								isa.Gemm(sharedScratch, ga, lda, gb, c, ldc, gep, M/2, M, 0, gb.Panels())
							})
							if ok {
								keepGaps(want, c, M, N, ldc)
								closeTo(t, what, want, c, float64(K+2)*2e-7)
							}
							g.free()
						}
					}
				}
			}
			t.Logf("%s: %d Gemm shapes, each in both placements", isa.Name, n)
		})
	}
}

// keepGaps copies into want the elements of c between rows' N columns
// (ldc > N), which no kernel writes.
func keepGaps(want, c []float32, M, N, ldc int) {
	for i := 0; i < M-1; i++ {
		copy(want[i*ldc+N:(i+1)*ldc], c[i*ldc+N:(i+1)*ldc])
	}
}

// TestGuardGemmPacked runs GemmPacked (A produced by an APacker from a
// guarded matrix) over tile tails, against the generic kernel.
func TestGuardGemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, isa := range paths(t) {
		for _, s := range [][3]int{{1, 1, 1}, {5, 17, 9}, {7, 33, 130}, {13, 31, 3}} {
			M, N, K := s[0], s[1], s[2]
			a, bm := randSlice(r, M*K), randSlice(r, K*N)
			ep := makeEpilogue(r, M+N, M, N)
			want := gemmRef(a, K, M, N, K, bm, N, ep)
			pb := isa.PackB(K, N, func(k, j int) float32 { return bm[k*N+j] })
			for _, start := range placements {
				what := fmt.Sprintf("%s GemmPacked %dx%dx%d %s", isa.Name, M, N, K, placeName(start))
				g := newGuard(t, start)
				gb := &PackedB{K: pb.K, N: pb.N, NR: pb.NR, Data: guardCopy(g, pb.Data)}
				c := guardCopy(g, make([]float32, M*N))
				if noFault(t, what, func() {
					isa.GemmPacked(sharedScratch, slicePacker{guardCopy(g, a), K}, gb, c, N, guardEpilogue(g, ep), 0, M, 0, gb.Panels())
				}) {
					closeTo(t, what, want, c, float64(K+2)*2e-7)
				}
				g.free()
			}
		}
	}
}

// TestGuardMicroKernels calls each path's micro-kernels directly with
// buffers exactly as large as their contract says: packed A of K steps of
// MR floats (or, in place, rows·lda floats ending at the last row's K-th),
// a B panel of K·NR floats, and C, bias and residual ending at the last
// valid column (masked ISAs) or the panel's last (unmasked), for every row
// count, K from 1 to past a vector, and every column count.
func TestGuardMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, isa := range paths(t) {
		n := 0
		for rows := 1; rows <= isa.MR; rows++ {
			if isa.fullRowsOnly && rows != isa.MR {
				continue
			}
			Ks := []int{1, 3, 5, 17, KC}
			if !isa.masked { // few column counts: every K remainder of an unrolled loop
				Ks = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, KC - 1, KC}
			}
			for _, K := range Ks {
				for cols := 1; cols <= isa.NR; cols++ {
					if !isa.masked && cols != isa.NR {
						continue
					}
					for _, inPlace := range []bool{false, true} {
						if inPlace && isa.tileU == nil {
							continue
						}
						n++
						checkMicroKernel(t, r, isa, rows, K, cols, inPlace, n)
					}
				}
			}
		}
		t.Logf("%s: %d micro-kernel cases, each in both placements", isa.Name, n)
	}
}

func checkMicroKernel(t *testing.T, r *rand.Rand, isa *ISA, rows, K, cols int, inPlace bool, n int) {
	MR, NR := isa.MR, isa.NR
	ldc, lda := cols+n%3, K+n%2
	am := randSlice(r, (rows-1)*lda+K) // A row-major, row stride lda
	packedA := make([]float32, K*MR)
	for i := 0; i < rows; i++ {
		for k := 0; k < K; k++ {
			packedA[k*MR+i] = am[i*lda+k]
		}
	}
	bm := randSlice(r, K*NR) // the panel: K rows of NR
	bias := randSlice(r, cols)
	res := randSlice(r, (rows-1)*ldc+cols)
	c0 := randSlice(r, (rows-1)*ldc+cols)
	flags := flagAccumulate * (n % 2)
	if !isa.goEpilogue {
		flags |= flagBias*(n/2%2) | flagResidual*(n/4%2) | flagClamp*(n/8%2)
	}
	// The expected tile, written out in float64.
	want := append([]float32(nil), c0...)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var s float64
			for k := 0; k < K; k++ {
				s += float64(am[i*lda+k]) * float64(bm[k*NR+j])
			}
			if flags&flagAccumulate != 0 {
				s += float64(c0[i*ldc+j])
			}
			if flags&flagBias != 0 {
				s += float64(bias[j])
			}
			if flags&flagResidual != 0 {
				s += float64(res[i*ldc+j])
			}
			if flags&flagClamp != 0 {
				s = math.Min(0.5, math.Max(-0.5, s))
			}
			want[i*ldc+j] = float32(s)
		}
	}
	for _, start := range placements {
		what := fmt.Sprintf("%s micro-kernel rows=%d K=%d cols=%d inPlace=%v flags=%d %s", isa.Name, rows, K, cols, inPlace, flags, placeName(start))
		g := newGuard(t, start)
		args := &gemmArgs{K: K, Flags: flags, LDC: ldc * 4, LDR: ldc * 4, LDA: lda * 4, Mask: 1<<cols - 1, Min: -0.5, Max: 0.5}
		if inPlace {
			args.A = &guardCopy(g, am)[0]
		} else {
			args.A = &guardCopy(g, packedA)[0]
		}
		args.B = &guardCopy(g, bm)[0]
		args.Bias = &guardCopy(g, bias)[0]
		args.R = &guardCopy(g, res)[0]
		c := guardCopy(g, c0)
		args.C = &c[0]
		if noFault(t, what, func() {
			if inPlace {
				isa.tileU(args, rows)
			} else {
				isa.tile(args, rows)
			}
		}) {
			closeTo(t, what, want, c, float64(K+2)*2e-7)
		}
		g.free()
	}
}
