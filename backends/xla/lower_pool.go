package xla

import (
	"math"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of max_pool, avg_pool, global_avg_pool and global_max_pool
// (ops/pool.go): window pools by taps on the pure-Go engine and by
// ReduceWindow on XLA (lower_window.go says why), with the geometry of
// ops.ResolvePool, the resolver the reference backend uses; global pools are
// plain reductions.

func init() {
	registerLowering("max_pool", lowerMaxPool)
	registerLowering("avg_pool", lowerAvgPool)
	registerLowering("global_avg_pool", lowerGlobalPool(true))
	registerLowering("global_max_pool", lowerGlobalPool(false))
}

// poolWindow is the window of a pooling geometry on x's shape. The resolved
// pads are the explicit ones; in ceil mode the last window may reach past
// the end padding, so the end padding grows by the overhang (ReduceWindow
// may then produce one position more than the output, which window.reduce
// slices off). Padding never counts: a max pads
// with its identity (or ReduceWindow skips it), a sum with zeros, and the
// divisor of a mean is computed separately (poolDivisor).
func poolWindow(x tensor.Shape, g ops.PoolGeometry) window {
	k := len(x) - 2
	w := window{dims: ones(len(x)), strides: ones(len(x)), dilations: ones(len(x)), pads: make([][2]int, len(x))}
	for i := range k {
		d, ek := x[2+i], g.Dilations[i]*(g.Kernel[i]-1)+1
		lo, hi := g.Pads[i], g.Pads[k+i]
		need := (g.Out[i]-1)*g.Strides[i] + ek // padded extent the last window reaches
		hi += max(0, need-(d+lo+hi))
		w.dims[2+i], w.strides[2+i], w.dilations[2+i] = g.Kernel[i], g.Strides[i], g.Dilations[i]
		w.pads[2+i] = [2]int{lo, hi}
	}
	return w
}

// lowerMaxPool takes the window maximum. A window holding no input element
// (possible with dilation) gives −Inf or the integer
// minimum, as the catalog says. NaN wins: the pure-Go engine's elementwise
// maximum is Go's max, which returns NaN when either operand is; with
// ReduceWindow, whose maximum's NaN rule is the engine's, a NaN is detected
// per window explicitly (a window maximum of isNaN) and selected.
func lowerMaxPool(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	g, err := ops.ResolvePool(c.In[0].Shape, c.Node.Attrs, false)
	if err != nil {
		return nil, err
	}
	out := c.Out[0].Shape
	if c.In[0].Shape.NumElements() == 0 {
		// Every window is made of padding only (empty spatial dims).
		return one(graph.BroadcastToDims(emptyMax(c), out...)), nil
	}
	w := poolWindow(c.In[0].Shape, g)
	if byTaps(c, w) {
		combine := graph.Max
		if c.Engine == XLAName && x.DType().IsFloat() {
			combine = maxNaN // XLA's maximum on CPU returns the other operand of a NaN
		}
		return one(w.combineTaps(x, emptyMax(c), combine, out)), nil
	}
	d := x.DType()
	// GoMLX v0.26.0's pure-Go engine starts an int8 window maximum from an
	// int16 (dtypes.Int8.LowestValue) and fails; int32 holds int8 exactly.
	x = widenInt8(x)
	y := w.reduce(c, x, gobackends.ReduceOpMax, out)
	if d == dtypes.Int8 {
		// An empty window gave int32's minimum; int8's is the catalog's.
		y = graph.ConvertDType(graph.Max(y, graph.Const(c.g, int32(math.MinInt8))), d)
	}
	if d.IsFloat() {
		hasNaN := w.reduce(c, graph.ConvertDType(graph.IsNaN(in[0]), d), gobackends.ReduceOpMax, out)
		y = graph.Where(graph.GreaterThan(hasNaN, graph.ScalarZero(c.g, d)), graph.Scalar(c.g, d, math.NaN()), y)
	}
	return one(y), nil
}

// maxNaN is the elementwise maximum where NaN wins, for engines whose
// maximum drops NaN operands.
func maxNaN(a, b *graph.Node) *graph.Node {
	return graph.Where(graph.IsNaN(a), a, graph.Where(graph.IsNaN(b), b, graph.Max(a, b)))
}

// emptyMax is the maximum of nothing for the output dtype: −Inf, or the
// integer dtype's minimum.
func emptyMax(c *nodeCtx) *graph.Node {
	d := c.Out[0].DType
	if d.IsFloat() {
		gd, _ := toGoMLXDType(d)
		return graph.Scalar(c.g, gd, math.Inf(-1))
	}
	lo, _ := tensor.IntRange(d)
	return intConst(c.g, d, lo)
}

// lowerAvgPool is a window sum divided by the count of positions the
// catalog counts: the window's taps inside the input, or with
// count_include_pad those inside the explicitly padded input (never the ceil
// mode overhang). The counts depend on shapes only, so they are computed
// here and enter the graph as a constant.
func lowerAvgPool(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := toFloat32(in[0]) // float16 and bfloat16 sum in float32, rounded once
	g, err := ops.ResolvePool(c.In[0].Shape, c.Node.Attrs, true)
	if err != nil {
		return nil, err
	}
	out := c.Out[0].Shape
	var sum *graph.Node
	switch w := poolWindow(c.In[0].Shape, g); {
	case c.In[0].Shape.NumElements() == 0:
		sum = graph.Zeros(c.g, shapes.Make(x.DType(), out...))
	case byTaps(c, w):
		sum = w.combineTaps(x, graph.ScalarZero(c.g, x.DType()), graph.Add, out)
	default:
		sum = w.reduce(c, x, gobackends.ReduceOpSum, out)
	}
	divShape := append([]int{1, 1}, g.Out...)
	divisor := graph.Reshape(graph.Const(c.g, poolDivisor(c.In[0].Shape, g)), divShape...)
	if x.DType() != dtypes.Float64 {
		divisor = graph.ConvertDType(divisor, x.DType()) // counts are small integers: exact
	}
	return one(graph.ConvertDType(graph.Div(sum, divisor), in[0].DType())), nil // 0/0 is NaN: a window with nothing to count
}

// poolDivisor returns, for each output position of the spatial dims (row
// major), the number of its window's taps that count. Windows are products
// of per-dim tap ranges, so the count is the product of per-dim counts.
func poolDivisor(x tensor.Shape, g ops.PoolGeometry) []float64 {
	k := len(x) - 2
	perDim := make([][]float64, k)
	for i := range k {
		d, lo, hi := x[2+i], 0, x[2+i]
		if g.CountIncludePad {
			lo, hi = -g.Pads[i], d+g.Pads[k+i]
		}
		perDim[i] = make([]float64, g.Out[i])
		for o := range g.Out[i] {
			start := o*g.Strides[i] - g.Pads[i]
			perDim[i][o] = float64(tapsIn(start, g.Dilations[i], g.Kernel[i], lo, hi))
		}
	}
	n := tensor.Shape(g.Out).NumElements()
	div := make([]float64, n)
	idx := make([]int, k)
	for p := range n {
		v := 1.0
		for i := range k {
			v *= perDim[i][idx[i]]
		}
		div[p] = v
		for i := k - 1; i >= 0; i-- { // row-major odometer
			if idx[i]++; idx[i] < g.Out[i] {
				break
			}
			idx[i] = 0
		}
	}
	return div
}

// tapsIn counts the taps start + j·dilation, j in [0, kernel), that lie in
// [lo, hi), without visiting them (a kernel can be huge).
func tapsIn(start, dilation, kernel, lo, hi int) int {
	first := 0
	if start < lo {
		first = (lo - start + dilation - 1) / dilation
	}
	if hi <= start {
		return 0
	}
	last := min(kernel, (hi-start-1)/dilation+1)
	return max(0, last-first)
}

// lowerGlobalPool reduces every spatial dim: a mean accumulated in float64
// and rounded once (as reduce_mean), or a maximum where NaN wins. Empty
// spatial dims give NaN (0/0) and −Inf.
func lowerGlobalPool(avg bool) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		d := x.DType()
		out := c.Out[0].Shape
		n := tensor.Shape(c.In[0].Shape[2:]).NumElements()
		if n == 0 {
			if avg {
				gd, _ := toGoMLXDType(c.Out[0].DType)
				return one(graph.BroadcastToDims(graph.Scalar(c.g, gd, math.NaN()), out...)), nil
			}
			return one(graph.BroadcastToDims(emptyMax(c), out...)), nil
		}
		axes := make([]int, x.Rank()-2)
		for i := range axes {
			axes[i] = 2 + i
		}
		var y *graph.Node
		if avg {
			y = graph.DivScalar(graph.ReduceSum(graph.ConvertDType(x, dtypes.Float64), axes...), float64(n))
			y = graph.ConvertDType(y, d)
		} else {
			y = graph.ReduceMax(x, axes...)
			hasNaN := graph.ReduceLogicalOr(graph.IsNaN(x), axes...)
			y = graph.Where(hasNaN, graph.Scalar(c.g, d, math.NaN()), y)
		}
		return one(graph.Reshape(y, out...)), nil
	}
}
