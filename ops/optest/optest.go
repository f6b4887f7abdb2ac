// Package optest holds the op catalog's test cases, independent of any
// backend: hand-computed cases (inputs and the outputs worked out by hand)
// and randomized cases whose expected outputs come from the reference backend.
//
// Cases are registered from init functions, one file per op family, and run
// against a backend by runtime/backendtest.
package optest

import (
	"fmt"
	"sort"
	"sync"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Case is one op applied to fixed inputs with expected outputs computed by hand
// (or from a mathematical identity), never by the code under test.
type Case struct {
	Name   string // unique, "op/what", e.g. "add/broadcast_row"
	Op     string
	Attrs  ops.Attrs
	Inputs []*tensor.Tensor // a nil entry is an omitted optional input
	Want   []*tensor.Tensor
	// Tol overrides the dtype's default tolerance when non-zero (e.g. for a
	// transcendental function whose hand value is rounded).
	Tol tensor.Tolerance
}

// Input describes one randomly generated input of a RandomCase.
type Input struct {
	DType tensor.DType
	Shape tensor.Shape
	// Lo and Hi bound the uniform values (integers: inclusive). Both zero means [-1, 1).
	Lo, Hi float64
	// Fixed, when set, is used as-is (indices, or an absent input when Omit is set).
	Fixed *tensor.Tensor
	// Omit makes this an omitted optional input.
	Omit bool
}

// RandomCase is one op applied to seeded random inputs; backends are compared
// with the reference backend on it.
type RandomCase struct {
	Name   string
	Op     string
	Attrs  ops.Attrs
	Inputs []Input
	Tol    tensor.Tolerance // zero: the dtype's default
}

var (
	mu      sync.Mutex
	cases   = map[string]Case{}
	randoms = map[string]RandomCase{}
)

// Register adds hand-computed cases. It panics on a duplicate name or an
// unknown op, which are programming errors found at init.
func Register(cs ...Case) {
	mu.Lock()
	defer mu.Unlock()
	for _, c := range cs {
		mustBeNew(c.Name, c.Op, cases[c.Name].Name != "")
		cases[c.Name] = c
	}
}

// RegisterRandom adds randomized parity cases.
func RegisterRandom(cs ...RandomCase) {
	mu.Lock()
	defer mu.Unlock()
	for _, c := range cs {
		mustBeNew(c.Name, c.Op, randoms[c.Name].Name != "")
		randoms[c.Name] = c
	}
}

func mustBeNew(name, op string, dup bool) {
	if dup {
		panic(fmt.Sprintf("optest: duplicate case %q", name))
	}
	if _, ok := ops.Lookup(op); !ok {
		panic(fmt.Sprintf("optest: case %q uses unknown op %q", name, op))
	}
}

// Cases returns every hand-computed case, sorted by name.
func Cases() []Case {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Case, 0, len(cases))
	for _, c := range cases {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RandomCases returns every randomized case, sorted by name.
func RandomCases() []RandomCase {
	mu.Lock()
	defer mu.Unlock()
	out := make([]RandomCase, 0, len(randoms))
	for _, c := range randoms {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Covered returns the set of op names that have at least one hand-computed case.
func Covered() map[string]bool {
	m := map[string]bool{}
	for _, c := range Cases() {
		m[c.Op] = true
	}
	return m
}

// DefaultTolerance is the closeness rule used when a case sets none, per dtype.
// A backend may compute in lower precision than ref's float64 accumulation but
// must stay within a few units of the dtype's last place for single ops.
func DefaultTolerance(d tensor.DType) tensor.Tolerance {
	switch d {
	case tensor.Float64:
		return tensor.Tolerance{RTol: 1e-12, ATol: 1e-12}
	case tensor.Float32:
		return tensor.Tolerance{RTol: 1e-5, ATol: 1e-6}
	case tensor.Float16:
		return tensor.Tolerance{RTol: 2e-3, ATol: 1e-3}
	case tensor.BFloat16:
		return tensor.Tolerance{RTol: 1.6e-2, ATol: 1e-2}
	}
	return tensor.Tolerance{}
}
