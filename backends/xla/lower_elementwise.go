package xla

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Lowerings of the one-input elementwise ops (ops/elementwise.go).

func init() {
	// Ops whose GoMLX primitive has the catalog's meaning on every dtype the
	// catalog allows for them.
	direct := map[string]func(*graph.Node) *graph.Node{
		"neg":   graph.Neg,
		"exp":   graph.Exp,
		"log":   graph.Log,
		"sqrt":  graph.Sqrt,
		"tanh":  graph.Tanh,
		"floor": graph.Floor,
		"ceil":  graph.Ceil,
	}
	for op, f := range direct {
		registerLowering(op, unary(f))
	}
}

// unary lowers an op that is a single GoMLX function of its one input.
func unary(f func(*graph.Node) *graph.Node) loweringFunc {
	return func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		return one(f(in[0])), nil
	}
}
