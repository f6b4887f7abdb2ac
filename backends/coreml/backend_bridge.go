//go:build (darwin && cgo && coreml) || (linux && cgo && coremldouble)

package coreml

// The Core ML backend's glue to the bridge: convert per input signature,
// write the model into the cache folder, compile, load with the chosen
// compute units and predict with the context's deadline as the timeout.
//
// It builds on macOS with cgo and `-tags coreml` (linking the Swift bridge)
// and, for tests only, on Linux with `-tags coremldouble`, where it links the
// bridge's C test double instead (see backend_double.go): that build runs
// this file's caching, naming, marshalling, error and deadline paths, but
// not Core ML.

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backplane-ml/backplane/backends/coreml/internal/mlbridge"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// maxSignatures bounds the compiled models kept per prepared artifact.
const maxSignatures = 8

func platformAvailable() error {
	if got := mlbridge.LibraryABIVersion(); got != mlbridge.ABIVersion {
		return &runtime.Error{Kind: runtime.ErrUnavailable, Backend: Name, Mode: runtime.ModeUnavailable,
			Err: fmt.Errorf("the linked Core ML bridge has ABI version %d, this build expects %d: rebuild it with `make coreml`", got, mlbridge.ABIVersion)}
	}
	return nil
}

// cleaned records the cache folders already cleaned by this process.
var cleaned sync.Map

func cacheDir(o Options) (string, error) {
	if o.CacheDir != "" {
		return o.CacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "backplane-coreml"), nil
}

func platformPrepare(ctx context.Context, a *runtime.Artifact, o Options) (runtime.Prepared, error) {
	fail := func(mode runtime.FailureMode, err error) error {
		return &runtime.Error{Kind: runtime.ErrBackend, Model: a.Name, Backend: Name, Mode: mode, Err: err}
	}
	dir, err := cacheDir(o)
	if err != nil {
		return nil, fail(runtime.ModeCompile, err)
	}
	if _, done := cleaned.LoadOrStore(dir, true); !done {
		if err := mlbridge.CleanCache(dir); err != nil { // leftovers of compiles a crash interrupted
			cleaned.Delete(dir)
			return nil, fail(modeOf(err), err)
		}
	}
	fp, err := a.Fingerprint()
	if err != nil {
		return nil, fail(runtime.ModeCompile, err)
	}
	p := &prepared{art: a, opts: o, dir: dir, fp: fp[:16], lru: list.New(), bySig: map[string]*list.Element{}}
	if len(a.SymbolicDims()) == 0 { // static: compile now, so Load reports a model that cannot compile
		shapes := make([][]int, len(a.Inputs))
		for i, t := range a.InputTypes(nil) {
			shapes[i] = t.Shape
		}
		if _, err := p.model(ctx, shapes); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// modeOf is the failure mode of a bridge error.
func modeOf(err error) runtime.FailureMode {
	var e *mlbridge.Error
	if errors.As(err, &e) {
		return e.Mode()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return runtime.ModeTimeout
	}
	return runtime.ModeRuntime
}

// prepared is an artifact ready to run: one compiled Core ML model per
// input signature, the most recently used kept.
type prepared struct {
	art  *runtime.Artifact
	opts Options
	dir  string
	fp   string // artifact fingerprint prefix: names the files in the cache

	mu       sync.Mutex
	lru      *list.List // of *sigModel, most recent first
	bySig    map[string]*list.Element
	closed   bool
	compiles int64
	hits     int64
	evicted  int64
	compileT time.Duration
}

type sigModel struct {
	sig  string
	m    *mlbridge.Model
	outs []ops.Type // output types for this signature, artifact order
	inIx []int      // bridge input i is artifact input inIx[i]
	outX []int      // bridge output i is artifact output outX[i]
}

func signatureOf(shapes [][]int) string {
	var b strings.Builder
	for i, s := range shapes {
		if i > 0 {
			b.WriteByte(';')
		}
		for j, d := range s {
			if j > 0 {
				b.WriteByte('x')
			}
			b.WriteString(strconv.Itoa(d))
		}
	}
	return b.String()
}

// model returns the compiled model for the input shapes, building it on
// first use: Bind, encode, write atomically, compile, load.
func (p *prepared) model(ctx context.Context, shapes [][]int) (*sigModel, error) {
	sig := signatureOf(shapes)
	p.mu.Lock()
	defer p.mu.Unlock() // compiles are serialised per model: they are rare and heavy
	if p.closed {
		return nil, &runtime.Error{Kind: runtime.ErrClosed, Model: p.art.Name, Backend: Name, Err: errors.New("prepared model is closed")}
	}
	if e, ok := p.bySig[sig]; ok {
		p.lru.MoveToFront(e)
		p.hits++
		return e.Value.(*sigModel), nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	sm, err := p.build(sig, shapes)
	if err != nil {
		return nil, err
	}
	p.compiles++
	p.compileT += time.Since(start)
	p.bySig[sig] = p.lru.PushFront(sm)
	for p.lru.Len() > maxSignatures {
		old := p.lru.Remove(p.lru.Back()).(*sigModel)
		delete(p.bySig, old.sig)
		old.m.Close() // waits for its predictions in flight
		p.evicted++
	}
	return sm, nil
}

func (p *prepared) build(sig string, shapes [][]int) (*sigModel, error) {
	a := p.art
	fail := func(mode runtime.FailureMode, err error) error {
		return &runtime.Error{Kind: runtime.ErrBackend, Model: a.Name, Backend: Name, Mode: mode,
			Err: fmt.Errorf("input sizes %s: %w", sig, err)}
	}
	bound, err := Bind(a, shapes)
	if err != nil {
		return nil, err
	}
	plan, err := bound.Plan()
	if err != nil {
		return nil, err
	}
	types, err := plan.InferTypes(bound.InputTypes(nil))
	if err != nil {
		return nil, err
	}
	data, err := encodeModel(bound, p.opts.Precision)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s-%s-%s", p.fp, p.opts.Precision, strings.NewReplacer(";", "_").Replace(sig))
	path := filepath.Join(p.dir, key+modelExt)
	if err := writeAtomic(path, data); err != nil {
		return nil, fail(runtime.ModeCompile, err)
	}
	compiled, err := mlbridge.Compile(path, p.dir, key)
	if err != nil {
		return nil, fail(modeOf(err), err)
	}
	m, err := mlbridge.Load(compiled, mlbridge.ComputeUnits(p.opts.ComputeUnits))
	if err != nil {
		return nil, fail(modeOf(err), err)
	}
	sm := &sigModel{sig: sig, m: m}
	for _, o := range a.Outputs {
		sm.outs = append(sm.outs, types[o.Name])
	}
	index := func(names []runtime.ValueInfo, name string) int {
		for i, v := range names {
			if v.Name == name {
				return i
			}
		}
		return -1
	}
	for _, f := range m.Inputs() {
		sm.inIx = append(sm.inIx, index(a.Inputs, f.Name))
	}
	for _, f := range m.Outputs() {
		sm.outX = append(sm.outX, index(a.Outputs, f.Name))
	}
	if err := sm.checkNames(a); err != nil {
		m.Close()
		return nil, fail(runtime.ModeCompile, err)
	}
	return sm, nil
}

// checkNames verifies the compiled model's features are the artifact's
// inputs and outputs, each once.
func (sm *sigModel) checkNames(a *runtime.Artifact) error {
	for side, ix := range map[string][]int{"input": sm.inIx, "output": sm.outX} {
		want := len(a.Inputs)
		if side == "output" {
			want = len(a.Outputs)
		}
		seen := map[int]bool{}
		for _, i := range ix {
			if i < 0 || seen[i] {
				return fmt.Errorf("the compiled model's %ss do not match the artifact's", side)
			}
			seen[i] = true
		}
		if len(seen) != want {
			return fmt.Errorf("the compiled model has %d %ss, the artifact %d", len(seen), side, want)
		}
	}
	return nil
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.partial")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Run converts the inputs' signature on first sight, then predicts.
func (p *prepared) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	shapes := make([][]int, len(inputs))
	for i, t := range inputs {
		shapes[i] = t.Shape()
	}
	sm, err := p.model(ctx, shapes)
	if err != nil {
		return nil, err
	}
	in := make([]*tensor.Tensor, len(sm.inIx))
	for i, k := range sm.inIx {
		in[i] = inputs[k]
		if want := sm.m.Inputs()[i].DType; in[i].DType() != want {
			if in[i], err = in[i].AsType(want); err != nil {
				return nil, err
			}
		}
	}
	feats := sm.m.Outputs()
	out := make([]*tensor.Tensor, len(feats))
	for i, f := range feats {
		if out[i], err = tensor.New(f.DType, f.Shape...); err != nil {
			return nil, err
		}
	}
	if err := sm.m.Predict(ctx, in, out); err != nil {
		return nil, &runtime.Error{Kind: runtime.ErrBackend, Model: p.art.Name, Backend: Name, Mode: modeOf(err), Err: err}
	}
	res := make([]*tensor.Tensor, len(p.art.Outputs))
	for i, k := range sm.outX {
		t := out[i]
		if want := sm.outs[k].DType; t.DType() != want {
			if t, err = t.AsType(want); err != nil {
				return nil, err
			}
		}
		if !t.Shape().Equal(sm.outs[k].Shape) { // Core ML may report a rank-padded shape
			if t, err = t.Reshape(sm.outs[k].Shape...); err != nil {
				return nil, err
			}
		}
		res[k] = t
	}
	return res, nil
}

// CompileStats reports compiles per input signature for telemetry.
func (p *prepared) CompileStats() runtime.CompileStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return runtime.CompileStats{Compiles: p.compiles, Hits: p.hits, Evictions: p.evicted, Cached: p.lru.Len(), CompileTime: p.compileT}
}

// Close frees every compiled model; it is idempotent.
func (p *prepared) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	for e := p.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*sigModel).m.Close()
	}
	p.lru.Init()
	clear(p.bySig)
	return nil
}
