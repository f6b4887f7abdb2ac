package onnxtest

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Status is the outcome of one test on one backend.
type Status string

// The outcomes. Skip is reserved for tests whose values are not numeric
// tensors (string tensors, sequences, maps, optionals), which backplane does
// not represent; every other problem is a failure.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Result is the outcome of running one Case on one backend.
type Result struct {
	Case    Case
	Backend string
	Status  Status
	// MaxAbsErr and MaxRelErr are the largest |got−want| and |got−want|/|want|
	// over every output compared (see tensor.Comparison).
	MaxAbsErr, MaxRelErr float64
	// Reason says in one line why the test failed or was skipped; empty on Pass.
	Reason string
}

// Run imports c's model, loads it on a runtime restricted to backend, runs
// every data set and compares each output with tol.
//
// Inputs are matched to the model's graph inputs (initializers excluded) by
// their TensorProto name when it is set, else by position; outputs likewise.
// A dtype or shape that differs from the expected output is a failure. Run
// never panics: a panic anywhere below it becomes a failure.
func Run(ctx context.Context, c Case, backend string, tol Tolerance) (r Result) {
	return RunWith(ctx, c, backend, Options{Tolerance: tol})
}

// Options configure RunWith.
type Options struct {
	Tolerance Tolerance
	// Dims binds symbolic dimensions of the model's inputs by name, as
	// onnx.Options.Dims does; a name the model does not have fails the test.
	// Dimensions not bound here are bound from each data set's input files.
	Dims map[string]int
}

// RunWith is Run with options. The model is imported with its symbolic
// dimensions bound: from opt.Dims, then, for those left, from the shapes of
// each data set's input files (one import per distinct binding), so a test
// never depends on sizes guessed by the importer.
func RunWith(ctx context.Context, c Case, backend string, opt Options) (r Result) {
	tol := opt.Tolerance
	r = Result{Case: c, Backend: backend}
	defer func() {
		if p := recover(); p != nil {
			r.Status, r.Reason = Fail, fmt.Sprintf("panic: %v", p)
		}
	}()
	fail := func(format string, args ...any) Result {
		r.Status, r.Reason = Fail, fmt.Sprintf(format, args...)
		return r
	}
	if len(c.DataSets) == 0 {
		return fail("no test data sets")
	}
	// One import first: a model without symbolic dims (most) is imported once.
	base, err := onnx.ImportFile(c.ModelPath, onnx.Options{Dims: opt.Dims})
	if err != nil {
		if why := nonTensorReason(c.ModelPath); why != "" {
			r.Status, r.Reason = Skip, why
			return r
		}
		return fail("%v", err)
	}
	rt, err := runtime.New(runtime.WithBackends(backend))
	if err != nil {
		return fail("%v", err)
	}
	defer rt.Close()
	loaded := map[string]*runtime.Model{} // by binding
	for _, ds := range c.DataSets {
		set := filepath.Base(ds.Dir)
		feed, skip, err := readValues(ds, ds.Inputs, "input", base.Inputs)
		if err != nil || skip != "" {
			// Say what of the model is not a tensor; a sequence's file is no TensorProto.
			if why := nonTensorReason(c.ModelPath); why != "" {
				skip = why
			}
		}
		switch {
		case skip != "":
			r.Status, r.Reason = Skip, skip
			return r
		case err != nil:
			return fail("%v", err)
		}
		bind, err := bindFromData(base.Inputs, feed)
		if err != nil {
			return fail("%s: %v", set, err)
		}
		key := fmt.Sprint(bind)
		m := loaded[key]
		if m == nil {
			art := base
			if len(bind) > 0 {
				for k, v := range opt.Dims {
					bind[k] = v
				}
				if art, err = onnx.ImportFile(c.ModelPath, onnx.Options{Dims: bind}); err != nil {
					return fail("%v", err)
				}
			}
			if m, err = rt.Load(ctx, art); err != nil {
				return fail("load: %v", err)
			}
			loaded[key] = m
		}
		art := m.Artifact()
		want, skip, err := readValues(ds, ds.Outputs, "output", art.Outputs)
		switch {
		case skip != "":
			r.Status, r.Reason = Skip, skip
			return r
		case err != nil:
			return fail("%v", err)
		}
		got, _, err := m.RunWithInfo(ctx, feed...)
		if err != nil {
			return fail("%s: run: %v", set, err)
		}
		for k, w := range want {
			cmp := tensor.Compare(got[k], w, tol)
			r.MaxAbsErr = math.Max(r.MaxAbsErr, cmp.MaxAbsErr)
			r.MaxRelErr = math.Max(r.MaxRelErr, cmp.MaxRelErr)
			if !cmp.Equal {
				return fail("%s: output %q: %v", set, art.Outputs[k].Name, cmp)
			}
		}
	}
	r.Status = Pass
	return r
}

// readValues reads the input_K.pb (or output_K.pb) files of one data set and
// orders them as decl: by TensorProto name when set, else by K. skip is set
// when a file holds a value backplane does not represent (a string tensor).
func readValues(ds DataSet, files []string, kind string, decl []runtime.ValueInfo) (vals []*tensor.Tensor, skip string, err error) {
	vals = make([]*tensor.Tensor, len(decl))
	from := make([]string, len(decl)) // file that filled each slot
	for k, path := range files {
		rel := relName(path)
		if n, ok := fileNumber(filepath.Base(path), kind+"_", ".pb"); !ok || n != k {
			return nil, "", fmt.Errorf("%s: %s files are not numbered 0 to %d", filepath.Base(ds.Dir), kind, len(files)-1)
		}
		name, t, skip, err := readTensor(path)
		if skip != "" || err != nil {
			return nil, skip, err
		}
		idx := k
		if name != "" {
			idx = indexOf(decl, name)
			if idx < 0 {
				return nil, "", fmt.Errorf("%s holds %q, which is not a model %s (the model's %ss: %s)",
					rel, name, kind, kind, declNames(decl))
			}
		} else if idx >= len(decl) {
			return nil, "", fmt.Errorf("%s: the data set has %d %s files but the model has %d %ss (%s)",
				filepath.Base(ds.Dir), len(files), kind, len(decl), kind, declNames(decl))
		}
		if from[idx] != "" {
			return nil, "", fmt.Errorf("%s and %s both hold %s %q", from[idx], rel, kind, decl[idx].Name)
		}
		vals[idx], from[idx] = t, rel
	}
	for i, v := range vals {
		if v == nil {
			return nil, "", fmt.Errorf("%s: no %s file for %s %q", filepath.Base(ds.Dir), kind, kind, decl[i].Name)
		}
	}
	return vals, "", nil
}

// readTensor decodes one serialized TensorProto file.
func readTensor(path string) (name string, t *tensor.Tensor, skip string, err error) {
	rel := relName(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, "", err
	}
	p, err := onnxpb.DecodeTensor(data)
	if err != nil {
		return "", nil, "", fmt.Errorf("%s: %w", rel, err)
	}
	if p.DataType == onnxpb.String {
		return "", nil, fmt.Sprintf("%s is a string tensor (backplane has numeric tensors only)", rel), nil
	}
	t, err = onnxpb.ToTensor(p, onnxpb.DirLoader(filepath.Dir(path)))
	if err != nil {
		return "", nil, "", fmt.Errorf("%s: %w", rel, err)
	}
	return p.Name, t, "", nil
}

// nonTensorReason explains why a model that failed to import works on values
// backplane does not represent (string tensors, sequences, maps, optionals),
// or returns "" when it does not, so the failure stands.
func nonTensorReason(modelPath string) string {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return ""
	}
	m, err := onnxpb.DecodeModel(data)
	if err != nil || m.Graph == nil {
		return ""
	}
	g := m.Graph
	for _, list := range []struct {
		kind string
		vals []onnxpb.ValueInfo
	}{{"input", g.Inputs}, {"output", g.Outputs}, {"value", g.ValueInfo}} {
		for _, v := range list.vals {
			if v.Type == nil {
				continue
			}
			switch {
			case v.Type.Kind == "sequence" || v.Type.Kind == "map" || v.Type.Kind == "optional":
				return fmt.Sprintf("graph %s %q is a %s (backplane has tensors only)", list.kind, v.Name, v.Type.Kind)
			case v.Type.Tensor != nil && v.Type.Tensor.ElemType == onnxpb.String:
				return fmt.Sprintf("graph %s %q is a string tensor (backplane has numeric tensors only)", list.kind, v.Name)
			}
		}
	}
	for _, t := range g.Initializers {
		if t.DataType == onnxpb.String {
			return fmt.Sprintf("initializer %q is a string tensor (backplane has numeric tensors only)", t.Name)
		}
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attributes {
			stringy := (a.T != nil && a.T.DataType == onnxpb.String) ||
				(n.OpType == "Constant" && a.Type == onnxpb.AttrStrings) || // value_strings
				(n.OpType == "Cast" && a.Name == "to" && a.I == int64(onnxpb.String))
			if stringy {
				return fmt.Sprintf("node %q (%s) makes a string tensor (backplane has numeric tensors only)", n.Name, n.OpType)
			}
		}
	}
	return ""
}

func indexOf(decl []runtime.ValueInfo, name string) int {
	for i, d := range decl {
		if d.Name == name {
			return i
		}
	}
	return -1
}

func declNames(decl []runtime.ValueInfo) string {
	names := make([]string, len(decl))
	for i, d := range decl {
		names[i] = fmt.Sprintf("%q", d.Name)
	}
	return strings.Join(names, ", ")
}

// relName shortens a data file path to test_data_set_N/file for messages.
func relName(path string) string {
	return filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path))
}
