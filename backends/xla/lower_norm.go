package xla

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of batch_norm, instance_norm and layer_norm (ops/norm.go).
//
// Precision: layer_norm and instance_norm compute their mean and variance in
// float64 (two passes, like the reference backend), because a float32 sum
// over a long row loses the digits that the subtraction of the mean then
// exposes. batch_norm has no reduction: its per-channel factor and offset
// are computed in float64 from the running statistics, rounded once, and the
// per-element work is one multiply-add in the input's dtype.

func init() {
	registerLowering("batch_norm", lowerBatchNorm)
	registerLowering("instance_norm", lowerInstanceNorm)
	registerLowering("layer_norm", lowerLayerNorm)
}

func normEpsilon(c *nodeCtx) float64 { return c.Node.Attrs.Float("epsilon", 1e-5) }

// channelShape is [1, C, 1, ...] for a rank-r input: per-channel vectors
// broadcast over the batch and spatial axes.
func channelShape(c int, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1
	}
	s[1] = c
	return s
}

// y = x·a + b with a = scale/sqrt(var+eps) and b = bias − mean·a per channel.
func lowerBatchNorm(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	d := x.DType()
	f64 := func(n *graph.Node) *graph.Node { return graph.ConvertDType(n, dtypes.Float64) }
	scale, bias, mean, variance := f64(in[1]), f64(in[2]), f64(in[3]), f64(in[4])
	a := graph.Div(scale, graph.Sqrt(graph.AddScalar(variance, normEpsilon(c))))
	b := graph.Sub(bias, graph.Mul(mean, a))
	cs := channelShape(c.In[0].Shape[1], x.Rank())
	a = graph.Reshape(graph.ConvertDType(a, d), cs...)
	b = graph.Reshape(graph.ConvertDType(b, d), cs...)
	if d == dtypes.Float16 || d == dtypes.BFloat16 {
		// A half-precision product and sum round twice; do them in float32.
		x32 := graph.ConvertDType(x, dtypes.Float32)
		a32, b32 := graph.ConvertDType(a, dtypes.Float32), graph.ConvertDType(b, dtypes.Float32)
		return one(graph.ConvertDType(graph.Add(graph.Mul(x32, a32), b32), d)), nil
	}
	return one(graph.Add(graph.Mul(x, a), b)), nil
}

// standardize returns (x − mean)/sqrt(var + eps) over axes, in float64.
func standardize(x *graph.Node, eps float64, axes ...int) *graph.Node {
	x = graph.ConvertDType(x, dtypes.Float64)
	mean := graph.ReduceAndKeep(x, graph.ReduceMean, axes...)
	centered := graph.Sub(x, mean)
	variance := graph.ReduceAndKeep(graph.Mul(centered, centered), graph.ReduceMean, axes...)
	return graph.Div(centered, graph.Sqrt(graph.AddScalar(variance, eps)))
}

func lowerInstanceNorm(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	d := x.DType()
	rank := x.Rank()
	var spatial []int
	for k := 2; k < rank; k++ {
		spatial = append(spatial, k)
	}
	y := standardize(x, normEpsilon(c), spatial...) // spatial is not empty: an empty x never gets here
	cs := channelShape(c.In[0].Shape[1], rank)
	scale := graph.Reshape(graph.ConvertDType(in[1], dtypes.Float64), cs...)
	bias := graph.Reshape(graph.ConvertDType(in[2], dtypes.Float64), cs...)
	return one(graph.ConvertDType(graph.Add(graph.Mul(y, scale), bias), d)), nil
}

func lowerLayerNorm(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	d := x.DType()
	shape := c.In[0].Shape
	axis, err := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", -1), len(shape))
	if err != nil {
		return nil, err
	}
	if shape[axis:].NumElements() == 0 {
		return one(zerosOf(c, c.Out[0])), nil
	}
	var axes []int
	for k := axis; k < len(shape); k++ {
		axes = append(axes, k)
	}
	y := standardize(x, normEpsilon(c), axes...)
	// scale and bias broadcast (numpy-style) to shape[axis:], i.e. against
	// the trailing axes of x.
	y = graph.Mul(y, graph.ExpandLeftToRank(graph.ConvertDType(in[1], dtypes.Float64), len(shape)))
	if len(in) > 2 && in[2] != nil {
		y = graph.Add(y, graph.ExpandLeftToRank(graph.ConvertDType(in[2], dtypes.Float64), len(shape)))
	}
	return one(graph.ConvertDType(y, d)), nil
}
