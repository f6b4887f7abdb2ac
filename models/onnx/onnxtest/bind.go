package onnxtest

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// inputDecl is what a test needs of a model's graph inputs before importing
// it: their names, in order, and the names of their symbolic dimensions.
type inputDecl struct {
	infos []runtime.ValueInfo // names only, in graph-input order (initializers excluded)
	dims  [][]string          // per input, per axis: the symbolic name, or "" for a fixed size
}

// modelInputs reads the graph inputs of an ONNX model file.
func modelInputs(path string) (*inputDecl, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := onnxpb.DecodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("%s: model has no graph", path)
	}
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializers {
		inits[t.Name] = true
	}
	d := &inputDecl{}
	for _, in := range m.Graph.Inputs {
		if inits[in.Name] {
			continue
		}
		var names []string
		if in.Type != nil && in.Type.Tensor != nil && in.Type.Tensor.Shape != nil {
			for axis, dim := range in.Type.Tensor.Shape.Dims {
				switch {
				case dim.HasValue:
					names = append(names, "")
				case dim.Param != "":
					names = append(names, dim.Param)
				default:
					names = append(names, onnx.DimName(in.Name, axis))
				}
			}
		}
		d.infos = append(d.infos, runtime.ValueInfo{Name: in.Name})
		d.dims = append(d.dims, names)
	}
	return d, nil
}

// bind returns the sizes of the symbolic dimensions: given ones first, the
// rest from the shapes of feed (in graph-input order). Two inputs that give
// one dimension different sizes are an error.
func (d *inputDecl) bind(given map[string]int, feed []*tensor.Tensor) (map[string]int, error) {
	bind := maps.Clone(given)
	if bind == nil {
		bind = map[string]int{}
	}
	from := map[string]string{}
	for i, names := range d.dims {
		if i >= len(feed) || feed[i] == nil || len(feed[i].Shape()) != len(names) {
			continue // a rank mismatch is reported by the run, naming the input
		}
		for axis, name := range names {
			if name == "" {
				continue
			}
			if _, ok := given[name]; ok {
				continue
			}
			size := feed[i].Shape()[axis]
			if prev, ok := bind[name]; ok && prev != size {
				return nil, fmt.Errorf("dimension %s is %d in input %q but %d in input %q", name, prev, from[name], size, d.infos[i].Name)
			}
			bind[name], from[name] = size, d.infos[i].Name
		}
	}
	return bind, nil
}

// ModelDims returns the names of the symbolic dimensions of the graph inputs
// of an ONNX model file, as onnx.Options.Dims names them.
func ModelDims(path string) ([]string, error) {
	d, err := modelInputs(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, dims := range d.dims {
		for _, n := range dims {
			if n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names, nil
}
