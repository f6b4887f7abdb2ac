package kernels

import (
	"fmt"
	"os"
	"strings"
)

// ISA is one implementation of the kernels: an instruction set and the
// micro-kernels written for it. Weights packed for one ISA (PackB) are used
// with that ISA only, since the panel width differs.
type ISA struct {
	// Name is "avx512", "avx2", "neon" or "generic".
	Name string
	// MR and NR are the micro-kernel's tile: rows of A and columns of a
	// packed B panel.
	MR, NR int

	tile   func(p *gemmArgs, rows int) // one MR×NR tile, rows ≤ MR, A packed
	tileU  func(p *gemmArgs, rows int) // the same reading A in place (row stride LDA); nil: always pack
	masked bool                        // tile honours gemmArgs.Mask (else partial panels go through a scratch tile)
	// fullRowsOnly: the tile always stores MR rows (partial row tiles go
	// through the scratch tile); goEpilogue: the tile only accumulates, Go
	// applies bias, residual and clamp.
	fullRowsOnly, goEpilogue bool
	dw                       func(p *dwArgs)                      // depthwise over indirection; nil: Go only
	dwStep                   int                                  // dw handles channels in multiples of this (1: all, masked)
	vec                      [numActKinds]func(x *float32, n int) // in-place activations over whole vectors; nil: none
	lanes                    int                                  // floats per vector of vec
	rows                     rowKernels                           // softmax and layer_norm rows (rows_*.go)
	bin                      binKernels                           // add, sub, mul, div (binary_*.go)
	red                      reduceKernels                        // reduce_max and reduce_min rows (reduce_*.go)
}

// EnvVar forces a kernel path when set: generic, avx2, avx512 or neon.
const EnvVar = "BACKPLANE_CPU_KERNELS"

// candidates (dispatch_*.go) lists every ISA this build has, best first;
// the ones this CPU can run are kept by Available.

// Generic is the portable Go implementation, available everywhere.
var Generic = &ISA{Name: "generic", MR: 4, NR: 8, tile: genericTile, masked: true}

// Default is the ISA the backend uses: BACKPLANE_CPU_KERNELS when set and
// runnable here, else the best this CPU supports. It is chosen once, at start.
var Default *ISA

// DefaultErr is why BACKPLANE_CPU_KERNELS could not be honoured, or nil.
var DefaultErr error

func init() {
	Default, DefaultErr = choose(os.Getenv(EnvVar))
}

func choose(forced string) (*ISA, error) {
	avail := Available()
	forced = strings.TrimSpace(strings.ToLower(forced))
	if forced == "" {
		return avail[0], nil
	}
	isa, err := ByName(forced)
	if err != nil {
		return avail[0], err
	}
	return isa, nil
}

// Available returns every ISA this CPU and build can run, best first; the
// last is always Generic.
func Available() []*ISA {
	var out []*ISA
	for _, c := range candidates {
		if supported(c.Name) {
			out = append(out, c)
		}
	}
	return append(out, Generic)
}

// Known lists every ISA name a build may have, for tests that report which
// paths were skipped here.
func Known() []string { return []string{"avx512", "avx2", "neon", "generic"} }

// ByName returns the named ISA if this CPU and build can run it.
func ByName(name string) (*ISA, error) {
	for _, isa := range Available() {
		if isa.Name == name {
			return isa, nil
		}
	}
	return nil, fmt.Errorf("%s=%s: this CPU or build has no such kernel path (have %s)", EnvVar, name, names(Available()))
}

func names(isas []*ISA) string {
	s := make([]string, len(isas))
	for i, isa := range isas {
		s[i] = isa.Name
	}
	return strings.Join(s, ", ")
}

// ForWidth returns the ISA to use for a GEMM whose output has n columns:
// isa itself, or for n ≤ 16 on AVX-512 the AVX2 kernels, whose 16-wide
// panels waste no lanes where a 32-wide panel would be half empty.
func (isa *ISA) ForWidth(n int) *ISA {
	if isa.Name == "avx512" && n <= 16 {
		if narrow, err := ByName("avx2"); err == nil {
			return narrow
		}
	}
	return isa
}
