package xla

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
)

// Lowerings of the one-input elementwise ops (ops/elementwise.go). Each is
// computed in the input's dtype; ref computes in float64 and rounds once, so
// results differ by rounding only (a few ulps, within the tolerances in
// tolerance.go).

func init() {
	// Ops whose GoMLX primitive has the catalog's meaning on every dtype the
	// catalog allows for them, NaN and integer wrap-around included.
	direct := map[string]func(*graph.Node) *graph.Node{
		"neg":        graph.Neg,
		"abs":        graph.Abs,
		"exp":        graph.Exp,
		"log":        graph.Log,
		"sqrt":       graph.Sqrt,
		"tanh":       graph.Tanh,
		"erf":        graph.Erf,
		"floor":      graph.Floor,
		"ceil":       graph.Ceil,
		"sigmoid":    graph.Sigmoid,
		"reciprocal": graph.Reciprocal,
		"not":        graph.LogicalNot,
	}
	for op, f := range direct {
		registerLowering(op, unary(f))
	}
	registerLowering("relu", unary(relu))
	registerLowering("sign", unary(sign))
	registerLowering("softplus", unary(softplus))
	registerLowering("softsign", unary(func(x *graph.Node) *graph.Node {
		return graph.Div(x, graph.OnePlus(graph.Abs(x)))
	}))
	registerLowering("gelu", lowerGelu)
	registerLowering("elu", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		alpha := c.Node.Attrs.Float("alpha", ops.EluDefaultAlpha)
		return one(graph.Where(isNegative(x), graph.MulScalar(graph.Expm1(x), alpha), x)), nil
	})
	registerLowering("selu", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		alpha := c.Node.Attrs.Float("alpha", ops.SeluDefaultAlpha)
		gamma := c.Node.Attrs.Float("gamma", ops.SeluDefaultGamma)
		// x > 0 is false for NaN, which then takes the expm1 branch: NaN either way.
		pos := graph.GreaterThan(x, graph.ScalarZero(x.Graph(), x.DType()))
		return one(graph.Where(pos, graph.MulScalar(x, gamma), graph.MulScalar(graph.Expm1(x), gamma*alpha))), nil
	})
	registerLowering("leaky_relu", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		alpha := c.Node.Attrs.Float("alpha", ops.LeakyReluDefaultAlpha)
		return one(graph.Where(isNegative(x), graph.MulScalar(x, alpha), x)), nil
	})
	registerLowering("hard_sigmoid", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		alpha := c.Node.Attrs.Float("alpha", ops.HardSigmoidDefaultAlpha)
		beta := c.Node.Attrs.Float("beta", ops.HardSigmoidDefaultBeta)
		y := graph.AddScalar(graph.MulScalar(x, alpha), beta)
		return one(keepNaN(x, graph.ClipScalar(y, 0, 1))), nil
	})
}

// unary lowers an op that is a single GoMLX function of its one input.
func unary(f func(*graph.Node) *graph.Node) loweringFunc {
	return func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		return one(f(in[0])), nil
	}
}

// isNegative is x < 0: false for NaN, so a Where on it keeps NaN in the
// "else" branch.
func isNegative(x *graph.Node) *graph.Node {
	return graph.LessThan(x, graph.ScalarZero(x.Graph(), x.DType()))
}

// keepNaN returns y where x is a number and x where x is NaN, for ops the
// catalog defines to keep NaN whatever an engine's min/max do with it.
func keepNaN(x, y *graph.Node) *graph.Node {
	if !x.DType().IsFloat() {
		return y
	}
	return graph.Where(graph.IsNaN(x), x, y)
}

// relu is max(0, x) with NaN kept: x < 0 is false for NaN.
func relu(x *graph.Node) *graph.Node {
	return graph.Where(isNegative(x), graph.ZerosLike(x), x)
}

// sign is −1, 0 or 1, and NaN for NaN, composed from comparisons so that no
// engine's treatment of NaN or −0 in its own sign matters.
func sign(x *graph.Node) *graph.Node {
	g, d := x.Graph(), x.DType()
	zero := graph.ScalarZero(g, d)
	s := graph.Sub(graph.ConvertDType(graph.GreaterThan(x, zero), d), graph.ConvertDType(graph.LessThan(x, zero), d))
	return keepNaN(x, s)
}

// softplus is log(1+e^x) as max(x,0)+log1p(e^-|x|), exact where the naive
// form overflows (x ≫ 0) or rounds to 0 (x ≪ 0), as ref computes it.
func softplus(x *graph.Node) *graph.Node {
	return graph.Add(graph.Max(x, graph.ScalarZero(x.Graph(), x.DType())), graph.Log1p(graph.Exp(graph.Neg(graph.Abs(x)))))
}

func lowerGelu(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	var inner *graph.Node
	if c.Node.Attrs.String("approximate", ops.GeluApproximateNone) == ops.GeluApproximateTanh {
		// 1 + tanh(√(2/π)·(x + 0.044715·x³))
		cube := graph.Mul(graph.Mul(x, x), x)
		inner = graph.OnePlus(graph.Tanh(graph.MulScalar(graph.Add(x, graph.MulScalar(cube, 0.044715)), math.Sqrt(2/math.Pi))))
	} else {
		// 1 + erf(x/√2)
		inner = graph.OnePlus(graph.Erf(graph.MulScalar(x, 1/math.Sqrt2)))
	}
	return one(graph.Mul(graph.MulScalar(x, 0.5), inner)), nil
}
