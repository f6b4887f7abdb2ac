package onnx

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Test helpers of the elementwise mappers: one-node graphs whose values are
// either graph inputs (fed at run time) or initializers.

// elemVal is a value of a test graph: a graph input, or an initializer.
type elemVal struct {
	name string
	v    *tensor.Tensor
	init bool
}

func elemIn(name string, v *tensor.Tensor) elemVal   { return elemVal{name: name, v: v} }
func elemInit(name string, v *tensor.Tensor) elemVal { return elemVal{name: name, v: v, init: true} }

// elemOf builds a tensor of dtype d from float64 values (exact for the small
// integers and binary fractions the tests use).
func elemOf(d tensor.DType, shape []int, vals ...float64) *tensor.Tensor {
	t, err := tensor.FromFloat64s(d, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

func elemF32(shape []int, vals ...float64) *tensor.Tensor {
	return elemOf(tensor.Float32, shape, vals...)
}

func elemBools(shape []int, vals ...bool) *tensor.Tensor { return tensor.MustFromSlice(vals, shape...) }

// elemONNXType is the ONNX element type of a dtype.
func elemONNXType(t *testing.T, d tensor.DType) onnxpb.DataType {
	for _, o := range []onnxpb.DataType{onnxpb.Float, onnxpb.Double, onnxpb.Float16, onnxpb.BFloat16,
		onnxpb.Int8, onnxpb.Uint8, onnxpb.Int32, onnxpb.Int64, onnxpb.Bool} {
		if got, err := dtypeOf(o); err == nil && got == d {
			return o
		}
	}
	t.Fatalf("no ONNX type for %v", d)
	return onnxpb.Undefined
}

// elemModel builds a graph of nodes over vals with the given outputs, and
// returns the tensors to feed in graph-input order.
func elemModel(t *testing.T, opset int64, nodes []onnxpb.Node, vals []elemVal, outs ...string) (*onnxpb.Model, []*tensor.Tensor) {
	var ins, outInfo []onnxpb.ValueInfo
	var inits []onnxpb.Tensor
	var feeds []*tensor.Tensor
	for _, v := range vals {
		if v.init {
			inits = append(inits, initializer(t, v.name, v.v))
			continue
		}
		dims := make([]int64, v.v.Rank())
		for i, d := range v.v.Shape() {
			dims[i] = int64(d)
		}
		ins = append(ins, tin(v.name, elemONNXType(t, v.v.DType()), dims...))
		feeds = append(feeds, v.v)
	}
	for _, o := range outs {
		outInfo = append(outInfo, tout(o))
	}
	return model(opset, nodes, ins, outInfo, inits...), feeds
}

// elemCase is a graph run with hand-computed outputs; the graph outputs are
// the first len(want) outputs of the last node.
type elemCase struct {
	name  string
	opset int64
	nodes []onnxpb.Node
	vals  []elemVal
	want  []*tensor.Tensor
}

func elemRun(t *testing.T, cases []elemCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			last := tc.nodes[len(tc.nodes)-1]
			m, feeds := elemModel(t, tc.opset, tc.nodes, tc.vals, last.Outputs[:len(tc.want)]...)
			got := runModel(t, m, feeds...)
			require.Len(t, got, len(tc.want))
			for i := range got {
				requireClose(t, got[i], tc.want[i])
			}
		})
	}
}

// elemErrCase is a graph whose import must fail with kind at the last node,
// naming input (when set) and saying msg.
type elemErrCase struct {
	name  string
	opset int64
	nodes []onnxpb.Node
	vals  []elemVal
	kind  error
	input string
	msg   string
}

func elemRunErrs(t *testing.T, cases []elemErrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			last := tc.nodes[len(tc.nodes)-1]
			m, _ := elemModel(t, tc.opset, tc.nodes, tc.vals, last.Outputs[0])
			e := importErr(t, m)
			t.Log(e)
			require.Equal(t, tc.kind, e.Kind, "%v", e)
			require.Equal(t, last.Name, e.Node, "%v", e)
			require.Equal(t, last.OpType, e.OpType, "%v", e)
			require.Equal(t, tc.input, e.Input, "%v", e)
			require.Contains(t, e.Error(), tc.msg)
		})
	}
}

// n2 is a node with inputs a and b and output y.
func n2(op string, attrs ...onnxpb.Attribute) onnxpb.Node {
	return node(op, []string{"a", "b"}, []string{"y"}, attrs...)
}

func TestElemBinaryArithmetic(t *testing.T) {
	a23 := elemF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	a232 := elemF32([]int{2, 3, 2}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	elemRun(t, []elemCase{
		// [[1 2 3] [4 5 6]] + [10 20 30] broadcasts over rows.
		{"Add/broadcast", 13, []onnxpb.Node{n2("Add")},
			[]elemVal{elemIn("a", a23), elemIn("b", elemF32([]int{3}, 10, 20, 30))},
			[]*tensor.Tensor{elemF32([]int{2, 3}, 11, 22, 33, 14, 25, 36)}},
		// int32: [1 -2] + 5 = [6 3]; b is an initializer.
		{"Add/int32", 14, []onnxpb.Node{n2("Add")},
			[]elemVal{elemIn("a", elemOf(tensor.Int32, []int{2}, 1, -2)), elemInit("b", tensor.Scalar(int32(5)))},
			[]*tensor.Tensor{elemOf(tensor.Int32, []int{2}, 6, 3)}},
		// Zero-size: [0,3] + [3] is [0,3].
		{"Add/empty", 13, []onnxpb.Node{n2("Add")},
			[]elemVal{elemIn("a", elemF32([]int{0, 3})), elemIn("b", elemF32([]int{3}, 1, 2, 3))},
			[]*tensor.Tensor{elemF32([]int{0, 3})}},
		// Opset 6, broadcast=1 axis=1: B [100 200 300] runs along A's dim 1:
		// A[i,j,k] + B[j]: 0+100 1+100 2+200 3+200 4+300 5+300, 6+100 ...
		{"Add/opset6-axis", 6, []onnxpb.Node{n2("Add", aInt("broadcast", 1), aInt("axis", 1))},
			[]elemVal{elemIn("a", a232), elemIn("b", elemF32([]int{3}, 100, 200, 300))},
			[]*tensor.Tensor{elemF32([]int{2, 3, 2}, 100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311)}},
		// axis=-2 is axis 1 of a rank-3 A: same sums.
		{"Add/opset6-negative-axis", 6, []onnxpb.Node{n2("Add", aInt("broadcast", 1), aInt("axis", -2))},
			[]elemVal{elemIn("a", a232), elemInit("b", elemF32([]int{3}, 100, 200, 300))},
			[]*tensor.Tensor{elemF32([]int{2, 3, 2}, 100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311)}},
		// broadcast=1 without axis aligns B with A's trailing dims, as numpy.
		{"Add/opset6-suffix", 6, []onnxpb.Node{n2("Add", aInt("broadcast", 1))},
			[]elemVal{elemIn("a", a23), elemIn("b", elemF32([]int{3}, 10, 20, 30))},
			[]*tensor.Tensor{elemF32([]int{2, 3}, 11, 22, 33, 14, 25, 36)}},
		// broadcast=0 (the default): equal shapes, elementwise.
		{"Add/opset6-same-shape", 6, []onnxpb.Node{n2("Add")},
			[]elemVal{elemIn("a", a23), elemIn("b", a23)},
			[]*tensor.Tensor{elemF32([]int{2, 3}, 2, 4, 6, 8, 10, 12)}},
		// float64: [5 7 9] - [1 2 3] = [4 5 6].
		{"Sub/float64", 7, []onnxpb.Node{n2("Sub")},
			[]elemVal{elemIn("a", elemOf(tensor.Float64, []int{3}, 5, 7, 9)), elemIn("b", elemOf(tensor.Float64, []int{3}, 1, 2, 3))},
			[]*tensor.Tensor{elemOf(tensor.Float64, []int{3}, 4, 5, 6)}},
		// Opset 6 axis=0: [[1 2 3] [4 5 6]] - [1 2] per row: [0 1 2] [2 3 4].
		{"Sub/opset6-axis0", 6, []onnxpb.Node{n2("Sub", aInt("broadcast", 1), aInt("axis", 0))},
			[]elemVal{elemIn("a", a23), elemIn("b", elemF32([]int{2}, 1, 2))},
			[]*tensor.Tensor{elemF32([]int{2, 3}, 0, 1, 2, 2, 3, 4)}},
		// float16: [1.5 -2] * [2 0.25] = [3 -0.5].
		{"Mul/float16", 14, []onnxpb.Node{n2("Mul")},
			[]elemVal{elemIn("a", elemOf(tensor.Float16, []int{2}, 1.5, -2)), elemIn("b", elemOf(tensor.Float16, []int{2}, 2, 0.25))},
			[]*tensor.Tensor{elemOf(tensor.Float16, []int{2}, 3, -0.5)}},
		// [[1 2 3] [4 5 6]] * [[2] [-1]]: rows scaled by 2 and -1.
		{"Mul/column", 13, []onnxpb.Node{n2("Mul")},
			[]elemVal{elemIn("a", a23), elemIn("b", elemF32([]int{2, 1}, 2, -1))},
			[]*tensor.Tensor{elemF32([]int{2, 3}, 2, 4, 6, -4, -5, -6)}},
		// [1 -3 7 0] / 2 = [0.5 -1.5 3.5 0].
		{"Div/float32", 13, []onnxpb.Node{n2("Div")},
			[]elemVal{elemIn("a", elemF32([]int{4}, 1, -3, 7, 0)), elemInit("b", tensor.Scalar(float32(2)))},
			[]*tensor.Tensor{elemF32([]int{4}, 0.5, -1.5, 3.5, 0)}},
		// int64 division truncates toward zero: 7/2 = 3, -7/2 = -3.
		{"Div/int64", 13, []onnxpb.Node{n2("Div")},
			[]elemVal{elemIn("a", elemOf(tensor.Int64, []int{2}, 7, -7)), elemIn("b", elemOf(tensor.Int64, []int{1}, 2))},
			[]*tensor.Tensor{elemOf(tensor.Int64, []int{2}, 3, -3)}},
		// Opset 6 axis=0: [[2 4 6] [8 10 12]] / [1 2] per row.
		{"Div/opset6-axis0", 6, []onnxpb.Node{n2("Div", aInt("broadcast", 1), aInt("axis", 0))},
			[]elemVal{elemIn("a", elemF32([]int{2, 3}, 2, 4, 6, 8, 10, 12)), elemIn("b", elemF32([]int{2}, 1, 2))},
			[]*tensor.Tensor{elemF32([]int{2, 3}, 2, 4, 6, 4, 5, 6)}},
	})
}

// TestElemLegacyBroadcastSymbolic runs opset 6's axis broadcasting with a
// symbolic batch dim in B: the reshape copies it rather than fixing it.
func TestElemLegacyBroadcastSymbolic(t *testing.T) {
	sym := func(name string, dims ...onnxpb.Dim) onnxpb.ValueInfo {
		return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor",
			Tensor: &onnxpb.TensorType{ElemType: onnxpb.Float, Shape: &onnxpb.Shape{Dims: dims}}}}
	}
	n := onnxpb.Dim{Param: "N"}
	two := onnxpb.Dim{Value: 2, HasValue: true}
	m := model(6, []onnxpb.Node{n2("Mul", aInt("broadcast", 1), aInt("axis", 0))},
		[]onnxpb.ValueInfo{sym("a", n, two), sym("b", n)}, []onnxpb.ValueInfo{tout("y")})
	// N=3: [[1 2] [3 4] [5 6]] * [1 10 100] per row.
	got := runModel(t, m, elemF32([]int{3, 2}, 1, 2, 3, 4, 5, 6), elemF32([]int{3}, 1, 10, 100))
	requireClose(t, got[0], elemF32([]int{3, 2}, 1, 2, 30, 40, 500, 600))
}

func TestElemPow(t *testing.T) {
	elemRun(t, []elemCase{
		// [1 2 3]^2 = [1 4 9].
		{"float32", 13, []onnxpb.Node{n2("Pow")},
			[]elemVal{elemIn("a", elemF32([]int{3}, 1, 2, 3)), elemInit("b", tensor.Scalar(float32(2)))},
			[]*tensor.Tensor{elemF32([]int{3}, 1, 4, 9)}},
		// Opset 12: an int64 exponent is cast to the base's dtype: [2^3 3^2 4^0] = [8 9 1].
		{"int64-exponent", 12, []onnxpb.Node{n2("Pow")},
			[]elemVal{elemIn("a", elemF32([]int{3}, 2, 3, 4)), elemIn("b", elemOf(tensor.Int64, []int{3}, 3, 2, 0))},
			[]*tensor.Tensor{elemF32([]int{3}, 8, 9, 1)}},
		// float16 base, float64 exponent: [1.5^2 4^0.5] = [2.25 2].
		{"float16-base-float64-exponent", 15, []onnxpb.Node{n2("Pow")},
			[]elemVal{elemIn("a", elemOf(tensor.Float16, []int{2}, 1.5, 4)), elemIn("b", elemOf(tensor.Float64, []int{2}, 2, 0.5))},
			[]*tensor.Tensor{elemOf(tensor.Float16, []int{2}, 2.25, 2)}},
		// Integer bases: [2^3 3^2 (−2)^3 2^−1] = [8 9 −8 0] (0.5 truncates to 0).
		{"int32-base", 15, []onnxpb.Node{n2("Pow")},
			[]elemVal{elemIn("a", elemOf(tensor.Int32, []int{4}, 2, 3, -2, 2)), elemIn("b", elemOf(tensor.Int32, []int{4}, 3, 2, 3, -1))},
			[]*tensor.Tensor{elemOf(tensor.Int32, []int{4}, 8, 9, -8, 0)}},
		// int64 base, float exponent: [4^0.5 10^2 7^1.5] = [2 100 18] (18.52 truncates).
		{"int64-base-float-exponent", 15, []onnxpb.Node{n2("Pow")},
			[]elemVal{elemIn("a", elemOf(tensor.Int64, []int{3}, 4, 10, 7)), elemIn("b", elemF32([]int{3}, 0.5, 2, 1.5))},
			[]*tensor.Tensor{elemOf(tensor.Int64, []int{3}, 2, 100, 18)}},
		// Opset 6 axis=0: row 0 squared, row 1 to the first: [[1 4] [3 4]].
		{"opset6-axis0", 6, []onnxpb.Node{n2("Pow", aInt("broadcast", 1), aInt("axis", 0))},
			[]elemVal{elemIn("a", elemF32([]int{2, 2}, 1, 2, 3, 4)), elemIn("b", elemF32([]int{2}, 2, 1))},
			[]*tensor.Tensor{elemF32([]int{2, 2}, 1, 4, 3, 4)}},
	})
}

func TestElemCompareAndLogic(t *testing.T) {
	x := elemF32([]int{3}, 1, 2, 3)
	two := elemInit("b", tensor.Scalar(float32(2)))
	p, q := elemBools([]int{4}, true, true, false, false), elemBools([]int{4}, true, false, true, false)
	elemRun(t, []elemCase{
		// [1 2 3] == [1 0 3] (int64).
		{"Equal", 13, []onnxpb.Node{n2("Equal")},
			[]elemVal{elemIn("a", elemOf(tensor.Int64, []int{3}, 1, 2, 3)), elemIn("b", elemOf(tensor.Int64, []int{3}, 1, 0, 3))},
			[]*tensor.Tensor{elemBools([]int{3}, true, false, true)}},
		// Opset 6 axis=0: [[1 2] [3 4]] == [1 4] per row: [[T F] [F T]].
		{"Equal/opset6-axis0", 6, []onnxpb.Node{n2("Equal", aInt("broadcast", 1), aInt("axis", 0))},
			[]elemVal{elemIn("a", elemOf(tensor.Int32, []int{2, 2}, 1, 2, 3, 4)), elemIn("b", elemOf(tensor.Int32, []int{2}, 1, 4))},
			[]*tensor.Tensor{elemBools([]int{2, 2}, true, false, false, true)}},
		// [1 2 3] vs 2.
		{"Less", 13, []onnxpb.Node{n2("Less")}, []elemVal{elemIn("a", x), two},
			[]*tensor.Tensor{elemBools([]int{3}, true, false, false)}},
		{"Greater", 7, []onnxpb.Node{n2("Greater")}, []elemVal{elemIn("a", x), two},
			[]*tensor.Tensor{elemBools([]int{3}, false, false, true)}},
		// Opset 6 suffix broadcast: [[1 2] [3 4]] > [2 3]: [[F F] [T T]].
		{"Greater/opset6", 6, []onnxpb.Node{n2("Greater", aInt("broadcast", 1))},
			[]elemVal{elemIn("a", elemF32([]int{2, 2}, 1, 2, 3, 4)), elemIn("b", elemF32([]int{2}, 2, 3))},
			[]*tensor.Tensor{elemBools([]int{2, 2}, false, false, true, true)}},
		{"LessOrEqual", 12, []onnxpb.Node{n2("LessOrEqual")}, []elemVal{elemIn("a", x), two},
			[]*tensor.Tensor{elemBools([]int{3}, true, true, false)}},
		{"GreaterOrEqual", 16, []onnxpb.Node{n2("GreaterOrEqual")}, []elemVal{elemIn("a", x), two},
			[]*tensor.Tensor{elemBools([]int{3}, false, true, true)}},
		// Truth tables over (T,T) (T,F) (F,T) (F,F).
		{"And", 7, []onnxpb.Node{n2("And")}, []elemVal{elemIn("a", p), elemIn("b", q)},
			[]*tensor.Tensor{elemBools([]int{4}, true, false, false, false)}},
		{"Or", 7, []onnxpb.Node{n2("Or")}, []elemVal{elemIn("a", p), elemIn("b", q)},
			[]*tensor.Tensor{elemBools([]int{4}, true, true, true, false)}},
		{"Xor", 7, []onnxpb.Node{n2("Xor")}, []elemVal{elemIn("a", p), elemIn("b", q)},
			[]*tensor.Tensor{elemBools([]int{4}, false, true, true, false)}},
		// [[T F] [F F]] or [F T] per row: [[T T] [F T]].
		{"Or/broadcast", 7, []onnxpb.Node{n2("Or")},
			[]elemVal{elemIn("a", elemBools([]int{2, 2}, true, false, false, false)), elemIn("b", elemBools([]int{2}, false, true))},
			[]*tensor.Tensor{elemBools([]int{2, 2}, true, true, false, true)}},
		// Opset 6 axis=0: [[T T] [T F]] and [T F] per row: [[T T] [F F]].
		{"And/opset6-axis0", 6, []onnxpb.Node{n2("And", aInt("broadcast", 1), aInt("axis", 0))},
			[]elemVal{elemIn("a", elemBools([]int{2, 2}, true, true, true, false)), elemIn("b", elemBools([]int{2}, true, false))},
			[]*tensor.Tensor{elemBools([]int{2, 2}, true, true, false, false)}},
	})
}

func TestElemVariadic(t *testing.T) {
	xs := func(names ...string) []string { return names }
	a, b, c := elemF32([]int{3}, 1, 5, 3), elemF32([]int{3}, 4, 2, 6), tensor.Scalar(float32(2))
	elemRun(t, []elemCase{
		// [1 2] + [10 20] + [100] = [111 122].
		{"Sum/3", 13, []onnxpb.Node{node("Sum", xs("p", "q", "r"), xs("y"))},
			[]elemVal{elemIn("p", elemF32([]int{2}, 1, 2)), elemIn("q", elemF32([]int{2}, 10, 20)), elemIn("r", elemF32([]int{1}, 100))},
			[]*tensor.Tensor{elemF32([]int{2}, 111, 122)}},
		{"Sum/1", 6, []onnxpb.Node{node("Sum", xs("p"), xs("y"))},
			[]elemVal{elemIn("p", elemF32([]int{2}, 1, 2))}, []*tensor.Tensor{elemF32([]int{2}, 1, 2)}},
		// Opset 6: equal shapes. [1 5 3] + [4 2 6] = [5 7 9].
		{"Sum/opset6", 6, []onnxpb.Node{node("Sum", xs("p", "q"), xs("y"))},
			[]elemVal{elemIn("p", a), elemIn("q", b)}, []*tensor.Tensor{elemF32([]int{3}, 5, 7, 9)}},
		// max([1 5 3], [4 2 6], 2) = [4 5 6]; min = [1 2 2].
		{"Max", 13, []onnxpb.Node{node("Max", xs("p", "q", "r"), xs("y"))},
			[]elemVal{elemIn("p", a), elemIn("q", b), elemInit("r", c)}, []*tensor.Tensor{elemF32([]int{3}, 4, 5, 6)}},
		{"Min", 13, []onnxpb.Node{node("Min", xs("p", "q", "r"), xs("y"))},
			[]elemVal{elemIn("p", a), elemIn("q", b), elemInit("r", c)}, []*tensor.Tensor{elemF32([]int{3}, 1, 2, 2)}},
		// int32 (opset 12 on): max([-1 7], [3 -9]) = [3 7].
		{"Max/int32", 12, []onnxpb.Node{node("Max", xs("p", "q"), xs("y"))},
			[]elemVal{elemIn("p", elemOf(tensor.Int32, []int{2}, -1, 7)), elemIn("q", elemOf(tensor.Int32, []int{2}, 3, -9))},
			[]*tensor.Tensor{elemOf(tensor.Int32, []int{2}, 3, 7)}},
		{"Min/1", 8, []onnxpb.Node{node("Min", xs("p"), xs("y"))},
			[]elemVal{elemIn("p", a)}, []*tensor.Tensor{a}},
		// ([1 2] + [3 4] + [5 9]) / 3 = [9 15] / 3 = [3 5].
		{"Mean/3", 13, []onnxpb.Node{node("Mean", xs("p", "q", "r"), xs("y"))},
			[]elemVal{elemIn("p", elemF32([]int{2}, 1, 2)), elemIn("q", elemF32([]int{2}, 3, 4)), elemIn("r", elemF32([]int{2}, 5, 9))},
			[]*tensor.Tensor{elemF32([]int{2}, 3, 5)}},
		// float16, broadcast: ([1 2] + [2]) / 2 = [1.5 2].
		{"Mean/float16", 8, []onnxpb.Node{node("Mean", xs("p", "q"), xs("y"))},
			[]elemVal{elemIn("p", elemOf(tensor.Float16, []int{2}, 1, 2)), elemIn("q", elemOf(tensor.Float16, []int{1}, 2))},
			[]*tensor.Tensor{elemOf(tensor.Float16, []int{2}, 1.5, 2)}},
		{"Mean/1", 6, []onnxpb.Node{node("Mean", xs("p"), xs("y"))},
			[]elemVal{elemIn("p", a)}, []*tensor.Tensor{a}},
	})
}

// TestElemMeanRoundsOnce takes the mean of eleven float16 1.75s: the sums
// 3.5, 5.25, ..., 19.25 are exact in float16 and 19.25 / 11 = 1.75. With a
// rounded 1/11 (1489/16384 in float16) it would be 19.25 · 1489/16384 =
// 1.7494659..., which rounds to 1.7490234375, one ulp off.
func TestElemMeanRoundsOnce(t *testing.T) {
	var names []string
	var vals []elemVal
	for i := range 11 {
		names = append(names, fmt.Sprintf("x%d", i))
		vals = append(vals, elemIn(names[i], elemOf(tensor.Float16, []int{1}, 1.75)))
	}
	elemRun(t, []elemCase{{"float16", 13, []onnxpb.Node{node("Mean", names, []string{"y"})}, vals,
		[]*tensor.Tensor{elemOf(tensor.Float16, []int{1}, 1.75)}}})
}

func TestElemWhere(t *testing.T) {
	w := node("Where", []string{"c", "a", "b"}, []string{"y"})
	elemRun(t, []elemCase{
		// [T F T] ? [1 2 3] : -1.
		{"scalar-else", 9, []onnxpb.Node{w},
			[]elemVal{elemIn("c", elemBools([]int{3}, true, false, true)), elemIn("a", elemF32([]int{3}, 1, 2, 3)),
				elemInit("b", tensor.Scalar(float32(-1)))},
			[]*tensor.Tensor{elemF32([]int{3}, 1, -1, 3)}},
		// condition [[T] [F]] picks row 0 from x [1 2 3] and row 1 from y 0 (int64).
		{"broadcast", 16, []onnxpb.Node{w},
			[]elemVal{elemIn("c", elemBools([]int{2, 1}, true, false)), elemIn("a", elemOf(tensor.Int64, []int{3}, 1, 2, 3)),
				elemIn("b", elemOf(tensor.Int64, []int{1}, 0))},
			[]*tensor.Tensor{elemOf(tensor.Int64, []int{2, 3}, 1, 2, 3, 0, 0, 0)}},
	})
}

func TestElemPRelu(t *testing.T) {
	p := node("PRelu", []string{"x", "s"}, []string{"y"})
	ones := elemF32([]int{1, 2, 2}, -1, -1, -1, -1)
	slope2 := elemF32([]int{2}, 0.5, 2)
	elemRun(t, []elemCase{
		// [[-1 2] [-3 4]] with slope [0.5 0.25] along the last dim: [-0.5 2 -1.5 4].
		{"2d", 9, []onnxpb.Node{p},
			[]elemVal{elemIn("x", elemF32([]int{2, 2}, -1, 2, -3, 4)), elemInit("s", elemF32([]int{2}, 0.5, 0.25))},
			[]*tensor.Tensor{elemF32([]int{2, 2}, -0.5, 2, -1.5, 4)}},
		// A single shared slope 0.1: [-10 5] -> [-1 5].
		{"shared", 6, []onnxpb.Node{p},
			[]elemVal{elemIn("x", elemF32([]int{2}, -10, 5)), elemInit("s", elemF32([]int{1}, 0.1))},
			[]*tensor.Tensor{elemF32([]int{2}, -1, 5)}},
		// x [N=1, C=2, L=3], slope [C] = [0.5 2] per channel (ONNX's rule would
		// need L == C): channel 0 [-1 -2 3] -> [-0.5 -1 3]; channel 1 [-4 5 -6] -> [-8 5 -12].
		{"per-channel-opset9", 9, []onnxpb.Node{p},
			[]elemVal{elemIn("x", elemF32([]int{1, 2, 3}, -1, -2, 3, -4, 5, -6)), elemInit("s", slope2)},
			[]*tensor.Tensor{elemF32([]int{1, 2, 3}, -0.5, -1, 3, -8, 5, -12)}},
		{"per-channel-opset6", 6, []onnxpb.Node{p},
			[]elemVal{elemIn("x", elemF32([]int{1, 2, 3}, -1, -2, 3, -4, 5, -6)), elemIn("s", slope2)},
			[]*tensor.Tensor{elemF32([]int{1, 2, 3}, -0.5, -1, 3, -8, 5, -12)}},
		// NCHW [1,2,1,3], slope [0.5 3]: channel 0 [-2 2 -4] -> [-1 2 -2],
		// channel 1 [-2 2 -4] -> [-6 2 -12].
		{"per-channel-4d", 9, []onnxpb.Node{p},
			[]elemVal{elemIn("x", elemF32([]int{1, 2, 1, 3}, -2, 2, -4, -2, 2, -4)), elemInit("s", elemF32([]int{2}, 0.5, 3))},
			[]*tensor.Tensor{elemF32([]int{1, 2, 1, 3}, -1, 2, -2, -6, 2, -12)}},
		// x [1,2,2] and slope [2]: from opset 7 ONNX's rule fits (the last
		// dim): -1 · [0.5 2] per row. Opset 6 means per channel: rows scaled by 0.5, then 2.
		{"last-dim-opset7", 7, []onnxpb.Node{p}, []elemVal{elemIn("x", ones), elemInit("s", slope2)},
			[]*tensor.Tensor{elemF32([]int{1, 2, 2}, -0.5, -2, -0.5, -2)}},
		{"channel-opset6", 6, []onnxpb.Node{p}, []elemVal{elemIn("x", ones), elemInit("s", slope2)},
			[]*tensor.Tensor{elemF32([]int{1, 2, 2}, -0.5, -0.5, -2, -2)}},
		// float64 with a slope already shaped [C,1]: [[-4 4] [-4 4]] -> [[-1 4] [-2 4]].
		{"float64-shaped", 16, []onnxpb.Node{p},
			[]elemVal{elemIn("x", elemOf(tensor.Float64, []int{1, 2, 2}, -4, 4, -4, 4)),
				elemInit("s", elemOf(tensor.Float64, []int{2, 1}, 0.25, 0.5))},
			[]*tensor.Tensor{elemOf(tensor.Float64, []int{1, 2, 2}, -1, 4, -2, 4)}},
	})
}

func TestElemBinaryErrors(t *testing.T) {
	f := elemIn("a", elemF32([]int{2, 3}, 1, 2, 3, 4, 5, 6))
	g := elemIn("b", elemF32([]int{3}, 1, 2, 3))
	i32 := elemIn("a", elemOf(tensor.Int32, []int{2}, 1, 2))
	elemRunErrs(t, []elemErrCase{
		{"Add/one-input", 13, []onnxpb.Node{node("Add", []string{"a"}, []string{"y"})}, []elemVal{f},
			ErrInvalidModel, "", "has 1 inputs"},
		{"Add/omitted-input", 13, []onnxpb.Node{node("Add", []string{"a", ""}, []string{"y"})}, []elemVal{f},
			ErrInvalidModel, "", "required input 1 is omitted"},
		{"Add/legacy-attr-in-opset7", 7, []onnxpb.Node{n2("Add", aInt("broadcast", 1))}, []elemVal{f, g},
			ErrUnsupported, "", `attribute "broadcast" is not supported`},
		{"Add/legacy-axis-too-large", 6, []onnxpb.Node{n2("Add", aInt("broadcast", 1), aInt("axis", 2))}, []elemVal{f, g},
			ErrInvalidModel, "", "cannot start at axis 2"},
		{"Add/broadcast-wrong-type", 6, []onnxpb.Node{n2("Add", aFloat("broadcast", 1))}, []elemVal{f, g},
			ErrInvalidModel, "", `attribute "broadcast" has type`},
		{"Add/dtype-mismatch", 13, []onnxpb.Node{n2("Add")}, []elemVal{f, elemIn("b", elemOf(tensor.Int64, []int{3}, 1, 2, 3))},
			ErrInvalidModel, "b", "add"},
		{"Add/shape-mismatch", 13, []onnxpb.Node{n2("Add")}, []elemVal{f, elemIn("b", elemF32([]int{2}, 1, 2))},
			ErrInvalidModel, "b", "broadcast"},
		{"Add/two-outputs", 13, []onnxpb.Node{node("Add", []string{"a", "b"}, []string{"y", "z"})}, []elemVal{f, g},
			ErrUnsupported, "", "output 1"},
		{"LessOrEqual/opset11", 11, []onnxpb.Node{n2("LessOrEqual")}, []elemVal{f, g},
			ErrUnsupported, "", "introduced in opset 12"},
		{"And/not-bool", 7, []onnxpb.Node{n2("And")}, []elemVal{f, g}, ErrInvalidModel, "a", "bool"},
		{"Pow/bool-base", 13, []onnxpb.Node{n2("Pow")}, []elemVal{elemIn("a", elemBools([]int{2}, true, false)),
			elemIn("b", elemOf(tensor.Int32, []int{2}, 1, 2))}, ErrUnsupported, "a", "Pow with a base of dtype bool"},
		{"Sum/omitted", 13, []onnxpb.Node{node("Sum", []string{"a", ""}, []string{"y"})}, []elemVal{f},
			ErrInvalidModel, "", "input 1 is omitted"},
		{"Sum/none", 13, []onnxpb.Node{node("Sum", nil, []string{"y"})}, nil,
			ErrInvalidModel, "", "has no inputs"},
		{"Mean/int", 13, []onnxpb.Node{node("Mean", []string{"a", "b"}, []string{"y"})},
			[]elemVal{i32, elemIn("b", elemOf(tensor.Int32, []int{2}, 1, 2))}, ErrInvalidModel, "a", "float types only"},
		{"Max/shape-mismatch", 13, []onnxpb.Node{node("Max", []string{"a", "b"}, []string{"y"})},
			[]elemVal{f, elemIn("b", elemF32([]int{2}, 1, 2))}, ErrInvalidModel, "b", "broadcast"},
		{"Where/opset8", 8, []onnxpb.Node{node("Where", []string{"c", "a", "b"}, []string{"y"})},
			[]elemVal{elemIn("c", elemBools([]int{3}, true, false, true)), f, g}, ErrUnsupported, "", "introduced in opset 9"},
		{"Where/float-condition", 9, []onnxpb.Node{node("Where", []string{"c", "a", "b"}, []string{"y"})},
			[]elemVal{elemIn("c", elemF32([]int{3}, 1, 0, 1)), f, g}, ErrInvalidModel, "c", "bool"},
		{"PRelu/int", 9, []onnxpb.Node{node("PRelu", []string{"a", "b"}, []string{"y"})},
			[]elemVal{i32, elemIn("b", elemOf(tensor.Int32, []int{1}, 1))}, ErrUnsupported, "a", "only float inputs"},
		// A slope that broadcasts x to a bigger shape is not unidirectional.
		{"PRelu/slope-too-big", 9, []onnxpb.Node{node("PRelu", []string{"b", "a"}, []string{"y"})}, []elemVal{f, g},
			ErrInvalidModel, "a", "slope"},
	})
}
