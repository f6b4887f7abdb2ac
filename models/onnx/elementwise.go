package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Mappers of the ONNX elementwise ops over two or more inputs: arithmetic,
// comparisons and logical ops (with opset 6's legacy broadcast/axis
// attributes), Pow, the variadic Sum/Mean/Min/Max, Where and PRelu. The
// one-input ops are in elementwise_unary.go, Constant and ConstantOfShape in
// elementwise_const.go.

// elemBinaryOps lists the ONNX ops that map one-to-one onto a catalog op with
// inputs a and b of one dtype broadcasting numpy-style.
var elemBinaryOps = []struct {
	onnx, op string
	since    int64 // opset that introduced the op; the ones of opset 1 say 1
}{
	{"Add", "add", 1}, {"Sub", "sub", 1}, {"Mul", "mul", 1}, {"Div", "div", 1},
	{"Equal", "equal", 1}, {"Less", "less", 1}, {"Greater", "greater", 1},
	{"LessOrEqual", "less_equal", 12}, {"GreaterOrEqual", "greater_equal", 12},
	{"And", "and", 1}, {"Or", "or", 1}, {"Xor", "xor", 1},
}

func init() {
	for _, b := range elemBinaryOps {
		register(b.onnx, elemBinary(b.op, b.since))
	}
	register("Pow", elemPow)
	register("Sum", elemVariadic("add"))
	register("Max", elemVariadic("max"))
	register("Min", elemVariadic("min"))
	register("Mean", elemMean)
	register("Where", elemWhere)
	register("PRelu", elemPRelu)
}

// elemSince refuses an op the model's opset does not have yet.
func elemSince(c *converter, n *onnxpb.Node, since int64) error {
	if c.opset < since {
		return c.errorf(ErrUnsupported, "%s is not in opset %d (it was introduced in opset %d)", n.OpType, c.opset, since)
	}
	return nil
}

// elemBinary maps an op whose only difference to its catalog op is opset 6's
// legacy broadcasting.
func elemBinary(op string, since int64) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		if err := c.checkNode(n, since, 2, 2, 1); err != nil {
			return err
		}
		b, err := elemLegacyOperand(c)
		if err != nil {
			return err
		}
		return c.emit(op, nil, []string{c.in(0), b}, c.out(0))
	}
}

// elemLegacyOperand returns the value to use as input B of a binary op.
//
// Before opset 7, Add, Sub, Mul, Div, Pow, the comparisons and the logical
// ops broadcast only when the attribute broadcast=1, and then B against A
// starting at dimension `axis` of A, or aligned to A's trailing dimensions
// when axis is absent. Trailing alignment is what numpy broadcasting does, so
// only an axis needs work: B is reshaped with trailing 1s so that its dims
// line up with A's at axis. Without broadcast=1 the legacy ops wanted equal
// shapes; numpy broadcasting accepts those unchanged (and is more lenient
// with shapes that were an error then, as every later opset is).
func elemLegacyOperand(c *converter) (string, error) {
	b := c.in(1)
	if c.opset >= 7 {
		return b, nil // the attributes are gone; unread, they are refused as unknown
	}
	bcast, err := c.attrInt("broadcast", 0)
	if err != nil {
		return "", err
	}
	axis, err := c.attrInt("axis", 0)
	if err != nil || bcast == 0 || !c.hasAttr("axis") {
		return b, err // axis means nothing without broadcast
	}
	ra, rb := len(c.typeOf(c.in(0)).a), len(c.typeOf(b).a)
	if axis < 0 {
		axis += ra // as the later axis attributes: negative counts from the end
	}
	if axis < 0 || axis+rb > ra {
		return "", c.errorf(ErrInvalidModel, "legacy broadcast: B of rank %d cannot start at axis %d of A of rank %d",
			rb, axis, ra)
	}
	trailing := ra - axis - rb
	if trailing == 0 {
		return b, nil
	}
	shape := make([]int, rb+trailing) // 0 copies B's own dims, symbolic ones included
	for i := rb; i < len(shape); i++ {
		shape[i] = 1
	}
	out := c.tmp()
	if err := c.emit("reshape", ops.Attrs{"shape": shape}, []string{b}, out); err != nil {
		return "", err
	}
	return out, nil
}

// elemPow maps Pow. The catalog's pow is float-only: an exponent of another
// dtype (allowed from opset 12) is cast to the base's dtype, which is what
// the result has anyway, and an integer base (int32 and int64 in ONNX) is
// raised in float64 and the power truncated back to its dtype, as ONNX
// Runtime's integer Pow does (exact while the power stays below 2^53; a
// power beyond the dtype saturates).
func elemPow(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	base := c.typeOf(c.in(0)).dtype
	exp, err := elemLegacyOperand(c)
	if err != nil {
		return err
	}
	if !base.IsFloat() {
		if !base.IsInt() {
			return c.inputErrorf(0, ErrUnsupported, "Pow with a base of dtype %v", base)
		}
		x, err := cmpCast(c, c.in(0), tensor.Float64)
		if err != nil {
			return err
		}
		e, err := cmpCast(c, exp, tensor.Float64)
		if err != nil {
			return err
		}
		p, err := cmpCall(c, "pow", nil, x, e)
		if err != nil {
			return err
		}
		return c.emit("cast", ops.Attrs{"to": base.String()}, []string{p}, c.out(0))
	}
	if c.typeOf(exp).dtype != base {
		cast := c.tmp()
		if err := c.emit("cast", ops.Attrs{"to": base.String()}, []string{exp}, cast); err != nil {
			return err
		}
		exp = cast
	}
	return c.emit("pow", nil, []string{c.in(0), exp}, c.out(0))
}

// elemOperands checks a variadic op's inputs: at least one, none omitted.
func elemOperands(c *converter, n *onnxpb.Node) error {
	if len(n.Inputs) == 0 {
		return c.errorf(ErrInvalidModel, "has no inputs, want at least 1")
	}
	for i, in := range n.Inputs {
		if in == "" {
			return c.errorf(ErrInvalidModel, "input %d is omitted", i)
		}
	}
	return c.requireOutputs(1)
}

// elemChain reduces the node's inputs with a binary catalog op into dst,
// pairing neighbours level by level (a balanced tree: depth log2(n), so a
// node with thousands of inputs makes no deep chain for a backend to walk
// recursively). Opset 6 and 7 wanted equal shapes here; numpy broadcasting
// (opset 8 on) accepts those too, and broadcasting is associative, so the
// pairing does not change the result's shape.
func elemChain(c *converter, n *onnxpb.Node, op, dst string) error {
	if len(n.Inputs) == 1 {
		return c.emit("identity", nil, []string{n.Inputs[0]}, dst)
	}
	level := n.Inputs
	for len(level) > 1 {
		next := make([]string, 0, (len(level)+1)/2)
		for i := 0; i+1 < len(level); i += 2 {
			out := dst
			if len(level) > 2 {
				out = c.tmp()
			}
			if err := c.emit(op, nil, []string{level[i], level[i+1]}, out); err != nil {
				return err
			}
			next = append(next, out)
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return nil
}

// elemVariadic maps Sum, Max and Min onto a chain of a binary op.
func elemVariadic(op string) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		if err := elemOperands(c, n); err != nil {
			return err
		}
		return elemChain(c, n, op, c.out(0))
	}
}

// elemMean maps Mean: the sum of the inputs divided by their count. Dividing
// by the exact count rounds once, where multiplying by a rounded 1/n would
// round twice (visibly so in float16).
func elemMean(c *converter, n *onnxpb.Node) error {
	if err := elemOperands(c, n); err != nil {
		return err
	}
	d := c.typeOf(n.Inputs[0]).dtype
	if !d.IsFloat() {
		return c.inputErrorf(0, ErrInvalidModel, "Mean of %v: ONNX defines Mean for float types only", d)
	}
	if len(n.Inputs) == 1 {
		return elemChain(c, n, "add", c.out(0))
	}
	sum := c.tmp()
	if err := elemChain(c, n, "add", sum); err != nil {
		return err
	}
	count, err := tensor.FromFloat64s(d, tensor.Shape{}, []float64{float64(len(n.Inputs))})
	if err != nil {
		return err
	}
	return c.emit("div", nil, []string{sum, c.addConst(count)}, c.out(0))
}

// elemWhere maps Where (opset 9 on).
func elemWhere(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 9, 3, 3, 1); err != nil {
		return err
	}
	return c.emit("where", nil, []string{c.in(0), c.in(1), c.in(2)}, c.out(0))
}

// elemPRelu maps PRelu onto prelu, whose slope must broadcast to x.
//
// A slope of shape [C] for x of shape [N, C, ...] is per channel: opset 6
// says so (a slope of size 1 is shared, otherwise there is one per channel),
// and PyTorch-converted models of later opsets rely on it too although
// ONNX's unidirectional broadcasting would align [C] with x's last dim. So
// such a slope is reshaped to [C, 1, ...] in opset 6, and from opset 7 when
// ONNX's rule does not fit it (a [C] slope that does fit the last dim keeps
// ONNX's meaning there).
func elemPRelu(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	x, s := c.typeOf(c.in(0)), c.typeOf(c.in(1))
	if !x.dtype.IsFloat() {
		return c.inputErrorf(0, ErrUnsupported, "PRelu of %v: only float inputs are supported", x.dtype)
	}
	slope := c.in(1)
	if len(x.a) >= 3 && len(s.a) == 1 && s.static() && !x.dynamic(1) && s.a[0] == x.a[1] && s.a[0] > 1 &&
		(c.opset < 7 || !elemFitsInto(s, x)) {
		shape := make([]int, len(x.a)-1)
		shape[0] = s.a[0]
		for i := 1; i < len(shape); i++ {
			shape[i] = 1
		}
		slope = c.tmp()
		if err := c.emit("reshape", ops.Attrs{"shape": shape}, []string{c.in(1)}, slope); err != nil {
			return err
		}
	}
	return c.emit("prelu", nil, []string{c.in(0), slope}, c.out(0))
}

// elemFitsInto reports whether s broadcasts to exactly x's shape (ONNX's
// unidirectional broadcasting) under both probes of the symbolic dims.
func elemFitsInto(s, x valType) bool {
	for _, p := range [][2]tensor.Shape{{s.a, x.a}, {s.b, x.b}} {
		out, err := tensor.BroadcastShapes(p[0], p[1])
		if err != nil || !out.Equal(p[1]) {
			return false
		}
	}
	return true
}
