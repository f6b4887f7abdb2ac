package xla

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of the reductions, argmax/argmin and softmax/log_softmax
// (ops/reduce.go, ops/norm.go).

func init() {
	registerLowering("reduce_sum", lowerReduce(graph.ReduceSum, true))
	registerLowering("reduce_prod", lowerReduce(graph.ReduceMultiply, true))
	registerLowering("reduce_mean", lowerReduce(graph.ReduceSum, true))
	registerLowering("reduce_max", lowerReduce(graph.ReduceMax, false))
	registerLowering("reduce_min", lowerReduce(graph.ReduceMin, false))
	registerLowering("argmax", lowerArg(graph.ReduceMax))
	registerLowering("argmin", lowerArg(graph.ReduceMin))
	registerLowering("softmax", lowerSoftmax(false))
	registerLowering("log_softmax", lowerSoftmax(true))
}

// lowerReduce reduces over ops.ReduceAxes, then reshapes to the inferred
// output (which has or drops the reduced axes per keepdims). With accumulate
// set, floats are summed or multiplied in float64 and rounded once, as the
// catalog specifies: float32 accumulation over thousands of elements loses
// digits that cancellation then exposes. Integer sums and products wrap the
// same in the input's width as in int64 narrowed afterwards. max and min are
// exact in any width; a NaN among the reduced elements gives NaN.
func lowerReduce(reduce func(x *graph.Node, axes ...int) *graph.Node, accumulate bool) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		axes, err := ops.ReduceAxes(c.Node.Attrs, x.Rank())
		if err != nil {
			return nil, err
		}
		if len(axes) == 0 { // a rank-0 input reduces to itself
			return one(graph.Identity(x)), nil
		}
		n := 1 // elements reduced into each output element
		for _, a := range axes {
			n *= c.In[0].Shape[a]
		}
		if n == 0 {
			return one(emptyReduction(c)), nil
		}
		d := x.DType()
		if accumulate && d.IsFloat() {
			x = graph.ConvertDType(x, dtypes.Float64)
		}
		x = widenInt8(x)
		y := reduce(x, axes...)
		if c.Node.Op == "reduce_mean" {
			y = graph.DivScalar(y, float64(n))
		}
		if !accumulate && d.IsFloat() {
			hasNaN := graph.ReduceLogicalOr(graph.IsNaN(x), axes...)
			y = graph.Where(hasNaN, graph.Scalar(x.Graph(), d, math.NaN()), y)
		}
		if y.DType() != d {
			y = graph.ConvertDType(y, d)
		}
		return one(graph.Reshape(y, c.Out[0].Shape...)), nil
	}
}

// emptyReduction is the value of a reduction over no elements, as the
// catalog defines it: the operation's identity (0 for a sum, 1 for a
// product, −inf or the dtype's minimum for max, +inf or its maximum for min),
// and NaN (0/0) for a mean. Engines are not asked: their empty reductions
// differ, and the widened int8 of widenInt8 would come back wrapped.
func emptyReduction(c *nodeCtx) *graph.Node {
	d := c.Out[0].DType
	gd, _ := toGoMLXDType(d)
	v := map[string]float64{"reduce_sum": 0, "reduce_prod": 1, "reduce_mean": math.NaN(),
		"reduce_max": math.Inf(-1), "reduce_min": math.Inf(1)}[c.Node.Op]
	var s *graph.Node
	if d.IsFloat() {
		s = graph.Scalar(c.g, gd, v)
	} else {
		s = intConst(c.g, d, saturate(v, d))
	}
	return graph.BroadcastToDims(s, c.Out[0].Shape...)
}

// lowerArg finds the first (or, with select_last_index, the last) index of
// the extreme along the axis, composed from a reduction and a comparison so
// ties and NaN follow the catalog on every engine: a NaN ranks beyond every
// number, NaNs tie with each other.
func lowerArg(extreme func(x *graph.Node, axes ...int) *graph.Node) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		g := x.Graph()
		axis, err := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), x.Rank())
		if err != nil {
			return nil, err
		}
		x = widenInt8(x)
		keep := keepAxis(x, axis)
		m := graph.Reshape(extreme(x, axis), keep...)
		hit := graph.Equal(x, m)
		if x.DType().IsFloat() {
			nan := graph.IsNaN(x)
			anyNaN := graph.Reshape(graph.ReduceLogicalOr(nan, axis), keep...)
			hit = graph.Where(graph.BroadcastToDims(anyNaN, x.Shape().Dimensions...), nan, hit)
		}
		idx := graph.Iota(g, shapes.Make(dtypes.Int64, x.Shape().Dimensions...), axis)
		var pos *graph.Node
		if c.Node.Attrs.Int("select_last_index", 0) == 1 {
			pos = graph.ReduceMax(graph.Where(hit, idx, intConst(g, tensor.Int64, -1)), axis)
		} else {
			pos = graph.ReduceMin(graph.Where(hit, idx, intConst(g, tensor.Int64, int64(x.Shape().Dimensions[axis]))), axis)
		}
		return one(graph.Reshape(pos, c.Out[0].Shape...)), nil
	}
}

// widenInt8 converts int8 to int32 (exactly) for reductions: GoMLX v0.26.0's
// pure-Go ReduceMax starts from dtypes.Int8.LowestValue(), which is an int16,
// and panics on the type assertion.
func widenInt8(x *graph.Node) *graph.Node {
	if x.DType() == dtypes.Int8 {
		return graph.ConvertDType(x, dtypes.Int32)
	}
	return x
}

// keepAxis is x's dims with the axis set to 1.
func keepAxis(x *graph.Node, axis int) []int {
	dims := append([]int(nil), x.Shape().Dimensions...)
	dims[axis] = 1
	return dims
}

// lowerSoftmax is exp(x−m)/Σexp(x−m) (or its log, (x−m) − log Σexp(x−m))
// along the axis, m the maximum, so large inputs do not overflow. float16
// and bfloat16 compute in float32.
func lowerSoftmax(logOf bool) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		d := x.DType()
		axis, err := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", -1), x.Rank())
		if err != nil {
			return nil, err
		}
		if d == dtypes.Float16 || d == dtypes.BFloat16 {
			x = graph.ConvertDType(x, dtypes.Float32)
		}
		keep := keepAxis(x, axis)
		shifted := graph.Sub(x, graph.Reshape(graph.ReduceMax(x, axis), keep...))
		e := graph.Exp(shifted)
		sum := graph.Reshape(graph.ReduceSum(e, axis), keep...)
		var y *graph.Node
		if logOf {
			y = graph.Sub(shifted, graph.Log(sum))
		} else {
			y = graph.Div(e, sum)
		}
		if y.DType() != d {
			y = graph.ConvertDType(y, d)
		}
		return one(y), nil
	}
}
