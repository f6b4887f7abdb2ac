package onnx

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Test harness shared by the mapper tests: hand-written one-node (or small)
// ONNX graphs, imported and run on the reference backend.

// tin declares a float32 (or other dtype) graph input with static dims.
func tin(name string, d onnxpb.DataType, dims ...int64) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, v := range dims {
		s.Dims = append(s.Dims, onnxpb.Dim{Value: v, HasValue: true})
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: d, Shape: s}}}
}

// tout declares a graph output by name (types are inferred by the importer).
func tout(name string) onnxpb.ValueInfo { return onnxpb.ValueInfo{Name: name} }

// node builds a NodeProto; attrs are built with the a* helpers below.
func node(op string, inputs, outputs []string, attrs ...onnxpb.Attribute) onnxpb.Node {
	return onnxpb.Node{Name: op + "_node", OpType: op, Inputs: inputs, Outputs: outputs, Attributes: attrs}
}

func aInt(name string, v int64) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrInt, I: v}
}
func aInts(name string, v ...int64) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrInts, Ints: v}
}
func aFloat(name string, v float32) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrFloat, F: v}
}
func aFloats(name string, v ...float32) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrFloats, Floats: v}
}
func aString(name, v string) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrString, S: []byte(v)}
}
func aTensor(t *testing.T, name string, v *tensor.Tensor) onnxpb.Attribute {
	p, err := onnxpb.FromTensor("", v)
	require.NoError(t, err)
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrTensor, T: p}
}

// init converts a tensor into an initializer called name.
func initializer(t *testing.T, name string, v *tensor.Tensor) onnxpb.Tensor {
	p, err := onnxpb.FromTensor(name, v)
	require.NoError(t, err)
	return *p
}

// model assembles a ModelProto at the given default-domain opset.
func model(opset int64, nodes []onnxpb.Node, inputs, outputs []onnxpb.ValueInfo, inits ...onnxpb.Tensor) *onnxpb.Model {
	return &onnxpb.Model{
		IRVersion:    7,
		OpsetImports: []onnxpb.OpsetID{{Domain: "", Version: opset}},
		Graph:        &onnxpb.Graph{Name: "test", Nodes: nodes, Inputs: inputs, Outputs: outputs, Initializers: inits},
	}
}

// runModel imports m, then runs it on ref with inputs in graph-input order.
// The model goes through the wire format too, so encoding and decoding are
// exercised by every mapper test.
func runModel(t *testing.T, m *onnxpb.Model, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	art, err := Import(data, Options{Name: t.Name()})
	require.NoError(t, err)
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	mod, err := rt.Load(context.Background(), art)
	require.NoError(t, err)
	out, err := mod.Run(context.Background(), inputs...)
	require.NoError(t, err)
	return out
}

// requireClose checks got against hand-computed want values (float tolerance
// 1e-5 relative, 1e-6 absolute; integer and bool exact).
func requireClose(t *testing.T, got, want *tensor.Tensor) {
	t.Helper()
	cmp := tensor.Compare(got, want, tensor.Tolerance{RTol: 1e-5, ATol: 1e-6})
	require.True(t, cmp.Equal, "%v\ngot  %v\nwant %v", cmp, got, want)
}

// importErr imports m and returns the error, which must be an *Error.
func importErr(t *testing.T, m *onnxpb.Model) *Error {
	t.Helper()
	// Without templates: the mapper's refusal is what these tests check (a
	// template meets it again for a signature that does not fit).
	_, err := ImportModel(m, Options{Name: t.Name(), noTemplate: true})
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	return e
}
