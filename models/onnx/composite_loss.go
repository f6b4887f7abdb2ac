package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss composed of catalog
// ops. The class picked by each target is selected with a one-hot mask
// (target == 0…C−1 along axis 1), so a target equal to ignore_index, or out
// of range, selects nothing; the weight of a target is gathered after
// ignored targets are replaced by class 0, then zeroed by the mask.

func init() {
	register("NegativeLogLikelihoodLoss", cmpNLL)
	register("SoftmaxCrossEntropyLoss", cmpSCE)
}

func cmpNLL(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 12, 2, 3, 1); err != nil {
		return err
	}
	return cmpNLLFrom(c, c.in(0), c.in(1), c.in(2), c.out(0))
}

func cmpSCE(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 12, 2, 3, 2); err != nil {
		return err
	}
	logProb := c.out(1)
	if logProb == "" {
		logProb = c.tmp()
	}
	if err := c.emit("log_softmax", ops.Attrs{"axis": 1}, []string{c.in(0)}, logProb); err != nil {
		return err
	}
	return cmpNLLFrom(c, logProb, c.in(1), c.in(2), c.out(0))
}

// cmpNLLFrom emits the loss of input (N×C×D…) at target (N×D…) with
// optional weight (C) into out, by the node's reduction and ignore_index.
func cmpNLLFrom(c *converter, input, target, weight, out string) error {
	reduction, err := c.attrString("reduction", "mean")
	if err != nil {
		return err
	}
	if reduction != "none" && reduction != "sum" && reduction != "mean" {
		return c.errorf(ErrInvalidModel, "attribute \"reduction\" is %q, want none, sum or mean", reduction)
	}
	hasIgnore := c.hasAttr("ignore_index")
	ignore, err := c.attrInt("ignore_index", 0)
	if err != nil {
		return err
	}
	it, tt := c.typeOf(input), c.typeOf(target)
	d := it.dtype
	if len(it.a) < 2 || len(tt.a) != len(it.a)-1 {
		return c.inputErrorf(1, ErrInvalidModel, "target has rank %d, want input's rank %d minus 1", len(tt.a), len(it.a))
	}
	if it.dynamic(1) {
		return c.inputErrorf(0, ErrUnsupported, "the class axis is symbolic")
	}
	classes := it.a[1]
	if !tt.dtype.IsInt() {
		return c.inputErrorf(1, ErrInvalidModel, "target is %v, want an integer tensor", tt.dtype)
	}
	tgt, err := cmpCast(c, target, tensor.Int64)
	if err != nil {
		return err
	}
	// target with a class axis of 1 inserted: N×1×D…
	shape := make([]int, 0, len(it.a))
	shape = append(shape, 0, 1)
	for i := 1; i < len(tt.a); i++ {
		if tt.dynamic(i) {
			return c.inputErrorf(1, ErrUnsupported, "target dim %d is symbolic", i)
		}
		shape = append(shape, tt.a[i])
	}
	t1, err := cmpCall(c, "reshape", ops.Attrs{"shape": shape}, tgt)
	if err != nil {
		return err
	}
	iota := make([]int64, classes)
	for i := range iota {
		iota[i] = int64(i)
	}
	iotaShape := make([]int, len(it.a)-1)
	for i := range iotaShape {
		iotaShape[i] = 1
	}
	iotaShape[0] = classes
	hot, err := cmpCall(c, "equal", nil, t1, c.addConst(tensor.MustFromSlice(iota, iotaShape...)))
	if err != nil {
		return err
	}
	zero, err := cmpScalar(c, d, 0)
	if err != nil {
		return err
	}
	picked, err := cmpCall(c, "where", nil, hot, input, zero)
	if err != nil {
		return err
	}
	if picked, err = cmpCall(c, "reduce_sum", ops.Attrs{"axes": []int{1}, "keepdims": 0}, picked); err != nil {
		return err
	}
	loss, err := cmpCall(c, "neg", nil, picked)
	if err != nil {
		return err
	}
	// w: the weight of each target (1 without weights), 0 where ignored.
	var w string
	var keep string // bool, false where the target is ignored
	if hasIgnore {
		ig := c.addConst(tensor.Scalar(int64(ignore)))
		isIg, err := cmpCall(c, "equal", nil, tgt, ig)
		if err != nil {
			return err
		}
		if keep, err = cmpCall(c, "not", nil, isIg); err != nil {
			return err
		}
		z := c.addConst(tensor.Scalar(int64(0)))
		if tgt, err = cmpCall(c, "where", nil, isIg, z, tgt); err != nil {
			return err
		}
	}
	if weight != "" {
		if w, err = cmpCall(c, "gather", ops.Attrs{"axis": 0}, weight, tgt); err != nil {
			return err
		}
		if keep != "" {
			if w, err = cmpCall(c, "where", nil, keep, w, zero); err != nil {
				return err
			}
		}
	} else if keep != "" {
		if w, err = cmpCall(c, "cast", ops.Attrs{"to": d.String()}, keep); err != nil {
			return err
		}
	}
	if w != "" {
		if loss, err = cmpCall(c, "mul", nil, loss, w); err != nil {
			return err
		}
	}
	all := ops.Attrs{"keepdims": 0}
	switch {
	case reduction == "none":
		return c.emit("identity", nil, []string{loss}, out)
	case reduction == "sum":
		return c.emit("reduce_sum", all, []string{loss}, out)
	case w == "":
		return c.emit("reduce_mean", all, []string{loss}, out)
	}
	num, err := cmpCall(c, "reduce_sum", all, loss)
	if err != nil {
		return err
	}
	den, err := cmpCall(c, "reduce_sum", all, w)
	if err != nil {
		return err
	}
	return c.emit("div", nil, []string{num, den}, out)
}
