package xla

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Lowerings of the broadcasting elementwise ops (ops/elementwise_binary.go).

func init() {
	direct := map[string]func(a, b *graph.Node) *graph.Node{
		"add": graph.Add,
		"sub": graph.Sub,
		"mul": graph.Mul,
	}
	for op, f := range direct {
		registerLowering(op, binary(f))
	}
}

// binary lowers an op that is a single GoMLX function of its two inputs,
// after numpy broadcasting.
func binary(f func(a, b *graph.Node) *graph.Node) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		a, b := broadcastPair(in[0], in[1])
		return one(f(a, b)), nil
	}
}

// broadcastPair prepares two operands for a GoMLX binary op under numpy's
// rules. GoMLX broadcasts a scalar against anything and, between operands of
// equal rank, a dimension of 1 against any size; numpy additionally aligns
// ranks from the right, so the lower-rank operand gets leading 1s.
func broadcastPair(a, b *graph.Node) (*graph.Node, *graph.Node) {
	if a.Rank() == b.Rank() || a.IsScalar() || b.IsScalar() {
		return a, b
	}
	if a.Rank() < b.Rank() {
		a = graph.ExpandLeftToRank(a, b.Rank())
	} else {
		b = graph.ExpandLeftToRank(b, a.Rank())
	}
	return a, b
}
