package cpu

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/reference"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

var nowFunc = time.Now

// Where a value of a plan lives.
const (
	inInput  = iota // a graph input: the caller's tensor
	inConst         // a weight or folded constant
	inArena         // float32 at an arena offset
	inTensor        // a tensor made during the run (fallback steps, non-float32)
)

// value is one tensor of a compiled plan.
type value struct {
	name  string
	typ   ops.Type // logical type; NHWC values keep their NCHW logical shape here
	nhwc  bool     // rank-4 float32 stored as N, H, W, C
	where int
	input int            // inInput: index in the inputs
	t     *tensor.Tensor // inConst
	f32   []float32      // inConst with dtype float32: its data
	off   int            // inArena: offset and size in floats
	size  int
	alias int // inArena: -1, or the value whose storage this one shares
	def   int // step that writes it (-1: before the first)
	last  int // last step that reads it
}

// step is one kernel call (or a fused group of them) of a plan.
type step interface {
	run(pl *plan, rs *runState) error
	// node names the graph node the step came from, for errors.
	node() *bpruntime.Node
	// reads and writes list value ids, for liveness.
	reads() []int
	writes() []int
}

// plan is the compiled form of an artifact for one input signature.
type plan struct {
	p       *prepared
	inputs  []tensor.Shape
	vals    []*value
	steps   []step
	outputs []int // value ids of the graph outputs, all NCHW
	arena   int   // floats
	colSize int   // floats of packing scratch per thread
	maxTaps int   // most taps of a convolution

	mu   sync.Mutex
	free []*runState // idle run states, reused so Run allocates nothing
}

// runState is one Run's working memory: the arena, per-value views, and
// per-thread scratch. A plan keeps idle ones for reuse.
type runState struct {
	ctx     context.Context
	arena   []float32
	f32     [][]float32      // per value: its float32 data this run
	tens    []*tensor.Tensor // per value: tensors of inInput/inConst/inTensor values
	scratch []*kernels.Scratch
	col     [][]float32         // per thread: packing scratch of batched matmuls
	packers []convPacker        // per thread: a convolution's im2col packer
	segs    [][]kernels.Segment // per thread: a tile's taps, read in place
	job     job
	args    []*tensor.Tensor // fallback step arguments
}

func (pl *plan) matches(inputs []*tensor.Tensor) bool {
	if len(inputs) != len(pl.inputs) {
		return false
	}
	for i, t := range inputs {
		if !t.Shape().Equal(pl.inputs[i]) {
			return false
		}
	}
	return true
}

func (pl *plan) getState() *runState {
	pl.mu.Lock()
	if n := len(pl.free); n > 0 {
		rs := pl.free[n-1]
		pl.free = pl.free[:n-1]
		pl.mu.Unlock()
		return rs
	}
	pl.mu.Unlock()
	rs := &runState{
		arena: make([]float32, pl.arena),
		f32:   make([][]float32, len(pl.vals)),
		tens:  make([]*tensor.Tensor, len(pl.vals)),
	}
	threads := pl.p.threads
	rs.scratch = make([]*kernels.Scratch, threads)
	rs.col = make([][]float32, threads)
	rs.packers = make([]convPacker, threads)
	rs.segs = make([][]kernels.Segment, threads)
	for i := range threads {
		rs.scratch[i] = new(kernels.Scratch)
		rs.col[i] = make([]float32, pl.colSize)
		rs.segs[i] = make([]kernels.Segment, pl.maxTaps)
	}
	for id, v := range pl.vals {
		switch v.where {
		case inConst:
			rs.tens[id] = v.t
			rs.f32[id] = v.f32
		case inArena:
			rs.f32[id] = rs.arena[v.off : v.off+v.size : v.off+v.size]
		}
	}
	return rs
}

func (pl *plan) putState(rs *runState) {
	rs.ctx = nil
	for id, v := range pl.vals {
		if v.where == inInput || v.where == inTensor {
			rs.tens[id], rs.f32[id] = nil, nil // do not keep the caller's tensors alive
		}
	}
	pl.mu.Lock()
	pl.free = append(pl.free, rs)
	pl.mu.Unlock()
}

// run executes the plan. Only the outputs are allocated in steady state.
func (pl *plan) run(ctx context.Context, inputs []*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	rs := pl.getState()
	defer pl.putState(rs)
	rs.ctx = ctx
	for id, v := range pl.vals {
		if v.where == inInput {
			t := inputs[v.input]
			rs.tens[id] = t
			if t.DType() == tensor.Float32 {
				rs.f32[id] = tensor.MustView[float32](t)
			}
		}
	}
	a := pl.p.a
	for _, s := range pl.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.run(pl, rs); err != nil {
			n := s.node()
			if n != nil && reference.IsInputDataError(err) {
				// The data's values are at fault (an index out of range): the
				// caller's error, not the backend's, so no fallback or breaker.
				return nil, bpruntime.InputDataError(a.Name, Name, n.Name, n.Op, err)
			}
			e := &bpruntime.Error{Kind: bpruntime.ErrBackend, Model: a.Name, Backend: Name, Mode: bpruntime.ModeRuntime, Err: err}
			if n != nil {
				e.Node, e.Op = n.Name, n.Op
			}
			return nil, e
		}
	}
	outs = make([]*tensor.Tensor, len(pl.outputs))
	for i, id := range pl.outputs {
		v := pl.vals[id]
		if v.where == inArena {
			data := make([]float32, v.size)
			copy(data, rs.f32[id])
			t, err := tensor.FromSlice(data, v.typ.Shape...)
			if err != nil {
				return nil, err
			}
			outs[i] = t
			continue
		}
		t := rs.tens[id]
		if v.where != inTensor || pl.producedTwice(id, i) {
			t = t.Clone() // never hand out an input, a weight, or one tensor twice
		}
		outs[i] = t
	}
	return outs, nil
}

// producedTwice reports whether output i's value is also an earlier output.
func (pl *plan) producedTwice(id, i int) bool {
	for _, o := range pl.outputs[:i] {
		if o == id {
			return true
		}
	}
	return false
}

func (pl *plan) errorf(n *bpruntime.Node, format string, args ...any) error {
	e := &bpruntime.Error{Kind: bpruntime.ErrBackend, Model: pl.p.a.Name, Backend: Name, Mode: bpruntime.ModeCompile,
		Err: fmt.Errorf(format, args...)}
	if n != nil {
		e.Node, e.Op = n.Name, n.Op
	}
	return e
}
