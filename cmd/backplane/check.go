package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/runtime"
)

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backend := fs.String("backend", "all", "backend to check, or all for every backend available here")
	rtol := fs.Float64("rtol", onnxtest.DefaultTolerance.RTol, "relative tolerance for floating-point outputs")
	atol := fs.Float64("atol", onnxtest.DefaultTolerance.ATol, "absolute tolerance for floating-point outputs")
	var dimFlags listFlag
	fs.Var(&dimFlags, "dim", "size of a symbolic dimension as NAME=N, for the models that have it (repeatable; a name no model has is an error); other dims are bound from each test's input files")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: backplane check [--backend NAME|all] [--rtol R] [--atol A] [--dim NAME=N]... PATH...

Runs ONNX backend-test folders (model.onnx with test_data_set_N/input_K.pb and
output_K.pb) and compares the outputs with |got-want| <= atol + rtol*|want|.
Symbolic input dimensions are bound from --dim, else from each data set's
input files.
Each PATH is a test folder or a directory searched for them. Prints one line
per test and backend, then a summary; exits 1 if any test failed.

flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if !validTolerance(*rtol) || !validTolerance(*atol) {
		fmt.Fprintf(stderr, "backplane check: --rtol and --atol must be finite and >= 0 (got %g, %g)\n", *rtol, *atol)
		return 2
	}
	backends, status := checkBackends(*backend, stderr)
	if status != 0 {
		return status
	}
	cases, err := onnxtest.Discover(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, "backplane check:", err)
		return 2
	}
	dims, err := parseDims(dimFlags)
	if err != nil {
		fmt.Fprintln(stderr, "backplane check:", err)
		return 2
	}
	perCase, err := checkDimsPerCase(cases, dims)
	if err != nil {
		fmt.Fprintln(stderr, "backplane check:", err)
		return 2
	}
	tol := onnxtest.Tolerance{RTol: *rtol, ATol: *atol}
	counts := map[onnxtest.Status]int{}
	ctx := context.Background()
	for i, c := range cases {
		for _, b := range backends {
			r := onnxtest.RunWith(ctx, c, b, onnxtest.Options{Tolerance: tol, Dims: perCase[i]})
			counts[r.Status]++
			detail := oneLine(r.Reason)
			if r.Status == onnxtest.Pass {
				detail = fmt.Sprintf("max abs err %.2g, max rel err %.2g", r.MaxAbsErr, r.MaxRelErr)
			}
			fmt.Fprintf(stdout, "%s  %s  %s  %s\n", r.Status, c.Name, b, detail)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", counts[onnxtest.Pass], counts[onnxtest.Fail], counts[onnxtest.Skip])
	if counts[onnxtest.Fail] > 0 {
		return 1
	}
	return 0
}

// checkBackends resolves --backend to backend names; a nonzero status means
// the check cannot run (2: unknown name, 1: the named backend is unavailable).
func checkBackends(name string, stderr io.Writer) ([]string, int) {
	if name == "all" {
		var names []string
		for _, b := range runtime.Backends() {
			if runtime.Availability(b) == nil {
				names = append(names, b.Name())
			}
		}
		if len(names) == 0 {
			fmt.Fprintln(stderr, "backplane check: no backend is available here")
			return nil, 1
		}
		return names, 0
	}
	b, ok := runtime.Lookup(name)
	if !ok {
		var known []string
		for _, b := range runtime.Backends() {
			known = append(known, b.Name())
		}
		fmt.Fprintf(stderr, "backplane check: unknown backend %q (registered: %s, or all)\n", name, strings.Join(known, ", "))
		return nil, 2
	}
	if err := runtime.Availability(b); err != nil {
		fmt.Fprintf(stderr, "backplane check: backend %q is not available here: %v\n", name, err)
		return nil, 1
	}
	return []string{name}, 0
}

func validTolerance(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }

// oneLine keeps a multi-line reason (a dispatch error lists every backend
// tried) on its test's line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// checkDimsPerCase gives each case the --dim entries its model has; a name
// that no model has is an error (a misspelling would otherwise do nothing).
func checkDimsPerCase(cases []onnxtest.Case, dims map[string]int) ([]map[string]int, error) {
	per := make([]map[string]int, len(cases))
	if len(dims) == 0 {
		return per, nil
	}
	matched := map[string]bool{}
	all := map[string]bool{}
	for i, c := range cases {
		names, err := onnxtest.ModelDims(c.ModelPath)
		if err != nil {
			continue // the run reports the unreadable model
		}
		for _, n := range names {
			all[n] = true
			if v, ok := dims[n]; ok {
				if per[i] == nil {
					per[i] = map[string]int{}
				}
				per[i][n] = v
				matched[n] = true
			}
		}
	}
	var missing []string
	for n := range dims {
		if !matched[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return per, nil
	}
	slices.Sort(missing)
	have := slices.Sorted(maps.Keys(all))
	if len(have) == 0 {
		return nil, fmt.Errorf("--dim %s: the models checked have no symbolic dimensions", strings.Join(missing, ", "))
	}
	if len(have) > 20 {
		have = append(have[:20], "...")
	}
	return nil, fmt.Errorf("--dim %s: no model checked has that symbolic dimension (they have: %s)",
		strings.Join(missing, ", "), strings.Join(have, ", "))
}
