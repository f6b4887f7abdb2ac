//go:build cgo && (linux || (darwin && coreml))

// Package mlbridge is the cgo binding to backplane's Core ML bridge, the C
// ABI declared in bridge/swift/Sources/BackplaneCoreMLObjC/include/
// backplane_coreml.h. On macOS (with `-tags coreml`) it links the Swift
// package's static library; on Linux it links a C test double of the same
// header (double_linux.c), so every line of this binding is tested there.
// Only the Core ML backend's darwin glue imports it in production.
//
// Memory rules at the boundary: the C side never keeps a Go pointer (input
// and output buffers are pinned for the duration of one bp_predict call
// only); every string and model the C side allocates is freed exactly once
// here; Close is idempotent and waits for predictions in flight.
package mlbridge

/*
#cgo CFLAGS: -I${SRCDIR}/../../../../bridge/swift/Sources/BackplaneCoreMLObjC/include
#cgo linux LDFLAGS: -lm -lpthread
#include <stdlib.h>
#include "backplane_coreml.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	goruntime "runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// ABIVersion is the header's BP_COREML_ABI_VERSION this binding was built against.
const ABIVersion = int(C.BP_COREML_ABI_VERSION)

// LibraryABIVersion returns the ABI version the linked library reports.
func LibraryABIVersion() int { return int(C.bp_abi_version()) }

// Status is a bridge status code (bp_status).
type Status int

// The status codes.
const (
	OK              Status = C.BP_OK
	InvalidArgument Status = C.BP_ERR_INVALID_ARGUMENT
	IO              Status = C.BP_ERR_IO
	CompileFailed   Status = C.BP_ERR_COMPILE
	LoadFailed      Status = C.BP_ERR_LOAD
	PredictFailed   Status = C.BP_ERR_PREDICT
	Timeout         Status = C.BP_ERR_TIMEOUT
	Unsupported     Status = C.BP_ERR_UNSUPPORTED
	OutOfMemory     Status = C.BP_ERR_OUT_OF_MEMORY
	Exception       Status = C.BP_ERR_EXCEPTION
	Internal        Status = C.BP_ERR_INTERNAL
)

var statusNames = map[Status]string{OK: "ok", InvalidArgument: "invalid argument", IO: "i/o",
	CompileFailed: "compile", LoadFailed: "load", PredictFailed: "predict", Timeout: "timeout",
	Unsupported: "unsupported", OutOfMemory: "out of memory", Exception: "objective-c exception", Internal: "internal"}

// String names the status.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Error is a failed bridge call: the function, its status and the bridge's message.
type Error struct {
	Func   string // e.g. "bp_predict"
	Status Status
	Msg    string
}

// Error formats the call, status and message.
func (e *Error) Error() string {
	return fmt.Sprintf("coreml bridge: %s: %s: %s", e.Func, e.Status, e.Msg)
}

// Mode maps the status to the runtime's failure mode: compile and load
// failures are compile failures, a timeout is a timeout, an Objective-C
// exception counts as a crash (panic), an allocation failure as memory.
func (e *Error) Mode() runtime.FailureMode {
	switch e.Status {
	case CompileFailed, LoadFailed:
		return runtime.ModeCompile
	case IO:
		if e.Func == "bp_compile" || e.Func == "bp_cache_clean" || e.Func == "bp_load" {
			return runtime.ModeCompile
		}
	case Timeout:
		return runtime.ModeTimeout
	case Unsupported:
		return runtime.ModeUnsupported
	case OutOfMemory:
		return runtime.ModeMemory
	case Exception:
		return runtime.ModePanic
	}
	return runtime.ModeRuntime
}

// check turns a status and an owned error message into an *Error, freeing
// the message.
func check(fn string, st C.bp_status, msg *C.char) error {
	if st == C.BP_OK {
		if msg != nil { // not expected, but never leak it
			C.bp_free_string(msg)
		}
		return nil
	}
	e := &Error{Func: fn, Status: Status(st), Msg: "(no message)"}
	if msg != nil {
		e.Msg = C.GoString(msg)
		C.bp_free_string(msg)
	}
	return e
}

// CleanCache creates cacheDir if needed and removes leftovers of compiles
// that were interrupted (a crash mid-compile leaves only a ".partial" entry).
func CleanCache(cacheDir string) error {
	dir := C.CString(cacheDir)
	defer C.free(unsafe.Pointer(dir))
	var msg *C.char
	return check("bp_cache_clean", C.bp_cache_clean(dir, &msg), msg)
}

// Compile compiles the model file into cacheDir under key (reusing an
// earlier compile of the same key) and returns the compiled model's path.
func Compile(modelPath, cacheDir, key string) (string, error) {
	mp, cd, k := C.CString(modelPath), C.CString(cacheDir), C.CString(key)
	defer C.free(unsafe.Pointer(mp))
	defer C.free(unsafe.Pointer(cd))
	defer C.free(unsafe.Pointer(k))
	var out, msg *C.char
	if err := check("bp_compile", C.bp_compile(mp, cd, k, &out, &msg), msg); err != nil {
		return "", err
	}
	if out == nil {
		return "", &Error{Func: "bp_compile", Status: Internal, Msg: "no compiled path returned"}
	}
	defer C.bp_free_string(out)
	return C.GoString(out), nil
}

// ComputeUnits selects the devices Core ML may use (bp_compute_units).
type ComputeUnits int

// The compute-unit choices.
const (
	All                ComputeUnits = C.BP_COMPUTE_ALL
	CPUOnly            ComputeUnits = C.BP_COMPUTE_CPU_ONLY
	CPUAndGPU          ComputeUnits = C.BP_COMPUTE_CPU_AND_GPU
	CPUAndNeuralEngine ComputeUnits = C.BP_COMPUTE_CPU_AND_NEURAL_ENGINE
)

// Feature is an input or output of a loaded model.
type Feature struct {
	Name  string
	DType tensor.DType
	Shape tensor.Shape

	cname  *C.char    // owned by the C model
	cshape *C.int64_t // C copy of Shape, freed at Close
	cdtype C.bp_dtype
}

// Model is a loaded Core ML model. It is safe for concurrent use.
type Model struct {
	mu      sync.RWMutex // Predict holds it shared; Close exclusively
	h       *C.bp_model
	inputs  []Feature
	outputs []Feature
}

// Load loads a compiled model for the given compute units and reads its
// inputs and outputs.
func Load(compiledPath string, units ComputeUnits) (*Model, error) {
	p := C.CString(compiledPath)
	defer C.free(unsafe.Pointer(p))
	var h *C.bp_model
	var msg *C.char
	if err := check("bp_load", C.bp_load(p, C.bp_compute_units(units), &h, &msg), msg); err != nil {
		return nil, err
	}
	m := &Model{h: h}
	if err := m.describe(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *Model) describe() error {
	var nin, nout C.int32_t
	var msg *C.char
	if err := check("bp_describe", C.bp_describe(m.h, &nin, &nout, &msg), msg); err != nil {
		return err
	}
	for _, side := range []struct {
		isOut C.int32_t
		n     C.int32_t
		dst   *[]Feature
	}{{0, nin, &m.inputs}, {1, nout, &m.outputs}} {
		for i := C.int32_t(0); i < side.n; i++ {
			var f C.bp_feature
			if err := check("bp_feature_info", C.bp_feature_info(m.h, side.isOut, i, &f, &msg), msg); err != nil {
				return err
			}
			feat, err := featureFromC(&f)
			if err != nil {
				return err
			}
			*side.dst = append(*side.dst, feat)
		}
	}
	return nil
}

func featureFromC(f *C.bp_feature) (Feature, error) {
	name := C.GoString(f.name)
	d, ok := dtypeFromC(f.dtype)
	if !ok {
		return Feature{}, &Error{Func: "bp_feature_info", Status: InvalidArgument, Msg: fmt.Sprintf("feature %q has unknown dtype %d", name, int(f.dtype))}
	}
	rank := int(f.rank)
	if rank < 0 || rank > int(C.BP_MAX_RANK) {
		return Feature{}, &Error{Func: "bp_feature_info", Status: InvalidArgument, Msg: fmt.Sprintf("feature %q has rank %d", name, rank)}
	}
	shape := make(tensor.Shape, rank)
	for i := range shape {
		shape[i] = int(f.shape[i])
	}
	if err := shape.Validate(); err != nil {
		return Feature{}, &Error{Func: "bp_feature_info", Status: InvalidArgument, Msg: fmt.Sprintf("feature %q: %v", name, err)}
	}
	cshape := (*C.int64_t)(C.malloc(C.size_t(max(rank, 1)) * C.size_t(unsafe.Sizeof(C.int64_t(0)))))
	copy(unsafe.Slice(cshape, max(rank, 1)), unsafe.Slice(&f.shape[0], max(rank, 1)))
	return Feature{Name: name, DType: d, Shape: shape, cname: f.name, cshape: cshape, cdtype: f.dtype}, nil
}

func dtypeFromC(d C.bp_dtype) (tensor.DType, bool) {
	switch d {
	case C.BP_DTYPE_FLOAT32:
		return tensor.Float32, true
	case C.BP_DTYPE_FLOAT16:
		return tensor.Float16, true
	case C.BP_DTYPE_FLOAT64:
		return tensor.Float64, true
	case C.BP_DTYPE_INT32:
		return tensor.Int32, true
	}
	return 0, false
}

// Inputs returns the model's inputs in the bridge's order.
func (m *Model) Inputs() []Feature { return m.inputs }

// Outputs returns the model's outputs in the bridge's order.
func (m *Model) Outputs() []Feature { return m.outputs }

// ErrClosed is returned by calls on a closed model.
var ErrClosed = errors.New("coreml bridge: model is closed")

// Predict runs the model: in[i] feeds Inputs()[i] and the prediction is
// written into out[i], which must have Outputs()[i]'s dtype and shape. The
// context's deadline becomes the bridge's timeout; a context already done
// fails before calling into the bridge. (A cancellation without a deadline
// cannot interrupt Core ML; it is seen when the call returns.)
func (m *Model) Predict(ctx context.Context, in, out []*tensor.Tensor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout := int64(0)
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return context.DeadlineExceeded
		}
		timeout = max(int64(math.Ceil(float64(left)/float64(time.Millisecond))), 1)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.h == nil {
		return ErrClosed
	}
	if len(in) != len(m.inputs) || len(out) != len(m.outputs) {
		return &Error{Func: "bp_predict", Status: InvalidArgument,
			Msg: fmt.Sprintf("%d inputs and %d outputs, model has %d and %d", len(in), len(out), len(m.inputs), len(m.outputs))}
	}
	var pin goruntime.Pinner
	defer pin.Unpin()
	cin, err := marshal(&pin, in, m.inputs)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cin))
	cout, err := marshal(&pin, out, m.outputs)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cout))
	var msg *C.char
	st := C.bp_predict(m.h, cin, C.int32_t(len(in)), cout, C.int32_t(len(out)), C.int64_t(timeout), &msg)
	if err := check("bp_predict", st, msg); err != nil {
		return err
	}
	return ctx.Err()
}

// marshal builds a C array of bp_tensor describing ts, whose data the
// pinner keeps in place until the call returns.
func marshal(pin *goruntime.Pinner, ts []*tensor.Tensor, feats []Feature) (*C.bp_tensor, error) {
	n := max(len(ts), 1)
	arr := (*C.bp_tensor)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.bp_tensor{}))))
	if arr == nil {
		return nil, &Error{Func: "bp_predict", Status: OutOfMemory, Msg: "allocating tensor descriptors"}
	}
	cs := unsafe.Slice(arr, n)
	for i, t := range ts {
		f := &feats[i]
		if t == nil || t.DType() != f.DType || !t.Shape().Equal(f.Shape) {
			C.free(unsafe.Pointer(arr))
			got := "nil"
			if t != nil {
				got = fmt.Sprintf("%v%v", t.DType(), t.Shape())
			}
			return nil, &Error{Func: "bp_predict", Status: InvalidArgument,
				Msg: fmt.Sprintf("tensor for %q is %s, the model wants %v%v", f.Name, got, f.DType, f.Shape)}
		}
		b := t.Bytes()
		cs[i].name = f.cname
		cs[i].dtype = f.cdtype
		cs[i].rank = C.int32_t(len(f.Shape))
		cs[i].shape = f.cshape
		cs[i].bytes = C.size_t(len(b))
		if len(b) > 0 {
			pin.Pin(&b[0])
			cs[i].data = unsafe.Pointer(&b[0])
		}
	}
	return arr, nil
}

// Plan counts the model's operations by planned compute device.
type Plan struct{ CPU, GPU, NeuralEngine int }

// NeuralEngineShare is the fraction of operations planned on the Neural Engine.
func (p Plan) NeuralEngineShare() float64 {
	n := p.CPU + p.GPU + p.NeuralEngine
	if n == 0 {
		return 0
	}
	return float64(p.NeuralEngine) / float64(n)
}

// ComputePlan asks Core ML where it plans to run each operation (macOS
// 14.4+; an *Error with status Unsupported before).
func (m *Model) ComputePlan() (Plan, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.h == nil {
		return Plan{}, ErrClosed
	}
	var cpu, gpu, ane C.int32_t
	var msg *C.char
	if err := check("bp_compute_plan", C.bp_compute_plan(m.h, &cpu, &gpu, &ane, &msg), msg); err != nil {
		return Plan{}, err
	}
	return Plan{CPU: int(cpu), GPU: int(gpu), NeuralEngine: int(ane)}, nil
}

// Close frees the model after the predictions in flight have returned. It
// is idempotent.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return nil
	}
	for _, fs := range [][]Feature{m.inputs, m.outputs} {
		for i := range fs {
			C.free(unsafe.Pointer(fs[i].cshape))
			fs[i].cshape = nil
		}
	}
	C.bp_free_model(m.h)
	m.h = nil
	return nil
}
