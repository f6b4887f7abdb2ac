package onnxtest

import (
	"fmt"
	"os"
	"slices"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// inputDecl is what ModelDims reads of a model's graph inputs without
// importing it: the names of their symbolic dimensions.
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

// bindFromData returns the sizes of the symbolic dims of decl (an imported
// model's inputs) as feed (in the same order) gives them. Two inputs that
// give one dimension different sizes are an error; a rank that does not fit
// is left for the run to report, naming the input.
func bindFromData(decl []runtime.ValueInfo, feed []*tensor.Tensor) (map[string]int, error) {
	bind := map[string]int{}
	from := map[string]string{}
	for i, in := range decl {
		if i >= len(feed) || feed[i] == nil || len(feed[i].Shape()) != len(in.Dims) {
			continue
		}
		for axis, d := range in.Dims {
			if !d.IsSymbolic() {
				continue
			}
			size := feed[i].Shape()[axis]
			if prev, ok := bind[d.Name]; ok && prev != size {
				return nil, fmt.Errorf("dimension %s is %d in input %q but %d in input %q", d.Name, prev, from[d.Name], size, in.Name)
			}
			bind[d.Name], from[d.Name] = size, in.Name
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
