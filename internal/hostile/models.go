// Package hostile builds the crafted model files and requests of issue 15's
// red-team pass: small files that try to make the importer, the runtime or a
// backend hang, exhaust memory, panic or blame the wrong party. Its tests
// run each attack and require a typed error (or, for legitimate non-finite
// outputs, a result from the fast backend); `backplane soak` mixes the
// request-level attacks into clean traffic.
//
// Everything is generated in memory or in a caller's temporary directory,
// with sparse files and FIFOs standing in for huge or endless data: nothing
// large is ever written.
package hostile

import (
	"fmt"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
)

// Opset is the ONNX opset the crafted models import.
const Opset = 17

func tensorInfo(name string, dt onnxpb.DataType, dims ...int64) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, d := range dims {
		s.Dims = append(s.Dims, onnxpb.Dim{Value: d, HasValue: true})
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: dt, Shape: s}}}
}

func untyped(name string) onnxpb.ValueInfo { return onnxpb.ValueInfo{Name: name} }

func model(name string, nodes []onnxpb.Node, inputs, outputs []onnxpb.ValueInfo, inits ...onnxpb.Tensor) *onnxpb.Model {
	return &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: Opset}},
		Graph: &onnxpb.Graph{Name: name, Nodes: nodes, Inputs: inputs, Outputs: outputs, Initializers: inits}}
}

func encode(m *onnxpb.Model) []byte {
	b, err := onnxpb.EncodeModel(m)
	if err != nil {
		panic(fmt.Sprintf("hostile: encoding a crafted model: %v", err)) // a bug in this package
	}
	return b
}

// ExternalDataModel is a model adding x (float32[n]) to an initializer w of n
// float32 whose data lives in the external file location.
func ExternalDataModel(location string, n int64) []byte {
	w := onnxpb.Tensor{Name: "w", Dims: []int64{n}, DataType: onnxpb.Float, DataLocation: onnxpb.DataExternal,
		ExternalData: []onnxpb.StringPair{{Key: "location", Value: location}}}
	return encode(model("external", []onnxpb.Node{{Name: "add", OpType: "Add", Inputs: []string{"x", "w"}, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, n)}, []onnxpb.ValueInfo{untyped("y")}, w))
}

// ConstantOfShapes is a model with count ConstantOfShape nodes each making
// 2^22 doubles (32 MiB) from a few bytes. With used false nothing reads them
// (the graph's output is Relu of its input); with used true they are summed
// into the output, so their memory is real and must fit the budget.
func ConstantOfShapes(count int, used bool) []byte {
	shape := onnxpb.Tensor{Name: "shape", Dims: []int64{1}, DataType: onnxpb.Int64, Int64Data: []int64{1 << 22}}
	one := onnxpb.Tensor{Name: "one", Dims: []int64{1}, DataType: onnxpb.Double, DoubleData: []float64{1}}
	nodes := []onnxpb.Node{}
	var names []string
	for i := range count {
		out := fmt.Sprintf("c%d", i)
		names = append(names, out)
		nodes = append(nodes, onnxpb.Node{Name: "cos" + out, OpType: "ConstantOfShape", Inputs: []string{"shape"}, Outputs: []string{out},
			Attributes: []onnxpb.Attribute{{Name: "value", Type: onnxpb.AttrTensor, T: &one}}})
	}
	inputs := []onnxpb.ValueInfo{tensorInfo("x", onnxpb.Double, 1<<22)}
	if used {
		nodes = append(nodes, onnxpb.Node{Name: "sum", OpType: "Sum", Inputs: append([]string{"x"}, names...), Outputs: []string{"y"}})
	} else {
		nodes = append(nodes, onnxpb.Node{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}})
	}
	return encode(model("constant-of-shapes", nodes, inputs, []onnxpb.ValueInfo{untyped("y")}, shape))
}

// LongTranspose is a Transpose whose perm attribute holds n ints.
func LongTranspose(n int) []byte {
	perm := make([]int64, n)
	for i := range perm {
		perm[i] = int64(i)
	}
	return encode(model("long-perm", []onnxpb.Node{{Name: "t", OpType: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"},
		Attributes: []onnxpb.Attribute{{Name: "perm", Type: onnxpb.AttrInts, Ints: perm}}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 2, 3)}, []onnxpb.ValueInfo{untyped("y")}))
}

// WideSum is one Sum node with n inputs, all the graph input x (float32[4]).
func WideSum(n int) []byte {
	in := make([]string, n)
	for i := range in {
		in[i] = "x"
	}
	return encode(model("wide-sum", []onnxpb.Node{{Name: "sum", OpType: "Sum", Inputs: in, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 4)}, []onnxpb.ValueInfo{untyped("y")}))
}

// ReduceOverflow is ReduceMax with keepdims over the zero-size axis of
// float32[0, 2^40-1, 2^40-1]: the output would be [1, 2^40-1, 2^40-1],
// whose element count wraps int64.
func ReduceOverflow() []byte {
	return encode(model("reduce-overflow", []onnxpb.Node{{Name: "rmax", OpType: "ReduceMax", Inputs: []string{"x"}, Outputs: []string{"y"},
		Attributes: []onnxpb.Attribute{{Name: "keepdims", Type: onnxpb.AttrInt, I: 1}, {Name: "axes", Type: onnxpb.AttrInts, Ints: []int64{0}}}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 0, 1<<40-1, 1<<40-1)}, []onnxpb.ValueInfo{untyped("y")}))
}

// HugeExpand is an 84-byte-class model expanding a float32 scalar input to
// n elements, then negating it: small on disk, n×4 bytes per value at run
// time (two such values live at once around the Neg).
func HugeExpand(n int64) []byte {
	shape := onnxpb.Tensor{Name: "shape", Dims: []int64{1}, DataType: onnxpb.Int64, Int64Data: []int64{n}}
	return encode(model("huge-expand", []onnxpb.Node{
		{Name: "expand", OpType: "Expand", Inputs: []string{"x", "shape"}, Outputs: []string{"e"}},
		{Name: "neg", OpType: "Neg", Inputs: []string{"e"}, Outputs: []string{"y"}},
	}, []onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 1)}, []onnxpb.ValueInfo{untyped("y")}, shape))
}
