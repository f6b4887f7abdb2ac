package xla

import (
	"fmt"
	"sync"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"

	"github.com/backplane-ml/backplane/tensor"
)

// engine is one GoMLX execution engine. The lowering is shared; engines
// differ in what they can run (caps), how they are found (probe) and whether
// their output buffers can become tensor storage without a copy.
type engine struct {
	name string // backplane backend name: "gomlx" or "xla"
	// caps is the engine's static capability table (dtypes and backend ops),
	// readable without opening the engine, so Supports works even when the
	// engine is unavailable.
	caps gobackends.Capabilities
	// threads is the CPU count the engine's client was created for (0: the
	// engine's default). Only the XLA engine has more than one.
	threads int
	// adoptOutputs: output buffers are plain Go memory the caller may keep
	// (see download in convert.go).
	adoptOutputs bool
	// probe reports whether the engine can run here, bounded in time and
	// without the network. It is called once.
	probe func() error
	// open creates the GoMLX backend after a successful probe. Called once.
	open func() (gobackends.Backend, error)

	once sync.Once
	be   gobackends.Backend
	err  error
}

// start probes and opens the engine once; later calls return the same result.
func (e *engine) start() (gobackends.Backend, error) {
	e.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				e.be, e.err = nil, fmt.Errorf("opening the %s engine panicked: %v", e.name, r)
			}
		}()
		if err := e.probe(); err != nil {
			e.err = err
			return
		}
		e.be, e.err = e.open()
	})
	return e.be, e.err
}

// supportsDType reports whether the engine can hold values of dtype d.
func (e *engine) supportsDType(d tensor.DType) bool {
	if e.carries(d) {
		return true
	}
	gd, ok := toGoMLXDType(d)
	return ok && e.caps.DTypes[gd]
}

// goEngine is GoMLX's portable pure-Go engine ("simplego"): always present.
var goEngine = &engine{
	name:         GoMLXName,
	caps:         simplego.Capabilities,
	adoptOutputs: true,
	probe:        func() error { return nil },
	open:         func() (gobackends.Backend, error) { return simplego.New(goEngineConfig()) },
}

// goEngineConfig is the pure-Go engine's configuration: graph nodes run one
// after another on the goroutine that called Run ("ops_sequential"); the big
// ops (matmul, convolutions, long elementwise loops) still split their work
// across the engine's workers. Two reasons, both about GoMLX v0.26.0:
//   - a panic inside an op (there are some, e.g. ReduceMax on int8 asserts
//     the wrong Go type) then unwinds through Run, where it is recovered into
//     an error; in the parallel scheduler it happens on a worker goroutine
//     and takes the whole process down;
//   - the parallel scheduler reads a buffer-use counter without the lock it
//     writes it under (simplego/exec.go, executeNode), which the race
//     detector reports.
//
// Independent branches of a graph then no longer overlap; the benchmarks in
// benchmarks/ measure what that costs.
func goEngineConfig() string { return "ops_sequential" }
