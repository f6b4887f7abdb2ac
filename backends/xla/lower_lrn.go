package xla

import (
	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
)

// Lowering of lrn (ops/norm.go).

func init() { registerLowering("lrn", lowerLRN) }

// lowerLRN computes the square sums with a window sum along the channel axis
// (window size, stride 1, zero-padded floor((size−1)/2) before and
// ceil((size−1)/2) after, so channel c sums the channels c−floor(...) to
// c+ceil(...) that exist; by taps or ReduceWindow as lower_window.go says),
// then y = x / (bias + alpha/size · sum)^beta.
// float16 and bfloat16 compute in float32 and round once.
func lowerLRN(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	a := c.Node.Attrs
	size := a.Int("size", 1)
	alpha := a.Float("alpha", ops.LRNDefaultAlpha)
	beta := a.Float("beta", ops.LRNDefaultBeta)
	bias := a.Float("bias", ops.LRNDefaultBias)
	d := x.DType()
	if d == dtypes.Float16 || d == dtypes.BFloat16 {
		x = graph.ConvertDType(x, dtypes.Float32)
	}
	rank := x.Rank()
	w := window{dims: ones(rank), strides: ones(rank), dilations: ones(rank), pads: make([][2]int, rank)}
	w.dims[1] = size
	w.pads[1] = [2]int{(size - 1) / 2, size / 2}
	var sq *graph.Node
	if byTaps(c, w) {
		sq = w.combineTaps(graph.Square(x), graph.ScalarZero(c.g, x.DType()), graph.Add, x.Shape().Dimensions)
	} else {
		sq = w.reduce(c, graph.Square(x), gobackends.ReduceOpSum, x.Shape().Dimensions)
	}
	scale := graph.AddScalar(graph.MulScalar(sq, alpha/float64(size)), bias)
	y := graph.Div(x, graph.Pow(scale, graph.Scalar(c.g, x.DType(), beta)))
	return one(graph.ConvertDType(y, d)), nil
}
