package xla

import (
	"strconv"
	"sync"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// goEngineByThreads holds the pure-Go engines opened with a bound on their
// workers, one per thread count a runtime asked for (runtime.WithThreads):
// the engine's worker pool is fixed when it is opened, and engines are
// process-wide, so two runtimes with different counts use two engines.
var goEngineByThreads sync.Map // int -> *engine

// forThreads returns the engine's GoMLX backend for runs bounded to n
// threads (n <= 0: the engine's default, one worker per core). Only the
// pure-Go engine takes a bound: GoMLX's XLA engine sizes PJRT's thread pool
// itself when the plugin is opened, so "xla" ignores n.
func (e *engine) forThreads(n int) (gobackends.Backend, error) {
	if n <= 0 || e != goEngine {
		return e.start()
	}
	v, _ := goEngineByThreads.LoadOrStore(n, &engine{
		name:         e.name,
		caps:         e.caps,
		adoptOutputs: e.adoptOutputs,
		probe:        e.probe,
		// GoMLX prints a line on stdout when it applies the bound.
		open: func() (gobackends.Backend, error) {
			return simplego.New(goEngineConfig() + ",parallelism=" + strconv.Itoa(n))
		},
	})
	return v.(*engine).start()
}
