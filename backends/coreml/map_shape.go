package coreml

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"google.golang.org/protobuf/encoding/protowire"
)

// Data movement and reductions. Shapes are static, so the layers get the
// resolved output shapes rather than the catalog's 0 / -1 conventions.

func init() {
	mappers["reshape"] = func(c *converter, n *runtime.Node) error {
		return c.simple(n, lReshapeStatic, func(w *wire) { w.ints(fReshapeTargetShape, c.shape(n.Outputs[0])) })
	}
	mappers["expand"] = func(c *converter, n *runtime.Node) error {
		return c.simple(n, lBroadcastToStatic, func(w *wire) { w.ints(fBroadcastTargetShape, c.shape(n.Outputs[0])) })
	}
	mappers["transpose"] = func(c *converter, n *runtime.Node) error {
		perm := ops.TransposePerm(n.Attrs, len(c.shape(n.Inputs[0])))
		return c.simple(n, lTranspose, func(w *wire) { w.ints(fTransposeAxes, perm) })
	}
	mappers["tile"] = func(c *converter, n *runtime.Node) error {
		reps := n.Attrs.Ints("repeats", nil)
		return c.simple(n, lTile, func(w *wire) { w.ints(fTileReps, reps) })
	}
	mappers["concat"] = mapConcat
	mappers["split"] = mapSplit
	mappers["slice"] = mapSlice
	mappers["pad"] = mapPad
	for op, kind := range map[string]protowire.Number{
		"reduce_sum": lReduceSum, "reduce_mean": lReduceMean, "reduce_max": lReduceMax,
		"reduce_min": lReduceMin, "reduce_prod": lReduceProd,
	} {
		mappers[op] = mapReduce(kind)
	}
}

// identity emits a linear activation 1·x + 0 from in to out: the layer for
// ops that degenerate to a copy (a one-input concat, a one-piece split).
func (c *converter) identity(n *runtime.Node, in, out string) error {
	return c.activation(n, n.Name, in, out, fActLinear, func(w *wire) { w.float(fActAlpha, 1) })
}

// mapConcat uses ConcatND (which needs two inputs or more).
func mapConcat(c *converter, n *runtime.Node) error {
	if len(n.Inputs) == 1 {
		return c.identity(n, n.Inputs[0], n.Outputs[0])
	}
	ax := axis(n, "axis", 0, len(c.shape(n.Inputs[0])))
	return c.simple(n, lConcatND, func(w *wire) { w.int(fConcatAxis, ax) })
}

// mapSplit uses SplitND with explicit sizes, read from the inferred outputs.
func mapSplit(c *converter, n *runtime.Node) error {
	if len(n.Outputs) == 1 {
		return c.identity(n, n.Inputs[0], n.Outputs[0])
	}
	ax := axis(n, "axis", 0, len(c.shape(n.Inputs[0])))
	sizes := make([]int, len(n.Outputs))
	for i, o := range n.Outputs {
		sizes[i] = c.shape(o)[ax]
	}
	return c.simple(n, lSplitND, func(w *wire) {
		w.int(fSplitAxis, ax)
		w.int(fSplitNum, len(sizes))
		w.ints(fSplitSizes, sizes)
	})
}

// mapSlice uses SliceStatic with one entry per axis, from the catalog's own
// clamping (ops.ResolveSlice): begin is the first index read, end the index
// one step past the last one read. A negative step that reads down to index 0
// would need end −1, which the layer reads as "the last element", so it sets
// that axis's end mask instead (slice to the end in the step's direction).
func mapSlice(c *converter, n *runtime.Node) error {
	xs := c.shape(n.Inputs[0])
	starts, steps, out, err := ops.ResolveSlice(xs, n.Attrs)
	if err != nil {
		return c.unsupported(n, "", "%v", err) // unreachable after validation
	}
	rank := len(xs)
	begin, end, endMask := make([]int, rank), make([]int, rank), make([]bool, rank)
	for ax := range rank {
		begin[ax] = starts[ax]
		last := starts[ax] + (out[ax]-1)*steps[ax]
		if steps[ax] > 0 {
			end[ax] = last + 1
		} else if end[ax] = last - 1; end[ax] < 0 {
			end[ax], endMask[ax] = 0, true
		}
	}
	return c.simple(n, lSliceStatic, func(w *wire) {
		w.ints(fSliceBeginIDs, begin)
		w.bools(fSliceBeginMasks, make([]bool, rank))
		w.ints(fSliceEndIDs, end)
		w.bools(fSliceEndMasks, endMask)
		w.ints(fSliceStrides, steps)
	})
}

// mapPad maps constant padding of any axes onto ConstantPadding, and edge and
// reflect padding onto the Padding layer, which pads only the last two axes.
// Negative pads (cropping) are not mapped.
func mapPad(c *converter, n *runtime.Node) error {
	xs := c.shape(n.Inputs[0])
	rank := len(xs)
	pads := n.Attrs.Ints("pads", nil)
	for i, p := range pads {
		if p < 0 {
			return c.unsupported(n, "", "pad %d at index %d crops; negative pads are not mapped", p, i)
		}
	}
	mode := n.Attrs.String("mode", "constant")
	if mode == "constant" {
		amounts := make([]int, 0, 2*rank) // before and after interleaved per axis
		for i := range rank {
			amounts = append(amounts, pads[i], pads[rank+i])
		}
		value := n.Attrs.Float("value", 0)
		return c.simple(n, lConstantPad, func(w *wire) {
			w.float(fConstPadValue, value)
			w.ints(fConstPadAmounts, amounts)
		})
	}
	if rank < 2 {
		return c.unsupported(n, n.Inputs[0], "%s padding needs rank >= 2 in Core ML; input has shape %v", mode, xs)
	}
	for i := range rank - 2 {
		if pads[i] != 0 || pads[rank+i] != 0 {
			return c.unsupported(n, "", "%s padding of axis %d: Core ML pads only the last two axes in that mode", mode, i)
		}
	}
	member := fPadReplication
	if mode == "reflect" {
		member = fPadReflection
	}
	return c.simple(n, lPadding, func(w *wire) {
		w.empty(member)
		w.open(fPadAmounts)
		borderAmounts(w, []int{pads[rank-2], pads[2*rank-2], pads[rank-1], pads[2*rank-1]})
		w.close()
	})
}

// mapReduce maps reduce_* onto the N-d reduction layers with explicit axes.
func mapReduce(kind protowire.Number) mapper {
	return func(c *converter, n *runtime.Node) error {
		axes, err := ops.ReduceAxes(n.Attrs, len(c.shape(n.Inputs[0])))
		if err != nil {
			return c.unsupported(n, "", "%v", err) // unreachable after validation
		}
		keep := n.Attrs.Int("keepdims", 1) == 1
		return c.simple(n, kind, func(w *wire) {
			w.ints(fReduceAxes, axes)
			w.boolean(fReduceKeepDims, keep)
		})
	}
}
