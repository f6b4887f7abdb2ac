package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/runtime"
)

func newCheckCmd() *cobra.Command {
	var backend string
	var rtol, atol float64
	var dimFlags []string
	c := &cobra.Command{
		Use:   "check [flags] PATH...",
		Short: "Run ONNX backend-test folders and compare the outputs",
		Long: "Runs ONNX backend-test folders (model.onnx with test_data_set_N/input_K.pb and\n" +
			"output_K.pb) and compares the outputs with |got-want| <= atol + rtol*|want|.\n" +
			"Each PATH is a test folder or a directory searched for them. Prints one line\n" +
			"per test and backend, then \"N passed, M failed, K skipped\"; exits 1 if any test failed.\n" +
			"Symbolic input dimensions are bound from --dim, else from each data set's input files.\n\n" +
			"The ONNX project's own test data is not in this repository: CI reads it from\n" +
			"../shared/testdata/onnx beside the clone (see the README).",
		Example: "  backplane check --backend ref ../shared/testdata/onnx\n" +
			"  backplane check ../shared/testdata/onnx/light/test_squeezenet --backend gomlx",
		Args: args(1, -1, "at least one PATH (a test folder or a directory holding them)"),
		RunE: action(func(cmd *cobra.Command, paths []string) error {
			stdout := cmd.OutOrStdout()
			if !validTolerance(rtol) || !validTolerance(atol) {
				return usagef("--rtol and --atol must be finite and >= 0 (got %g, %g)", rtol, atol)
			}
			backends, err := checkBackends(backend)
			if err != nil {
				return err
			}
			cases, err := onnxtest.Discover(paths...)
			if errors.Is(err, fs.ErrNotExist) {
				err = fmt.Errorf("%w\n(the ONNX backend-test data is not part of this repository: copy the folders of\n"+
					"onnx/backend/test/data from the ONNX repository, e.g. to ../shared/testdata/onnx; see the README)", err)
			}
			if err != nil {
				return &usageError{err}
			}
			dims, err := parseDims(dimFlags)
			if err != nil {
				return &usageError{err}
			}
			perCase, err := checkDimsPerCase(cases, dims)
			if err != nil {
				return &usageError{err}
			}
			tol := onnxtest.Tolerance{RTol: rtol, ATol: atol}
			counts := map[onnxtest.Status]int{}
			ctx := cmd.Context()
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
				return exitStatus(1)
			}
			return nil
		}),
	}
	f := c.Flags()
	f.StringVar(&backend, "backend", "all", "backend to check, or all for every backend available here")
	f.Float64Var(&rtol, "rtol", onnxtest.DefaultTolerance.RTol, "relative tolerance for floating-point outputs")
	f.Float64Var(&atol, "atol", onnxtest.DefaultTolerance.ATol, "absolute tolerance for floating-point outputs")
	f.StringArrayVar(&dimFlags, "dim", nil, "size of a symbolic dimension as NAME=N, for the models that have it (repeatable; a name no model has is an error); other dims are bound from each test's input files")
	_ = c.RegisterFlagCompletionFunc("backend", completeBackends("all"))
	return c
}

// checkBackends resolves --backend to backend names: an unknown name is a
// usage error, an unavailable one a failure.
func checkBackends(name string) ([]string, error) {
	if name == "all" {
		var names []string
		for _, b := range runtime.Backends() {
			if runtime.Availability(b) == nil {
				names = append(names, b.Name())
			}
		}
		if len(names) == 0 {
			return nil, errors.New("no backend is available here")
		}
		return names, nil
	}
	b, ok := runtime.Lookup(name)
	if !ok {
		return nil, usagef("unknown backend %q (registered: %s, or all)", name, strings.Join(runtime.BackendNames(), ", "))
	}
	if err := runtime.Availability(b); err != nil {
		return nil, fmt.Errorf("backend %q is not available here: %s", name, cause(err))
	}
	return []string{name}, nil
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
