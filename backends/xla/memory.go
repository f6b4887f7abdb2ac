package xla

import "github.com/backplane-ml/backplane/runtime"

var _ runtime.MemoryReporter = (*prepared)(nil)

// ResidentBytes is the weights uploaded into the engine's buffers: a copy
// of the artifact's that lives as long as the prepared model.
func (p *prepared) ResidentBytes() int64 { return p.copies.weightBytes.Load() }

// ScratchBytes is 0: a run's buffers are its graph's intermediate values,
// which the runtime already charges by liveness; the engine keeps no
// per-run workspace beyond them that this backend can size.
func (p *prepared) ScratchBytes(map[string]runtime.ValueType) int64 { return 0 }
