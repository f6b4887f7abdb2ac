package onnx

import (
	"strconv"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// Mappers of the normalizations (BatchNormalization, InstanceNormalization,
// LayerNormalization, LRN) and of Softmax and LogSoftmax.

func init() {
	register("BatchNormalization", nnBatchNorm)
	register("InstanceNormalization", nnInstanceNorm)
	register("LayerNormalization", nnLayerNorm)
	register("LRN", nnLRN)
	register("Softmax", nnSoftmax("softmax"))
	register("LogSoftmax", nnSoftmax("log_softmax"))
}

// nnEpsilon copies the epsilon attribute (default 1e-5 in every norm) when set.
func nnEpsilon(c *converter, attrs ops.Attrs) error {
	if !c.hasAttr("epsilon") {
		return nil
	}
	eps, err := c.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	attrs["epsilon"] = eps
	return nil
}

// nnBatchNorm maps inference-mode BatchNormalization. The old opsets'
// attributes: spatial (opsets 6-8) must be 1, its default: spatial=0 means
// per-element statistics, which batch_norm does not do. is_test and
// consumed_inputs (before opset 7) and momentum only matter for training.
// training_mode (opset 14) must be 0, and the running/saved statistics
// outputs, used only in training, are refused when wired. From opset 15
// scale/bias and mean/var may have other float dtypes than X: they are cast
// to X's dtype (constant parameters fold, so this costs nothing at run time).
func nnBatchNorm(c *converter, _ *onnxpb.Node) error {
	if err := c.requireInputs(5, 5); err != nil {
		return err
	}
	if c.opset >= 14 && c.hasAttr("training_mode") {
		if training, err := c.attrInt("training_mode", 0); err != nil {
			return err
		} else if training != 0 {
			return nnBatchNormTraining(c)
		}
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	c.ignore("momentum")
	if c.opset < 7 {
		c.ignore("is_test", "consumed_inputs")
	}
	if err := nnUntil(c, 9, "spatial"); err != nil {
		return err
	}
	if err := nnSince(c, 14, "training_mode"); err != nil {
		return err
	}
	spatial, err := c.attrInt("spatial", 1)
	if err != nil {
		return err
	}
	if spatial != 1 {
		return c.errorf(ErrUnsupported, "attribute \"spatial\" is %d: only spatial=1 (per-channel statistics) is supported", spatial)
	}
	training, err := c.attrInt("training_mode", 0)
	if err != nil {
		return err
	}
	if training != 0 {
		return c.errorf(ErrUnsupported, "attribute \"training_mode\" is %d: only inference (0) is supported", training)
	}
	attrs := ops.Attrs{}
	if err := nnEpsilon(c, attrs); err != nil {
		return err
	}
	inputs := nnInputs(c, 5)
	if c.opset >= 15 {
		d := c.typeOf(inputs[0]).dtype
		for i := 1; i < 5; i++ {
			if pt := c.typeOf(inputs[i]); pt.dtype != d && pt.dtype.IsFloat() && d.IsFloat() {
				cast := c.tmp()
				if err := c.emit("cast", ops.Attrs{"to": d.String()}, []string{inputs[i]}, cast); err != nil {
					return err
				}
				inputs[i] = cast
			}
		}
	}
	return c.emit("batch_norm", attrs, inputs, c.out(0))
}

func nnInstanceNorm(c *converter, _ *onnxpb.Node) error {
	if err := c.requireInputs(3, 3); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	attrs := ops.Attrs{}
	if err := nnEpsilon(c, attrs); err != nil {
		return err
	}
	return c.emit("instance_norm", attrs, nnInputs(c, 3), c.out(0))
}

// nnLayerNorm maps LayerNormalization (opset 17). stash_type only chooses
// the precision of intermediate results, which the catalog op leaves to the
// backend (ref computes in float64), so it is ignored. The Mean and
// InvStdDev outputs are refused when wired.
func nnLayerNorm(c *converter, _ *onnxpb.Node) error {
	if c.opset < 17 {
		return c.errorf(ErrInvalidModel, "LayerNormalization does not exist before opset 17 (model opset %d)", c.opset)
	}
	if err := c.requireInputs(2, 3); err != nil {
		return err
	}
	if err := c.requireOutputs(3); err != nil {
		return err
	}
	if c.consumed[c.out(1)] || c.consumed[c.out(2)] {
		return cmpLayerNormStats(c) // composite_norm.go
	}
	c.ignore("stash_type")
	attrs := ops.Attrs{}
	if err := nnEpsilon(c, attrs); err != nil {
		return err
	}
	axis, err := c.attrInt("axis", -1)
	if err != nil {
		return err
	}
	attrs["axis"] = axis
	return c.emit("layer_norm", attrs, nnInputs(c, 3), c.out(0))
}

func nnLRN(c *converter, _ *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	if !c.hasAttr("size") {
		return c.errorf(ErrInvalidModel, "required attribute \"size\" is missing")
	}
	size, err := c.attrInt("size", 0)
	if err != nil {
		return err
	}
	attrs := ops.Attrs{"size": size}
	for _, p := range []struct {
		name string
		def  float64
	}{{"alpha", 1e-4}, {"beta", 0.75}, {"bias", 1}} {
		v, err := c.attrFloat(p.name, p.def)
		if err != nil {
			return err
		}
		attrs[p.name] = v
	}
	return c.emit("lrn", attrs, []string{c.in(0)}, c.out(0))
}

// nnSoftmax maps Softmax and LogSoftmax. From opset 13 they normalize along
// one axis (default -1), like the catalog ops. Before, they coerce the input
// to 2-D at axis (default 1) and normalize each row of
// [prod(dims[:axis]), prod(dims[axis:])]: that is a reshape to 2-D, a
// softmax over the last axis and a reshape back. Symbolic dims stay symbolic
// through -1 and 0 (copy dim 0) in the reshape shapes; a placement of
// symbolic dims no single reshape can express is refused.
func nnSoftmax(op string) mapper {
	return func(c *converter, _ *onnxpb.Node) error {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		if err := c.requireOutputs(1); err != nil {
			return err
		}
		x, y := c.in(0), c.out(0)
		if c.opset >= 13 {
			axis, err := c.attrInt("axis", -1)
			if err != nil {
				return err
			}
			return c.emit(op, ops.Attrs{"axis": axis}, []string{x}, y)
		}
		axis, err := c.attrInt("axis", 1)
		if err != nil {
			return err
		}
		t := c.typeOf(x)
		r := len(t.a)
		if r == 0 {
			return c.inputErrorf(0, ErrInvalidModel, "is a scalar; %s needs rank >= 1", c.node.OpType)
		}
		if axis < -r || axis >= r {
			return c.errorf(ErrInvalidModel, "attribute \"axis\" is %d, out of range for rank %d", axis, r)
		}
		if axis < 0 {
			axis += r
		}
		// The flattened softmax is the per-axis one when every dim after
		// axis is 1; and when some dim is 0 the output is empty either way.
		trivial := true
		for i := axis + 1; i < r; i++ {
			if t.dynamic(i) || t.a[i] != 1 {
				trivial = false
			}
		}
		for i := range r {
			if !t.dynamic(i) && t.a[i] == 0 {
				trivial = true
			}
		}
		if trivial {
			return c.emit(op, ops.Attrs{"axis": axis}, []string{x}, y)
		}
		flat, back, ok := nnSoftmaxShapes(t, axis)
		if !ok {
			return c.inputErrorf(0, ErrUnsupported, "%s before opset 13 at axis %d: the symbolic dims (?) of %s cannot be "+
				"flattened to 2-D and restored by reshapes: %w", c.node.OpType, axis, nnDimString(t), errNeedsDims)
		}
		x2, y2 := c.tmp(), c.tmp()
		if err := c.emit("reshape", ops.Attrs{"shape": flat}, []string{x}, x2); err != nil {
			return err
		}
		if err := c.emit(op, ops.Attrs{"axis": -1}, []string{x2}, y2); err != nil {
			return err
		}
		return c.emit("reshape", ops.Attrs{"shape": back}, []string{y2}, y)
	}
}

// nnDimString formats t's shape with "?" for the dims that depend on a symbolic dim.
func nnDimString(t valType) string {
	parts := make([]string, len(t.a))
	for i, d := range t.a {
		parts[i] = strconv.Itoa(d)
		if t.dynamic(i) {
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// nnSoftmaxShapes returns the reshape shapes to 2-D at axis and back for a
// value of type t, whose static dims are all >= 1. Dynamic dims become -1,
// or 0 for dim 0 when axis is 1 (then it is the 2-D dim 0 as well).
func nnSoftmaxShapes(t valType, axis int) (flat, back []int, ok bool) {
	r := len(t.a)
	outer, inner := 1, 1
	outerDyn, innerDyn := false, false
	for i := range r {
		switch {
		case t.dynamic(i) && i < axis:
			outerDyn = true
		case t.dynamic(i):
			innerDyn = true
		case i < axis:
			outer *= t.a[i]
		default:
			inner *= t.a[i]
		}
	}
	switch {
	case outerDyn && innerDyn && axis == 1:
		flat = []int{0, -1}
	case outerDyn && innerDyn:
		return nil, nil, false
	case outerDyn:
		flat = []int{-1, inner}
	case innerDyn:
		flat = []int{outer, -1}
	default:
		flat = []int{outer, inner}
	}
	inferred := false
	back = make([]int, r)
	for i := range r {
		switch {
		case !t.dynamic(i):
			back[i] = t.a[i]
		case i == 0 && axis == 1:
			back[i] = 0
		case inferred:
			return nil, nil, false
		default:
			back[i] = -1
			inferred = true
		}
	}
	return flat, back, true
}
