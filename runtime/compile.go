package runtime

import "time"

// CompileStats counts the work of a Prepared model that compiles once per
// input-shape signature (engines such as XLA specialise executables to shapes).
// Telemetry reads it through CompileReporter.
type CompileStats struct {
	Compiles    int64         // executables built (cache misses)
	Hits        int64         // runs served by an already compiled executable
	Evictions   int64         // executables dropped to keep the cache bounded
	Cached      int           // executables held now
	CompileTime time.Duration // total time spent compiling
}

// CompileReporter is implemented by Prepared models that compile per input
// signature. The runtime's telemetry reports its figures per (model, backend);
// a Prepared that compiles once in Prepare need not implement it.
type CompileReporter interface {
	CompileStats() CompileStats
}
