package onnx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// n0 is a node without inputs and with output y.
func n0(op string, attrs ...onnxpb.Attribute) onnxpb.Node {
	return node(op, nil, []string{"y"}, attrs...)
}

func TestElemConstant(t *testing.T) {
	big := tensor.MustFromSlice([]int64{1 << 40, -(1 << 62)}, 2)
	x := elemIn("x", elemF32([]int{2}, 1, 2))
	elemRun(t, []elemCase{
		// The value tensor is the output, whatever its dtype and shape.
		{"value", 6, []onnxpb.Node{n0("Constant", aTensor(t, "value", elemF32([]int{2, 2}, 1, 2, 3, 4)))}, nil,
			[]*tensor.Tensor{elemF32([]int{2, 2}, 1, 2, 3, 4)}},
		{"value-int64", 13, []onnxpb.Node{n0("Constant", aTensor(t, "value", big))}, nil, []*tensor.Tensor{big}},
		{"value-bool-scalar", 9, []onnxpb.Node{n0("Constant", aTensor(t, "value", tensor.Scalar(true)))}, nil,
			[]*tensor.Tensor{tensor.Scalar(true)}},
		{"value-empty", 11, []onnxpb.Node{n0("Constant", aTensor(t, "value", elemF32([]int{0, 2})))}, nil,
			[]*tensor.Tensor{elemF32([]int{0, 2})}},
		// Opset 12's typed attributes: float32 and int64 scalars and vectors.
		{"value_float", 12, []onnxpb.Node{n0("Constant", aFloat("value_float", 2.5))}, nil,
			[]*tensor.Tensor{tensor.Scalar(float32(2.5))}},
		{"value_floats", 13, []onnxpb.Node{n0("Constant", aFloats("value_floats", 1, -0.5))}, nil,
			[]*tensor.Tensor{elemF32([]int{2}, 1, -0.5)}},
		// Constant integers are data: 2^40 does not fit the 32-bit attribute readers.
		{"value_int", 12, []onnxpb.Node{n0("Constant", aInt("value_int", 1<<40))}, nil,
			[]*tensor.Tensor{tensor.Scalar(int64(1 << 40))}},
		{"value_ints", 21, []onnxpb.Node{n0("Constant", aInts("value_ints", 3, -1, 1<<40))}, nil,
			[]*tensor.Tensor{tensor.MustFromSlice([]int64{3, -1, 1 << 40}, 3)}},
		{"value_ints-empty", 12, []onnxpb.Node{n0("Constant", aInts("value_ints"))}, nil,
			[]*tensor.Tensor{tensor.MustFromSlice([]int64{}, 0)}},
		// A constant feeding a node: [1 2] + [10 20].
		{"into-add", 13, []onnxpb.Node{
			node("Constant", nil, []string{"c"}, aTensor(t, "value", elemF32([]int{2}, 10, 20))),
			node("Add", []string{"x", "c"}, []string{"y"})},
			[]elemVal{x}, []*tensor.Tensor{elemF32([]int{2}, 11, 22)}},
	})
}

func TestElemConstantOfShape(t *testing.T) {
	cos := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("ConstantOfShape", []string{"s"}, []string{"y"}, attrs...)
	}
	shape := func(dims ...int64) elemVal { return elemInit("s", tensor.MustFromSlice(dims, len(dims))) }
	elemRun(t, []elemCase{
		// Default value: float32 zeros.
		{"default", 9, []onnxpb.Node{cos()}, []elemVal{shape(2, 3)}, []*tensor.Tensor{elemF32([]int{2, 3}, 0, 0, 0, 0, 0, 0)}},
		// The value's dtype is the output's: int32 7s.
		{"int32", 9, []onnxpb.Node{cos(aTensor(t, "value", elemOf(tensor.Int32, []int{1}, 7)))}, []elemVal{shape(3)},
			[]*tensor.Tensor{elemOf(tensor.Int32, []int{3}, 7, 7, 7)}},
		{"bool-scalar-value", 20, []onnxpb.Node{cos(aTensor(t, "value", tensor.Scalar(true)))}, []elemVal{shape(1, 2)},
			[]*tensor.Tensor{elemBools([]int{1, 2}, true, true)}},
		// An empty shape makes a scalar.
		{"scalar", 9, []onnxpb.Node{cos(aTensor(t, "value", elemF32([]int{1}, 1.5)))}, []elemVal{shape()},
			[]*tensor.Tensor{tensor.Scalar(float32(1.5))}},
		{"zero-size", 9, []onnxpb.Node{cos()}, []elemVal{shape(2, 0)}, []*tensor.Tensor{elemF32([]int{2, 0})}},
		// The shape from a Constant node; the result feeds Add: [1 2] + 0.5.
		{"from-constant", 12, []onnxpb.Node{
			node("Constant", nil, []string{"s"}, aInts("value_ints", 2)),
			node("ConstantOfShape", []string{"s"}, []string{"h"}, aTensor(t, "value", elemF32([]int{1}, 0.5))),
			node("Add", []string{"x", "h"}, []string{"y"})},
			[]elemVal{elemIn("x", elemF32([]int{2}, 1, 2))}, []*tensor.Tensor{elemF32([]int{2}, 1.5, 2.5)}},
	})
}

// TestElemConstantOfShapeLarge checks that a result too big to fold at
// import becomes an expand node instead of an initializer.
func TestElemConstantOfShapeLarge(t *testing.T) {
	m, _ := elemModel(t, 9, []onnxpb.Node{node("ConstantOfShape", []string{"s"}, []string{"y"},
		aTensor(t, "value", tensor.Scalar(int8(3))))},
		[]elemVal{elemInit("s", tensor.MustFromSlice([]int64{2048, 4096}, 2))}, "y")
	art, err := ImportModel(m, Options{Name: t.Name()})
	require.NoError(t, err)
	require.Len(t, art.Nodes, 1)
	require.Equal(t, "expand", art.Nodes[0].Op)
	require.NotContains(t, art.Initializers, "y")
}

func TestElemConstantErrors(t *testing.T) {
	f := elemF32([]int{2}, 1, 2)
	s := func(v *tensor.Tensor) elemVal { return elemInit("s", v) }
	cos := func(attrs ...onnxpb.Attribute) []onnxpb.Node {
		return []onnxpb.Node{node("ConstantOfShape", []string{"s"}, []string{"y"}, attrs...)}
	}
	two := tensor.MustFromSlice([]int64{2}, 1)
	elemRunErrs(t, []elemErrCase{
		{"Constant/none", 13, []onnxpb.Node{n0("Constant")}, nil, ErrInvalidModel, "", "exactly one of"},
		{"Constant/two", 13, []onnxpb.Node{n0("Constant", aTensor(t, "value", f), aFloat("value_float", 1))}, nil,
			ErrInvalidModel, "", "exactly one of"},
		{"Constant/value_float-opset11", 11, []onnxpb.Node{n0("Constant", aFloat("value_float", 1))}, nil,
			ErrUnsupported, "", "introduced in opset 12"},
		{"Constant/value_string", 12, []onnxpb.Node{n0("Constant", aString("value_string", "hi"))}, nil,
			ErrUnsupported, "", "string tensors are not supported"},
		{"Constant/sparse_value", 13, []onnxpb.Node{n0("Constant",
			onnxpb.Attribute{Name: "sparse_value", Type: onnxpb.AttrSparseTensor})}, nil,
			ErrUnsupported, "", "sparse"},
		{"Constant/value-wrong-type", 13, []onnxpb.Node{n0("Constant", aFloat("value", 1))}, nil,
			ErrInvalidModel, "", `attribute "value" has type`},
		{"Constant/value_ints-wrong-type", 13, []onnxpb.Node{n0("Constant", aInt("value_ints", 1))}, nil,
			ErrInvalidModel, "", `attribute "value_ints" has type`},
		{"Constant/value-no-tensor", 13, []onnxpb.Node{n0("Constant",
			onnxpb.Attribute{Name: "value", Type: onnxpb.AttrTensor})}, nil,
			ErrInvalidModel, "", "has no tensor"},
		{"Constant/input", 13, []onnxpb.Node{node("Constant", []string{"x"}, []string{"y"}, aTensor(t, "value", f))},
			[]elemVal{elemIn("x", f)}, ErrInvalidModel, "", "has 1 inputs"},
		{"Constant/unknown-attr", 13, []onnxpb.Node{n0("Constant", aTensor(t, "value", f), aInt("extra", 1))}, nil,
			ErrUnsupported, "", `attribute "extra" is not supported`},
		// ConstantOfShape.
		{"ConstantOfShape/opset8", 8, cos(), []elemVal{s(two)}, ErrUnsupported, "", "introduced in opset 9"},
		{"ConstantOfShape/dynamic-shape", 9, cos(), []elemVal{elemIn("s", two)}, ErrUnsupported, "s", "known at import time"},
		{"ConstantOfShape/float-shape", 9, cos(), []elemVal{s(f)}, ErrInvalidModel, "s", "integer"},
		{"ConstantOfShape/2d-shape", 9, cos(), []elemVal{s(tensor.MustFromSlice([]int64{2, 2}, 1, 2))},
			ErrInvalidModel, "s", "1-D"},
		{"ConstantOfShape/negative", 9, cos(), []elemVal{s(tensor.MustFromSlice([]int64{2, -1}, 2))},
			ErrInvalidModel, "s", "negative"},
		{"ConstantOfShape/huge", 9, cos(), []elemVal{s(tensor.MustFromSlice([]int64{1 << 40, 1 << 40}, 2))},
			ErrInvalidModel, "s", "shape"},
		{"ConstantOfShape/two-values", 9, cos(aTensor(t, "value", f)), []elemVal{s(two)},
			ErrInvalidModel, "", "one element"},
		{"ConstantOfShape/missing-input", 9, []onnxpb.Node{n0("ConstantOfShape")}, nil,
			ErrInvalidModel, "", "has 0 inputs"},
	})
}
