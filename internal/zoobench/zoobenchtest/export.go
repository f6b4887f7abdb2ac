// Package zoobenchtest holds test helpers for code that puts zoo models on
// the ONNX Runtime peer.
package zoobenchtest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
)

// onnxOps maps the ops of the mlp and cnn zoo models to ONNX operators
// whose attributes have the same names and meaning (opset 13).
var onnxOps = map[string]string{
	"matmul": "MatMul", "add": "Add", "relu": "Relu", "softmax": "Softmax",
	"conv": "Conv", "max_pool": "MaxPool", "global_avg_pool": "GlobalAveragePool",
	"reshape": "Reshape",
}

// Export writes a as an opset-13 ONNX model, for the few ops the mlp and cnn
// zoo models use; any other op is an error. It is a test fixture, written
// independently of models/onnx, so that tests can drive the ONNX Runtime
// peer with zoo models; it is not the project's exporter.
func Export(a *runtime.Artifact) ([]byte, error) {
	g := &onnxpb.Graph{Name: a.Name}
	for _, v := range a.Inputs {
		vi, err := valueInfo(v)
		if err != nil {
			return nil, err
		}
		g.Inputs = append(g.Inputs, vi)
	}
	plan, err := a.Plan()
	if err != nil {
		return nil, err
	}
	types, err := plan.InferTypes(a.InputTypes(nil))
	if err != nil {
		return nil, err
	}
	for _, v := range a.Outputs {
		if !v.DType.Valid() { // outputs need not declare their type: take the inferred dtype, leave the shape open
			v = runtime.ValueInfo{Name: v.Name, DType: types[v.Name].DType}
		}
		vi, err := valueInfo(v)
		if err != nil {
			return nil, err
		}
		if len(v.Dims) == 0 {
			vi.Type.Tensor.Shape = nil
		}
		g.Outputs = append(g.Outputs, vi)
	}
	names := make([]string, 0, len(a.Initializers))
	for name := range a.Initializers {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic bytes
	for _, name := range names {
		t, err := onnxpb.FromTensor(name, a.Initializers[name])
		if err != nil {
			return nil, err
		}
		g.Initializers = append(g.Initializers, *t)
	}
	for i, n := range a.Nodes {
		op, ok := onnxOps[n.Op]
		if !ok {
			return nil, fmt.Errorf("zoobenchtest: node %q: op %s is not one this test exporter knows", n.Name, n.Op)
		}
		node := onnxpb.Node{Name: n.Name, OpType: op, Inputs: n.Inputs, Outputs: n.Outputs}
		if n.Op == "reshape" { // the target shape is an input in ONNX, an attribute here
			shape := fmt.Sprintf("reshape_shape_%d", i)
			dims := n.Attrs.Ints("shape", nil)
			vals := make([]int64, len(dims))
			for j, d := range dims {
				vals[j] = int64(d)
			}
			g.Initializers = append(g.Initializers, onnxpb.Tensor{Name: shape, Dims: []int64{int64(len(vals))},
				DataType: onnxpb.Int64, Int64Data: vals})
			node.Inputs = append(slices.Clone(n.Inputs), shape)
		} else {
			for _, k := range slices.Sorted(maps.Keys(n.Attrs)) {
				at, err := attribute(k, n.Attrs[k])
				if err != nil {
					return nil, fmt.Errorf("zoobenchtest: node %q: %w", n.Name, err)
				}
				node.Attributes = append(node.Attributes, at)
			}
		}
		g.Nodes = append(g.Nodes, node)
	}
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 13}},
		ProducerName: "backplane zoobenchtest", Graph: g}
	return onnxpb.EncodeModel(m)
}

// attribute converts one canonical attribute value (int, []int, float64).
func attribute(name string, v any) (onnxpb.Attribute, error) {
	switch v := v.(type) {
	case int:
		return onnxpb.Attribute{Name: name, Type: onnxpb.AttrInt, I: int64(v)}, nil
	case []int:
		ints := make([]int64, len(v))
		for i, x := range v {
			ints[i] = int64(x)
		}
		return onnxpb.Attribute{Name: name, Type: onnxpb.AttrInts, Ints: ints}, nil
	case float64:
		return onnxpb.Attribute{Name: name, Type: onnxpb.AttrFloat, F: float32(v)}, nil
	}
	return onnxpb.Attribute{}, fmt.Errorf("attribute %s: %T values are not exported", name, v)
}

// valueInfo declares a graph input or output, symbolic dims by name.
func valueInfo(v runtime.ValueInfo) (onnxpb.ValueInfo, error) {
	dt, err := onnxpb.DataTypeOf(v.DType)
	if err != nil {
		return onnxpb.ValueInfo{}, err
	}
	s := &onnxpb.Shape{}
	for _, d := range v.Dims {
		if d.Name != "" {
			s.Dims = append(s.Dims, onnxpb.Dim{Param: d.Name})
		} else {
			s.Dims = append(s.Dims, onnxpb.Dim{Value: int64(d.Size), HasValue: true})
		}
	}
	return onnxpb.ValueInfo{Name: v.Name, Type: &onnxpb.Type{Kind: "tensor",
		Tensor: &onnxpb.TensorType{ElemType: dt, Shape: s}}}, nil
}
