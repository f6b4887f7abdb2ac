package models

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// Cost is the arithmetic work of one run of a model, computed from its graph.
type Cost struct {
	// MACs counts the multiply-accumulates of matmul, conv and conv_transpose:
	// the figure papers quote ("4.1 GMACs" for ResNet-50).
	MACs int64
	// FLOPs counts a multiply-accumulate as two operations and every other
	// arithmetic op by its per-element cost (see elementCost). Data movement
	// (reshape, transpose, concat, ...) counts zero.
	FLOPs int64
}

// elementCost is the operations per output element of ops that are not
// multiply-accumulate kernels. Transcendental functions count as one: the
// point is a stable, comparable figure for GFLOP/s, not a cycle model.
var elementCost = map[string]int64{
	"batch_norm":      2, // folded to a scale and a shift
	"layer_norm":      5, // mean, variance, subtract, divide, scale+shift
	"instance_norm":   5,
	"lrn":             5,
	"softmax":         4, // max-subtract, exp, sum, divide
	"log_softmax":     4,
	"gelu":            4,
	"selu":            2,
	"elu":             2,
	"hard_sigmoid":    2,
	"softplus":        2,
	"softsign":        2,
	"global_avg_pool": 0, // counted per input element below
	"global_max_pool": 0,
}

// zeroCost lists ops that only move or select data.
var zeroCost = map[string]bool{
	"reshape": true, "transpose": true, "concat": true, "split": true, "slice": true,
	"gather": true, "pad": true, "tile": true, "expand": true, "identity": true, "cast": true,
}

// FLOPs computes the cost of one run of a with its symbolic dimensions bound
// by dims (absent ones are 1), by running shape inference over the graph.
func FLOPs(a *runtime.Artifact, dims map[string]int) (Cost, error) {
	plan, err := a.Plan()
	if err != nil {
		return Cost{}, err
	}
	types, err := plan.InferTypes(a.InputTypes(dims))
	if err != nil {
		return Cost{}, err
	}
	var c Cost
	for _, idx := range plan.Order {
		n := &a.Nodes[idx]
		in := func(i int) ops.Type {
			if i < len(n.Inputs) && n.Inputs[i] != "" {
				return types[n.Inputs[i]]
			}
			return ops.Type{}
		}
		out := types[n.Outputs[0]]
		outN := int64(out.Shape.NumElements())
		switch {
		case n.Op == "matmul":
			a := in(0).Shape
			k := int64(1)
			if len(a) > 0 {
				k = int64(a[len(a)-1])
			}
			c.MACs += outN * k
		case n.Op == "conv":
			w := in(1).Shape
			if len(w) > 0 && w[0] > 0 {
				c.MACs += outN * int64(w.NumElements()/w[0])
			}
			if in(2).Shape != nil {
				c.FLOPs += outN // bias
			}
		case n.Op == "conv_transpose":
			w := in(1).Shape
			if len(w) > 0 && w[0] > 0 {
				c.MACs += int64(in(0).Shape.NumElements()) * int64(w.NumElements()/w[0])
			}
			if in(2).Shape != nil {
				c.FLOPs += outN
			}
		case n.Op == "max_pool" || n.Op == "avg_pool":
			taps := int64(1)
			for _, k := range n.Attrs.Ints("kernel_shape", nil) {
				taps *= int64(k)
			}
			c.FLOPs += outN * taps
		case n.Op == "global_avg_pool" || n.Op == "global_max_pool" ||
			len(n.Op) > 7 && n.Op[:7] == "reduce_" || n.Op == "argmax" || n.Op == "argmin":
			c.FLOPs += int64(in(0).Shape.NumElements())
		case zeroCost[n.Op]:
		default:
			cost, ok := elementCost[n.Op]
			if !ok {
				cost = 1 // add, mul, relu, exp, ...: one op per output element
			}
			c.FLOPs += outN * cost
		}
	}
	c.FLOPs += 2 * c.MACs
	if c.FLOPs < 0 || c.MACs < 0 {
		return Cost{}, fmt.Errorf("models: cost of %s overflows int64", a.Name)
	}
	return c, nil
}
