// Package onnxtest runs ONNX backend-test folders against backplane's
// importer and backends.
//
// A test folder is the layout of the ONNX repository's backend tests
// (onnx/backend/test/data): a model.onnx next to test_data_set_0/,
// test_data_set_1/, ... directories, each holding input_K.pb and output_K.pb
// serialized TensorProtos. Discover finds such folders and Run imports one
// model, runs every data set on one backend and compares the outputs.
//
// The package registers no backend: programs import the backends they want
// (backends/ref, backends/all) for their registration side effect, as with
// package runtime.
package onnxtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/backplane-ml/backplane/tensor"
)

// ModelFile is the name of the model in a test folder.
const ModelFile = "model.onnx"

// Case is one test folder.
type Case struct {
	Name      string    // the folder's base name, e.g. "test_relu"
	Dir       string    // the folder
	ModelPath string    // Dir/model.onnx
	DataSets  []DataSet // in the order of their number N (test_data_set_N)
}

// DataSet is one test_data_set_N directory: the paths of its input_K.pb and
// output_K.pb files, each list in the order of K.
type DataSet struct {
	Dir             string // the test_data_set_N directory
	Inputs, Outputs []string
}

// Tolerance is the closeness rule |got − want| ≤ ATol + RTol·|want| applied
// to floating-point outputs; integer and bool outputs must match exactly.
type Tolerance = tensor.Tolerance

// DefaultTolerance is what the check command uses unless told otherwise:
// ONNX's backend tests compare with rtol 1e-3 and atol 1e-7.
var DefaultTolerance = Tolerance{RTol: 1e-3, ATol: 1e-7}

// Discover returns the test folders at paths, sorted by name (then by
// directory, when two folders share a name). Each path is a test folder, a
// model.onnx inside one, or a directory searched recursively for test
// folders. A path that does not exist or holds no test folder is an error, so
// a mistyped path never passes as an empty, successful run. A folder reached
// through two paths is listed once.
func Discover(paths ...string) ([]Case, error) {
	if len(paths) == 0 {
		return nil, errors.New("onnxtest: no paths to search")
	}
	var cases []Case
	seen := map[string]bool{}
	add := func(c Case) {
		key, err := filepath.Abs(c.Dir)
		if err != nil {
			key = c.Dir
		}
		if !seen[key] {
			seen[key] = true
			cases = append(cases, c)
		}
	}
	for _, p := range paths {
		found, err := discoverPath(p)
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			add(c)
		}
	}
	slices.SortFunc(cases, func(a, b Case) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Dir, b.Dir)
	})
	return cases, nil
}

// discoverPath finds the test folders of one command-line path.
func discoverPath(p string) ([]Case, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("onnxtest: %w", err)
	}
	if !fi.IsDir() {
		if filepath.Base(p) != ModelFile {
			return nil, fmt.Errorf("onnxtest: %s is neither a directory nor a %s", p, ModelFile)
		}
		p = filepath.Dir(p)
	}
	c, ok, err := loadCase(p)
	if err != nil {
		return nil, err
	}
	if ok {
		return []Case{c}, nil
	}
	if _, err := os.Stat(filepath.Join(p, ModelFile)); err == nil {
		return nil, fmt.Errorf("onnxtest: %s has a %s but no test_data_set_N directories", p, ModelFile)
	}
	var cases []Case
	err = filepath.WalkDir(p, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || dir == p {
			return nil
		}
		c, ok, err := loadCase(dir)
		if err != nil {
			return err
		}
		if ok {
			cases = append(cases, c)
			return fs.SkipDir // its data sets are not test folders
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("onnxtest: searching %s: %w", p, err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("onnxtest: no ONNX test folders (%s with test_data_set_N directories) under %s", ModelFile, p)
	}
	return cases, nil
}

// loadCase reads dir as a test folder; ok is false when it is not one (no
// model.onnx or no data set).
func loadCase(dir string) (c Case, ok bool, err error) {
	model := filepath.Join(dir, ModelFile)
	if fi, err := os.Stat(model); err != nil || fi.IsDir() {
		return Case{}, false, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Case{}, false, fmt.Errorf("onnxtest: %w", err)
	}
	type numbered struct {
		n    int
		path string
	}
	var sets []numbered
	for _, e := range entries {
		if n, ok := fileNumber(e.Name(), "test_data_set_", ""); ok && e.IsDir() {
			sets = append(sets, numbered{n, filepath.Join(dir, e.Name())})
		}
	}
	if len(sets) == 0 {
		return Case{}, false, nil
	}
	slices.SortFunc(sets, func(a, b numbered) int { return a.n - b.n })
	c = Case{Name: filepath.Base(dir), Dir: dir, ModelPath: model}
	for _, s := range sets {
		files, err := os.ReadDir(s.path)
		if err != nil {
			return Case{}, false, fmt.Errorf("onnxtest: %w", err)
		}
		var ins, outs []numbered
		for _, f := range files {
			if f.IsDir() {
				continue
			}
			if n, ok := fileNumber(f.Name(), "input_", ".pb"); ok {
				ins = append(ins, numbered{n, filepath.Join(s.path, f.Name())})
			} else if n, ok := fileNumber(f.Name(), "output_", ".pb"); ok {
				outs = append(outs, numbered{n, filepath.Join(s.path, f.Name())})
			}
		}
		ds := DataSet{Dir: s.path}
		for _, list := range []*[]numbered{&ins, &outs} {
			slices.SortFunc(*list, func(a, b numbered) int { return a.n - b.n })
		}
		for _, f := range ins {
			ds.Inputs = append(ds.Inputs, f.path)
		}
		for _, f := range outs {
			ds.Outputs = append(ds.Outputs, f.path)
		}
		c.DataSets = append(c.DataSets, ds)
	}
	return c, true, nil
}

// fileNumber parses names of the form prefix + decimal number + suffix.
func fileNumber(name, prefix, suffix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	if digits, ok = strings.CutSuffix(digits, suffix); !ok || digits == "" {
		return 0, false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}
