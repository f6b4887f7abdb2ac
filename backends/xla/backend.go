// Package xla runs backplane artifacts through GoMLX
// (github.com/gomlx/gomlx): each artifact is lowered once per input-shape
// signature to a GoMLX computation graph, compiled, cached and executed.
//
// One lowering serves two engines, registered as two backends:
//
//   - "xla": GoMLX's XLA engine on a PJRT plugin (CPU, or CUDA where present).
//     It needs a plugin file on this machine and a cgo build; Available says
//     what is missing and how to install it, without using the network.
//   - "gomlx": GoMLX's portable pure-Go engine. Always available.
//
// Importing the package registers both. Supports names the first op or dtype
// an engine cannot run (float16 on the pure-Go engine, and the ops that have
// no lowering yet), so the runtime routes such models elsewhere.
package xla

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Backend names.
const (
	// XLAName is the backend on GoMLX's XLA engine (PJRT plugin).
	XLAName = "xla"
	// GoMLXName is the backend on GoMLX's pure-Go engine.
	GoMLXName = "gomlx"
)

func init() {
	runtime.Register(NewXLA(Options{}))
	runtime.Register(NewGoMLX(Options{}))
}

// RequirePluginEnv names the environment variable that, set to 1, turns
// every test of the xla engine that would skip for want of a PJRT plugin
// into a failure. CI sets it after `make xla`, so that a plugin it fetched
// but the probe did not find cannot pass as a silent skip.
const RequirePluginEnv = "BACKPLANE_REQUIRE_XLA"

// Options tunes a backend.
type Options struct {
	// CacheSize bounds the executables (one per input-shape signature) each
	// Prepared model keeps; 0 means DefaultCacheSize.
	CacheSize int
	// Threads bounds the CPUs the XLA engine computes on; 0 means XLA's
	// default, every CPU of the process's affinity mask. XLA's CPU client
	// sizes its thread pools from the affinity mask of the thread that
	// creates it, so the backend creates its client on a thread restricted
	// to the first Threads CPUs of the mask (Linux only; elsewhere a
	// non-zero value makes the backend unavailable). Backends with the same
	// Threads share one client per process. The pure-Go engine ignores it
	// (it uses GOMAXPROCS workers).
	Threads int
}

// Backend is a runtime.Backend on one GoMLX engine. Create one with NewXLA or
// NewGoMLX; the registered ones use default Options.
type Backend struct {
	eng  *engine
	opts Options
}

// NewXLA returns a backend on GoMLX's XLA engine. It is usable only where
// Available returns nil.
func NewXLA(o Options) *Backend { return &Backend{eng: xlaEngineFor(max(o.Threads, 0)), opts: o} }

// NewGoMLX returns a backend on GoMLX's pure-Go engine.
func NewGoMLX(o Options) *Backend { return &Backend{eng: goEngine, opts: o} }

// Name returns "xla" or "gomlx".
func (b *Backend) Name() string { return b.eng.name }

// Detail describes the engine once it is available: for "xla" the PJRT
// plugin's path, its PJRT C API version and the thread setting; for "gomlx"
// GoMLX's pure-Go engine. It is empty while the engine is unavailable.
func (b *Backend) Detail() string {
	if b.Available() != nil {
		return ""
	}
	if b.eng.name == GoMLXName {
		return "GoMLX's pure-Go engine (simplego)"
	}
	return pluginDetail(b.eng.threads)
}

// HasDType reports whether the engine holds and computes values of dtype d:
// every backplane dtype on XLA; all but float16 on the pure-Go engine.
// Supports refuses artifacts with a value of a dtype the engine lacks.
func (b *Backend) HasDType(d tensor.DType) bool { return b.eng.supportsDType(d) }

// Available reports whether the engine can run here. For "xla" it searches
// for a PJRT plugin once per process (bounded in time, never downloading) and
// on failure says where it looked and how to install one.
func (b *Backend) Available() error {
	if _, err := b.eng.start(); err != nil {
		return &runtime.Error{Kind: runtime.ErrUnavailable, Backend: b.eng.name, Mode: runtime.ModeUnavailable, Err: err}
	}
	return nil
}

// Supports names the first node whose op has no lowering, or whose input or
// output dtype the engine lacks, or that an op-specific check rejects.
func (b *Backend) Supports(a *runtime.Artifact) error {
	unsupported := func(n *runtime.Node, format string, args ...any) error {
		e := &runtime.Error{Kind: runtime.ErrUnsupported, Model: a.Name, Backend: b.eng.name,
			Mode: runtime.ModeUnsupported, Err: fmt.Errorf(format, args...)}
		if n != nil {
			e.Node, e.Op = n.Name, n.Op
		}
		return e
	}
	for _, in := range a.Inputs {
		if !b.eng.supportsDType(in.DType) {
			e := unsupported(nil, "the %s engine has no %v dtype", b.eng.name, in.DType).(*runtime.Error)
			e.Input = in.Name
			return e
		}
	}
	for _, n := range a.Nodes {
		if _, ok := lowerings[n.Op]; !ok {
			return unsupported(&n, "no GoMLX lowering for op %s yet", n.Op)
		}
	}
	// Dtypes of every value, from inference with symbolic dims bound to 1:
	// dtypes never depend on sizes.
	plan, err := a.Plan()
	if err != nil {
		return err
	}
	types, err := plan.InferTypes(a.InputTypes(nil))
	if err != nil {
		return err
	}
	for _, idx := range plan.Order {
		n := &a.Nodes[idx]
		var in, out []ops.Type
		for _, name := range n.Inputs {
			in = append(in, types[name])
		}
		for _, name := range n.Outputs {
			out = append(out, types[name])
		}
		for i, t := range append(append([]ops.Type(nil), in...), out...) {
			if !t.Absent() && !b.eng.supportsDType(t.DType) {
				value := ""
				if i < len(n.Inputs) {
					value = n.Inputs[i]
				} else {
					value = n.Outputs[i-len(n.Inputs)]
				}
				return unsupported(n, "value %q is %v, a dtype the %s engine does not have", value, t.DType, b.eng.name)
			}
		}
		if check := checks[n.Op]; check != nil {
			if err := check(b.eng, n, in, out); err != nil {
				return unsupported(n, "%v", err)
			}
		}
	}
	return nil
}

// Prepare lowers the artifact's structure, uploads its weights to the engine
// and, when no input dimension is symbolic, compiles the one signature it can
// have. Other signatures compile on first use.
func (b *Backend) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	eng, threads := b.eng, runtime.SettingsFrom(ctx).Threads
	if threads > 0 && b.opts.Threads == 0 && eng.name == XLAName {
		// runtime.WithThreads on the XLA engine: a client whose pools are
		// sized to that many CPUs (Options.Threads, when set, wins).
		eng = xlaEngineFor(threads)
	}
	be, err := eng.forThreads(threads)
	if err != nil {
		return nil, &runtime.Error{Kind: runtime.ErrUnavailable, Model: a.Name, Backend: eng.name,
			Mode: runtime.ModeUnavailable, Err: err}
	}
	if err := b.Supports(a); err != nil {
		return nil, err
	}
	plan, err := a.Plan()
	if err != nil {
		return nil, err
	}
	p := &prepared{eng: eng, be: be, layout: newLayout(plan), cache: newExecCache(b.opts.CacheSize)}
	if err := p.uploadWeights(); err != nil {
		p.Close()
		return nil, err
	}
	if len(a.SymbolicDims()) == 0 {
		types := a.InputTypes(nil)
		e, err := p.cache.acquire(typesSignature(types), func() (*program, error) {
			return p.layout.build(p.eng, p.be, types)
		})
		if err != nil {
			p.Close()
			return nil, err
		}
		if b.eng.name == XLAName && smallValues(plan, types) {
			p.warmUp(e.prog, types)
		}
		p.cache.release(e)
	}
	return p, nil
}

// warmUp runs the compiled signature once on zeros and drops the result.
// XLA's first execution of an executable pays one-time costs (measured on
// this project's 2-core machine: the zoo CNN's first run 31 ms, the next ones
// 0.6 ms; the MLP's 1.8 ms, then 0.12 ms), which would otherwise land on the
// first request and mislead the dispatcher's early latency samples. An
// error (a run-time check failing on zeros) only means no warm-up. The run
// counts as neither a cache hit nor copies.
func (p *prepared) warmUp(prog *program, types []ops.Type) {
	inputs := make([]*tensor.Tensor, len(types))
	for i, t := range types {
		z, err := tensor.New(t.DType, t.Shape...)
		if err != nil {
			return
		}
		inputs[i] = z
	}
	_, _ = p.execute(prog, inputs)
	for _, c := range []*atomic.Int64{&p.copies.inCopies, &p.copies.inBytes, &p.copies.outCopies,
		&p.copies.outBytes, &p.copies.outZero} {
		c.Store(0)
	}
}

// warmUpMaxValueBytes bounds the values of a model Prepare warms up: the
// warm-up runs outside the runtime's memory budget (no request has reserved
// anything yet) and outside any deadline, so a model with a large value (a
// hostile 8 GiB Expand, say) is left for its first request, which is charged.
const warmUpMaxValueBytes = 64 << 20

// smallValues reports whether every value of the plan, at the input types,
// is at most warmUpMaxValueBytes.
func smallValues(plan *runtime.Plan, types []ops.Type) bool {
	largest, err := plan.LargestValueBytes(types)
	return err == nil && largest <= warmUpMaxValueBytes
}

// typesSignature is the cache key of a list of input types.
func typesSignature(types []ops.Type) string {
	return signature(len(types), func(i int) tensor.Shape { return types[i].Shape })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
