package xla

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
)

// Lowering of matmul (ops/matmul.go): numpy matmul semantics on DotGeneral.

func init() { registerLowering("matmul", lowerMatMul) }

func lowerMatMul(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	d, err := ops.ResolveMatMul(c.In[0].Shape, c.In[1].Shape)
	if err != nil {
		return nil, err
	}
	if d.K == 0 { // an empty sum: zeros (the engines refuse a zero-size contraction)
		return one(graph.BroadcastToDims(graph.ScalarZero(c.g, in[0].DType()), d.Out...)), nil
	}
	a := graph.Reshape(in[0], append(append([]int(nil), d.ABatch...), d.M, d.K)...)
	b := graph.Reshape(in[1], append(append([]int(nil), d.BBatch...), d.K, d.N)...)
	var y *graph.Node
	if d.BBatch.NumElements() == 1 {
		// b is one matrix (the common case: weights): fold a's batch into its
		// rows and multiply once, rather than broadcasting b over the batch.
		rows := d.ABatch.NumElements() * d.M
		y = graph.Dot(graph.Reshape(a, rows, d.K), graph.Reshape(b, d.K, d.N))
	} else {
		// Broadcast both to the full batch, flatten it into one batch axis.
		p := d.Batch.NumElements()
		a = graph.Reshape(broadcastTo(a, append(append(d.Batch.Clone(), d.M), d.K)), p, d.M, d.K)
		b = graph.Reshape(broadcastTo(b, append(append(d.Batch.Clone(), d.K), d.N)), p, d.K, d.N)
		y = graph.DotGeneral(a, []int{2}, []int{0}, b, []int{1}, []int{0})
	}
	return one(graph.Reshape(y, c.Out[0].Shape...)), nil
}
