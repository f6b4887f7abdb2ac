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

// goEngineConfig is the pure-Go engine's configuration. Normally empty: the
// engine runs independent graph nodes in parallel when one graph executes
// alone. Under the race detector the nodes run one after another, because
// GoMLX v0.26.0's parallel scheduler reads a buffer-use counter without the
// lock it writes it under (simplego/exec.go, executeNode). The read is of a
// machine word that only grows, and a stale value merely makes an op copy
// instead of reusing its input, so results are right; but the detector
// reports it, and it is not ours to fix.
func goEngineConfig() string {
	if raceEnabled {
		return "ops_sequential"
	}
	return ""
}

// dtypeNames lists the backplane dtypes an engine lacks, for messages.
func (e *engine) missingDTypes() []tensor.DType {
	var out []tensor.DType
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
		tensor.Int8, tensor.Uint8, tensor.Int32, tensor.Int64, tensor.Bool} {
		if !e.supportsDType(d) {
			out = append(out, d)
		}
	}
	return out
}
