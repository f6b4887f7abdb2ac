package xla

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowering of det: Gaussian elimination with partial pivoting, unrolled
// over the M columns of the static M×M matrices, in float64 like ref. Rows
// are not swapped: step k picks the not-yet-used row of largest magnitude
// in column k as pivot row p_k and eliminates column k from every other
// unused row. The determinant is the product of the pivots times the sign
// of the permutation k → p_k (the parity of its inversions); a zero pivot
// makes it 0.

// detMaxSize bounds M: the lowering adds a fixed set of graph nodes per column.
const detMaxSize = 128

func init() {
	registerLowering("det", lowerDet)
	registerCheck("det", func(_ *engine, _ *runtime.Node, in, _ []ops.Type) error {
		if m := in[0].Shape[len(in[0].Shape)-1]; m > detMaxSize {
			return fmt.Errorf("det of %d×%d matrices: the lowering unrolls one elimination step per column, at most %d", m, m, detMaxSize)
		}
		return nil
	})
}

func lowerDet(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	g := c.Graph()
	xs := c.In[0].Shape
	m := xs[len(xs)-1]
	batch := c.Out[0].Shape.NumElements()
	gd, _ := toGoMLXDType(c.Out[0].DType)
	if m == 0 {
		return one(graph.Ones(g, shapes.Make(gd, c.Out[0].Shape...))), nil
	}
	f64 := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float64, v) }
	a := graph.Reshape(graph.ConvertDType(in[0], dtypes.Float64), batch, m, m)
	rows := graph.Iota(g, shapes.Make(dtypes.Int32, batch, m), 1)
	used := graph.Zeros(g, shapes.Make(dtypes.Bool, batch, m))
	det := graph.Ones(g, shapes.Make(dtypes.Float64, batch))
	singular := graph.Zeros(g, shapes.Make(dtypes.Bool, batch))
	perm := make([]*graph.Node, m)
	for k := range m {
		col := graph.Reshape(graph.Slice(a, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(k)), batch, m)
		mag := graph.Abs(col)
		mag = graph.Where(graph.IsNaN(mag), graph.BroadcastToDims(f64(math.Inf(1)), batch, m), mag) // NaN wins, as in ref
		mag = graph.Where(used, graph.BroadcastToDims(f64(-1), batch, m), mag)
		p := graph.ArgMax(mag, 1, dtypes.Int32)
		isP := graph.Equal(rows, graph.BroadcastToDims(graph.Reshape(p, batch, 1), batch, m))
		isP3 := graph.BroadcastToDims(graph.Reshape(isP, batch, m, 1), batch, m, m)
		prow := graph.ReduceSum(graph.Where(isP3, a, graph.ZerosLike(a)), 1) // [batch, m]: row p_k
		pivot := graph.Reshape(graph.Slice(prow, graph.AxisRange(), graph.AxisElem(k)), batch)
		zero := graph.Equal(pivot, f64(0))
		singular = graph.LogicalOr(singular, zero)
		safe := graph.Where(zero, graph.OnesLike(pivot), pivot)
		factor := graph.Div(col, graph.BroadcastToDims(graph.Reshape(safe, batch, 1), batch, m))
		factor3 := graph.BroadcastToDims(graph.Reshape(factor, batch, m, 1), batch, m, m)
		upd := graph.Sub(a, graph.Mul(factor3, graph.BroadcastToDims(graph.Reshape(prow, batch, 1, m), batch, m, m)))
		elim := graph.LogicalAnd(graph.LogicalNot(used), graph.LogicalNot(isP))
		elim3 := graph.BroadcastToDims(graph.Reshape(elim, batch, m, 1), batch, m, m)
		elim3 = graph.LogicalAnd(elim3, graph.NotEqual(factor3, graph.ZerosLike(factor3))) // ref skips zero factors (0·Inf)
		a = graph.Where(elim3, upd, a)
		used = graph.LogicalOr(used, isP)
		det = graph.Mul(det, pivot)
		perm[k] = graph.Reshape(p, batch, 1)
	}
	// sign of k → p_k: (-1)^(number of pairs a < b with p_a > p_b)
	ps := graph.Concatenate(perm, 1)
	pa := graph.BroadcastToDims(graph.Reshape(ps, batch, m, 1), batch, m, m)
	pb := graph.BroadcastToDims(graph.Reshape(ps, batch, 1, m), batch, m, m)
	sq := shapes.Make(dtypes.Int32, batch, m, m)
	before := graph.LessThan(graph.Iota(g, sq, 1), graph.Iota(g, sq, 2))
	inv := graph.LogicalAnd(before, graph.GreaterThan(pa, pb))
	count := graph.ReduceSum(graph.Where(inv, graph.OnesLike(pa), graph.ZerosLike(pa)), 1, 2)
	odd := graph.Equal(graph.BitwiseAnd(count, graph.OnesLike(count)), graph.OnesLike(count))
	det = graph.Where(odd, graph.Neg(det), det)
	det = graph.Where(singular, graph.ZerosLike(det), det)
	det = graph.Reshape(det, c.Out[0].Shape...)
	return one(narrowFromFloat64(c, det, c.Out[0].DType)), nil
}

// narrowFromFloat64 converts a float64 result to dtype d, rounding once: on
// xla, float16 and bfloat16 go through float32 rounded to odd (XLA's own
// conversion rounds twice).
func narrowFromFloat64(c *nodeCtx, x *graph.Node, d tensor.DType) *graph.Node {
	gd, _ := toGoMLXDType(d)
	if (d == tensor.Float16 || d == tensor.BFloat16) && c.Engine != GoMLXName {
		x32, beyond := float32Parts(x)
		return graph.ConvertDType(roundToOddFloat32(x32, beyond), gd)
	}
	return graph.ConvertDType(x, gd)
}
