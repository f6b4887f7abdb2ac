// Package cpu is backplane's fast native CPU backend: pure Go plus Go
// assembly, no cgo, registered as "cpu".
//
// Prepare checks the artifact; the first Run with a new input-shape
// signature compiles a plan for it: constants folded, batch_norm folded into
// the convolution or matmul before it, convolution and matmul fused with
// their bias, residual add and activation, weights packed once into the
// kernels' panel layout, convolutions run in NHWC (reorders only at the
// edges of a run of layout-aware ops), and every intermediate value placed
// in one arena whose offsets come from value liveness. A steady-state Run
// allocates nothing but its outputs when every op of the model has a native
// kernel; ops without one run through the reference backend's kernels
// (exact, but they allocate).
//
// The kernels (package internal/kernels) pick AVX-512, AVX2+FMA or portable
// Go once at start; BACKPLANE_CPU_KERNELS forces one. Work is split by output
// tiles over a persistent worker pool of Options.Threads goroutines.
package cpu

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Name is the name the backend registers under.
const Name = "cpu"

func init() { bpruntime.Register(New(Options{})) }

// Options configures a Backend.
type Options struct {
	// Threads is the number of threads a Run uses (the caller's goroutine
	// plus Threads-1 persistent workers per prepared model); 0 means
	// GOMAXPROCS.
	Threads int
	// Kernels forces a kernel path ("avx512", "avx2", "generic"); "" uses
	// BACKPLANE_CPU_KERNELS or the best this CPU has.
	Kernels string
}

// Backend is the CPU backend.
type Backend struct {
	opts Options
	isa  *kernels.ISA
	err  error // why the forced kernel path cannot be used
}

// New returns a CPU backend with the given options.
func New(o Options) *Backend {
	b := &Backend{opts: o, isa: kernels.Default, err: kernels.DefaultErr}
	if o.Kernels != "" {
		b.isa, b.err = kernels.ByName(o.Kernels)
	}
	return b
}

// Name returns "cpu".
func (b *Backend) Name() string { return Name }

// Kernels returns the name of the kernel path the backend uses.
func (b *Backend) Kernels() string {
	if b.isa == nil {
		return ""
	}
	return b.isa.Name
}

// Detail says which kernel path runs and how many threads a run uses by
// default, for `backplane backends`.
func (b *Backend) Detail() string {
	if b.isa == nil {
		return ""
	}
	return fmt.Sprintf("kernels %s (%s forces one), %d threads per run by default", b.isa.Name, kernels.EnvVar, b.threads(context.Background()))
}

// Available is nil unless a forced kernel path does not exist here.
func (b *Backend) Available() error { return b.err }

// threads is Options.Threads, else the runtime's WithThreads, else GOMAXPROCS.
func (b *Backend) threads(ctx context.Context) int {
	if b.opts.Threads > 0 {
		return b.opts.Threads
	}
	if n := bpruntime.SettingsFrom(ctx).Threads; n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Prepare validates the artifact against the backend and sets up its worker
// pool; plans are compiled per input signature on first use.
func (b *Backend) Prepare(ctx context.Context, a *bpruntime.Artifact) (bpruntime.Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, &bpruntime.Error{Kind: bpruntime.ErrBackend, Model: a.Name, Backend: Name,
			Mode: bpruntime.ModeUnavailable, Err: b.err}
	}
	if err := b.Supports(a); err != nil {
		return nil, err
	}
	order, err := a.Plan()
	if err != nil {
		return nil, err
	}
	p := &prepared{a: a, order: order.Order, isa: b.isa, threads: b.threads(ctx)}
	p.pool = newWorkerPool(p.threads)
	p.compileStatic(order)
	return p, nil
}

// prepareMaxValueBytes bounds the values of a model whose plan Prepare
// compiles: compiling packs weights and sizes the arena outside the
// runtime's memory budget (no request has reserved anything yet), so a
// model with a large value (a hostile 8 GiB Expand, say) is left for its
// first request, which is charged.
const prepareMaxValueBytes = 64 << 20

// compileStatic compiles the plan of a model whose input shapes are all
// known, so the first request does not pay for folding, packing and arena
// planning (ResNet-50: hundreds of milliseconds) and the dispatcher's first
// latency samples are runs, not compiles. An error only means the first
// request compiles (and reports it).
func (p *prepared) compileStatic(order *bpruntime.Plan) {
	if len(p.a.SymbolicDims()) != 0 {
		return
	}
	types := p.a.InputTypes(nil)
	if largest, err := order.LargestValueBytes(types); err != nil || largest > prepareMaxValueBytes {
		return
	}
	zeros := make([]*tensor.Tensor, len(types))
	for i, t := range types {
		z, err := tensor.New(t.DType, t.Shape...)
		if err != nil {
			return
		}
		zeros[i] = z
	}
	_, _ = p.planFor(zeros)
}

// prepared is an artifact ready to run: a worker pool and a cache of plans,
// one per input-shape signature.
type prepared struct {
	a       *bpruntime.Artifact
	order   []int
	isa     *kernels.ISA
	threads int
	pool    *workerPool

	mu     sync.Mutex
	plans  []*plan // most recently used first; at most maxPlans
	stats  bpruntime.CompileStats
	closed bool
}

// maxPlans bounds the compiled plans a model keeps (each holds packed weights
// and an arena).
const maxPlans = 8

// Run finds or compiles the plan for the inputs' shapes and runs it.
func (p *prepared) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pl, err := p.planFor(inputs)
	if err != nil {
		return nil, err
	}
	return pl.run(ctx, inputs)
}

func (p *prepared) planFor(inputs []*tensor.Tensor) (*plan, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, &bpruntime.Error{Kind: bpruntime.ErrBackend, Model: p.a.Name, Backend: Name,
			Mode: bpruntime.ModeRuntime, Err: fmt.Errorf("model is closed")}
	}
	for i, pl := range p.plans {
		if pl.matches(inputs) {
			if i > 0 {
				copy(p.plans[1:i+1], p.plans[:i])
				p.plans[0] = pl
			}
			p.stats.Hits++
			return pl, nil
		}
	}
	start := nowFunc()
	pl, err := compile(p, inputs)
	if err != nil {
		return nil, err
	}
	p.stats.Compiles++
	p.stats.CompileTime += nowFunc().Sub(start)
	if len(p.plans) == maxPlans {
		p.plans = p.plans[:maxPlans-1]
		p.stats.Evictions++
	}
	p.plans = append([]*plan{pl}, p.plans...)
	p.stats.Cached = len(p.plans)
	return pl, nil
}

// CompileStats reports plan compilations per input signature.
func (p *prepared) CompileStats() bpruntime.CompileStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops the worker pool. Runs in flight finish on their own goroutine.
func (p *prepared) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.pool.close()
		p.plans = nil
	}
	return nil
}
