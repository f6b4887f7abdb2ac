package onnx

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Mappers of ONNX ops that are short compositions of catalog ops (most are
// ONNX "function" ops, defined by such a composition themselves): CastLike,
// Range, ReduceL1/L2/LogSum/LogSumExp/SumSquare, HardSwish, Mish, Celu,
// ThresholdedRelu, Shrink, Swish, Trilu, OneHot and Hardmax. Every backend
// runs them through the catalog ops they expand to.

func init() {
	register("CastLike", cmpCastLike)
	register("Range", cmpRange)
	register("ReduceL1", cmpReduce("abs", "", 18))
	register("ReduceL2", cmpReduce("square", "sqrt", 18))
	register("ReduceSumSquare", cmpReduce("square", "", 18))
	register("ReduceLogSum", cmpReduce("", "log", 18))
	register("ReduceLogSumExp", cmpReduce("exp", "log", 18))
	register("HardSwish", cmpHardSwish)
	register("Mish", cmpMish)
	register("Celu", cmpCelu)
	register("ThresholdedRelu", cmpThresholdedRelu)
	register("Shrink", cmpShrink)
	register("Swish", cmpSwish)
	register("SwiGLU", cmpSwiGLU)
	register("Trilu", cmpTrilu)
	register("OneHot", cmpOneHot)
	register("Hardmax", cmpHardmax)
}

// cmpCall emits op on inputs into a fresh value and returns its name.
func cmpCall(c *converter, op string, attrs ops.Attrs, in ...string) (string, error) {
	out := c.tmp()
	return out, c.emit(op, attrs, in, out)
}

// cmpScalar registers a rank-0 constant of dtype d holding v.
func cmpScalar(c *converter, d tensor.DType, v float64) (string, error) {
	t, err := tensor.FromFloat64s(d, tensor.Shape{}, []float64{v})
	if err != nil {
		return "", err
	}
	return c.addConst(t), nil
}

// cmpUnaryIO checks a one-input, one-output node and returns its input's dtype.
func cmpUnaryIO(c *converter) (tensor.DType, error) {
	if err := elemOneInput(c); err != nil {
		return tensor.Invalid, err
	}
	return c.typeOf(c.in(0)).dtype, nil
}

// cmpCastLike casts input 0 to input 1's dtype. saturate only matters for
// float8 targets, which backplane does not have.
func cmpCastLike(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 15); err != nil {
		return err
	}
	c.ignore("saturate")
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	to := c.typeOf(c.in(1)).dtype
	return c.emit("cast", ops.Attrs{"to": to.String()}, []string{c.in(0)}, c.out(0))
}

// cmpRangeMax bounds the length of a Range folded at import time.
const cmpRangeMax = foldLimit

// cmpRange folds Range: its output length depends on the values of all
// three inputs, so they must be known at import time.
func cmpRange(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 11, 3, 3, 1); err != nil {
		return err
	}
	var vals [3]*tensor.Tensor
	for i := range vals {
		t, ok := c.constant(c.in(i))
		if !ok {
			return c.notKnown(i, "Range's inputs decide its length, so they must be known at import time")
		}
		if t.NumElements() != 1 {
			return c.inputErrorf(i, ErrInvalidModel, "is %v, want a scalar", t.Shape())
		}
		if i > 0 && t.DType() != vals[0].DType() {
			return c.inputErrorf(i, ErrInvalidModel, "dtype %v differs from start's %v", t.DType(), vals[0].DType())
		}
		vals[i] = t
	}
	d := vals[0].DType()
	if d.IsFloat() {
		start, limit, delta := vals[0].Float64s()[0], vals[1].Float64s()[0], vals[2].Float64s()[0]
		count := math.Max(math.Ceil((limit-start)/delta), 0)
		if delta == 0 || math.IsNaN(count) || count > cmpRangeMax {
			return c.errorf(ErrUnsupported, "Range(%v, %v, %v) has no finite length up to %d", start, limit, delta, cmpRangeMax)
		}
		out := make([]float64, int(count))
		for i := range out {
			out[i] = start + float64(i)*delta
		}
		t, err := tensor.FromFloat64s(d, tensor.Shape{len(out)}, out)
		if err != nil {
			return err
		}
		c.setConst(c.out(0), t)
		return nil
	}
	start, limit, delta := vals[0].Int64s()[0], vals[1].Int64s()[0], vals[2].Int64s()[0]
	if delta == 0 {
		return c.inputErrorf(2, ErrInvalidModel, "Range's delta is 0")
	}
	// ceil((limit−start)/delta) in float64 is exact enough to bound it; the
	// loop below then counts exactly.
	if est := math.Ceil((float64(limit) - float64(start)) / float64(delta)); est > cmpRangeMax {
		return c.errorf(ErrUnsupported, "Range(%d, %d, %d) has %v elements (limit %d)", start, limit, delta, est, cmpRangeMax)
	}
	var out []int64
	for v := start; (delta > 0 && v < limit) || (delta < 0 && v > limit); v += delta {
		out = append(out, v)
	}
	t, err := tensor.FromInt64s(d, tensor.Shape{len(out)}, out)
	if err != nil {
		return err
	}
	c.setConst(c.out(0), t)
	return nil
}

// cmpReduce maps a reduction that is reduce_sum between an elementwise pre
// and post function ("" for none; "square" is x·x; "exp" subtracts the
// maximum first so that it cannot overflow, adding it back after the log).
func cmpReduce(pre, post string, since int64) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		axes, keep, noop, err := reduceArgs(c, since)
		if err != nil {
			return err
		}
		x := c.in(0)
		d := c.typeOf(x).dtype
		attrs := ops.Attrs{"keepdims": keep}
		if len(axes) > 0 {
			attrs["axes"] = axes
		}
		var maxKeep, maxOut string
		switch pre {
		case "abs":
			x, err = cmpCall(c, "abs", nil, x)
		case "square":
			x, err = cmpCall(c, "mul", nil, x, x)
		case "exp":
			// m = max(x) with dims kept, made 0 where infinite (so an all −Inf
			// slice gives log(0) = −Inf instead of NaN).
			keepAttrs := ops.Attrs{"keepdims": 1}
			if len(axes) > 0 {
				keepAttrs["axes"] = axes
			}
			if len(axes) == 0 && noop {
				break
			}
			m, err := cmpCall(c, "reduce_max", keepAttrs, x)
			if err != nil {
				return err
			}
			inf, err := cmpCall(c, "is_inf", nil, m)
			if err != nil {
				return err
			}
			zero, err := cmpScalar(c, d, 0)
			if err != nil {
				return err
			}
			if maxKeep, err = cmpCall(c, "where", nil, inf, zero, m); err != nil {
				return err
			}
			maxOut = maxKeep
			if keep == 0 {
				if maxOut, err = cmpCall(c, "reduce_max", attrs, maxKeep); err != nil {
					return err
				}
			}
			if x, err = cmpCall(c, "sub", nil, x, maxKeep); err != nil {
				return err
			}
			x, err = cmpCall(c, "exp", nil, x)
		}
		if err != nil {
			return err
		}
		if len(axes) == 0 && noop {
			// Identity over the reduction, but ONNX still applies the pre
			// and post functions elementwise.
			return cmpPost(c, post, "", x, c.out(0))
		}
		s, err := cmpCall(c, "reduce_sum", attrs, x)
		if err != nil {
			return err
		}
		return cmpPost(c, post, maxOut, s, c.out(0))
	}
}

func cmpPost(c *converter, post, add, x, out string) error {
	if post == "" {
		return c.emit("identity", nil, []string{x}, out)
	}
	if add == "" {
		return c.emit(post, nil, []string{x}, out)
	}
	y, err := cmpCall(c, post, nil, x)
	if err != nil {
		return err
	}
	return c.emit("add", nil, []string{y, add}, out)
}

// cmpHardSwish is x · hard_sigmoid(x) with alpha 1/6 and beta 0.5.
func cmpHardSwish(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 14); err != nil {
		return err
	}
	if _, err := cmpUnaryIO(c); err != nil {
		return err
	}
	hs, err := cmpCall(c, "hard_sigmoid", ops.Attrs{"alpha": 1.0 / 6, "beta": 0.5}, c.in(0))
	if err != nil {
		return err
	}
	return c.emit("mul", nil, []string{c.in(0), hs}, c.out(0))
}

// cmpMish is x · tanh(softplus(x)).
func cmpMish(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 18); err != nil {
		return err
	}
	if _, err := cmpUnaryIO(c); err != nil {
		return err
	}
	sp, err := cmpCall(c, "softplus", nil, c.in(0))
	if err != nil {
		return err
	}
	th, err := cmpCall(c, "tanh", nil, sp)
	if err != nil {
		return err
	}
	return c.emit("mul", nil, []string{c.in(0), th}, c.out(0))
}

// cmpCelu is alpha · elu(x/alpha): max(0,x) + min(0, alpha·(e^(x/alpha) − 1)).
func cmpCelu(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 12); err != nil {
		return err
	}
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	if alpha == 0 || !finiteF(alpha) {
		return c.errorf(ErrInvalidModel, "attribute \"alpha\" is %v, want a finite non-zero value", alpha)
	}
	// float16 and bfloat16 compute in float32 and round once, as ONNX's
	// reference does, so no backend's narrow intermediate steps show.
	x, cd := c.in(0), d
	if d == tensor.Float16 || d == tensor.BFloat16 {
		cd = tensor.Float32
		if x, err = cmpCast(c, x, cd); err != nil {
			return err
		}
	}
	inv, err := cmpScalar(c, cd, 1/alpha)
	if err != nil {
		return err
	}
	scaled, err := cmpCall(c, "mul", nil, x, inv)
	if err != nil {
		return err
	}
	e, err := cmpCall(c, "elu", nil, scaled)
	if err != nil {
		return err
	}
	a, err := cmpScalar(c, cd, alpha)
	if err != nil {
		return err
	}
	if cd == d {
		return c.emit("mul", nil, []string{e, a}, c.out(0))
	}
	y, err := cmpCall(c, "mul", nil, e, a)
	if err != nil {
		return err
	}
	return c.emit("cast", ops.Attrs{"to": d.String()}, []string{y}, c.out(0))
}

func finiteF(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// cmpThresholdedRelu is x where x > alpha (default 1), else 0.
func cmpThresholdedRelu(c *converter, n *onnxpb.Node) error {
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	a, err := cmpScalar(c, d, alpha)
	if err != nil {
		return err
	}
	zero, err := cmpScalar(c, d, 0)
	if err != nil {
		return err
	}
	gt, err := cmpCall(c, "greater", nil, c.in(0), a)
	if err != nil {
		return err
	}
	return c.emit("where", nil, []string{gt, c.in(0), zero}, c.out(0))
}

// cmpShrink is x+bias below −lambd, x−bias above lambd, 0 between.
func cmpShrink(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 9); err != nil {
		return err
	}
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	lambd, err := c.attrFloat("lambd", 0.5)
	if err != nil {
		return err
	}
	bias, err := c.attrFloat("bias", 0)
	if err != nil {
		return err
	}
	x := c.in(0)
	names := make([]string, 4)
	for i, v := range []float64{-lambd, lambd, bias, 0} {
		if names[i], err = cmpScalar(c, d, v); err != nil {
			return err
		}
	}
	lo, err := cmpCall(c, "less", nil, x, names[0])
	if err != nil {
		return err
	}
	hi, err := cmpCall(c, "greater", nil, x, names[1])
	if err != nil {
		return err
	}
	plus, err := cmpCall(c, "add", nil, x, names[2])
	if err != nil {
		return err
	}
	minus, err := cmpCall(c, "sub", nil, x, names[2])
	if err != nil {
		return err
	}
	inner, err := cmpCall(c, "where", nil, hi, minus, names[3])
	if err != nil {
		return err
	}
	return c.emit("where", nil, []string{lo, plus, inner}, c.out(0))
}

// cmpSwish is x · sigmoid(alpha·x) (alpha default 1).
func cmpSwish(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 24); err != nil {
		return err
	}
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	x := c.in(0)
	arg := x
	if alpha != 1 {
		a, err := cmpScalar(c, d, alpha)
		if err != nil {
			return err
		}
		if arg, err = cmpCall(c, "mul", nil, x, a); err != nil {
			return err
		}
	}
	s, err := cmpCall(c, "sigmoid", nil, arg)
	if err != nil {
		return err
	}
	return c.emit("mul", nil, []string{x, s}, c.out(0))
}

// cmpSwiGLU is swish(a, alpha)·b (opset 28; alpha default 1).
func cmpSwiGLU(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 28, 2, 2, 1); err != nil {
		return err
	}
	alpha, err := c.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	a := c.in(0)
	arg := a
	if alpha != 1 {
		k, err := cmpScalar(c, c.typeOf(a).dtype, alpha)
		if err != nil {
			return err
		}
		if arg, err = cmpCall(c, "mul", nil, a, k); err != nil {
			return err
		}
	}
	s, err := cmpCall(c, "sigmoid", nil, arg)
	if err != nil {
		return err
	}
	gate, err := cmpCall(c, "mul", nil, a, s)
	if err != nil {
		return err
	}
	return c.emit("mul", nil, []string{gate, c.in(1)}, c.out(0))
}

// cmpTrilu keeps the upper (j − i >= k) or lower (j − i <= k) triangle of
// the last two axes, zeroing the rest, through a constant mask.
func cmpTrilu(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 14, 1, 2, 1); err != nil {
		return err
	}
	upper, err := shapeFlag(c, "upper", 1)
	if err != nil {
		return err
	}
	k := 0
	if c.in(1) != "" {
		v, err := c.constInts(1)
		if err != nil {
			return err
		}
		if len(v) != 1 {
			return c.inputErrorf(1, ErrInvalidModel, "k has %d values, want 1", len(v))
		}
		k = v[0]
	}
	x := c.typeOf(c.in(0))
	r := len(x.a)
	if r < 2 {
		return c.inputErrorf(0, ErrInvalidModel, "rank %d, want >= 2", r)
	}
	if x.dynamic(r-1) || x.dynamic(r-2) {
		return c.inputErrorf(0, ErrUnsupported, "Trilu over symbolic matrix dims")
	}
	rows, cols := x.a[r-2], x.a[r-1]
	// mask[i][j] = j >= i + k (upper) or j <= i + k (lower), from two iotas
	iv := make([]int64, rows)
	for i := range iv {
		iv[i] = int64(i) + int64(k)
	}
	jv := make([]int64, cols)
	for j := range jv {
		jv[j] = int64(j)
	}
	cmp := "less_equal"
	if upper {
		cmp = "greater_equal"
	}
	m, err := cmpCall(c, cmp, nil, c.addConst(tensor.MustFromSlice(jv, 1, cols)), c.addConst(tensor.MustFromSlice(iv, rows, 1)))
	if err != nil {
		return err
	}
	zero, err := cmpScalar(c, x.dtype, 0)
	if err != nil {
		return err
	}
	return c.emit("where", nil, []string{m, c.in(0), zero}, c.out(0))
}

// cmpOneHot compares the indices (cast to int64, negative ones counting
// from depth) with 0…depth−1 laid along the new axis, then picks values[1]
// (on) or values[0] (off). depth must be known at import time.
func cmpOneHot(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 9, 3, 3, 1); err != nil {
		return err
	}
	dt, ok := c.constant(c.in(1))
	if !ok {
		return c.notKnown(1, "OneHot's depth decides its shape, so it must be known at import time")
	}
	if dt.NumElements() != 1 {
		return c.inputErrorf(1, ErrInvalidModel, "depth is %v, want one value", dt.Shape())
	}
	depthF := dt.Float64s()[0]
	if !(depthF >= 1) || depthF > tensor.MaxElements {
		return c.inputErrorf(1, ErrInvalidModel, "depth %v, want >= 1", depthF)
	}
	depth := int(depthF)
	idx := c.typeOf(c.in(0))
	rank := len(idx.a) + 1
	axis, err := c.attrInt("axis", -1)
	if err != nil {
		return err
	}
	if axis < -rank || axis >= rank {
		return c.errorf(ErrInvalidModel, "attribute \"axis\" %d out of range for output rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	ind := c.in(0)
	if idx.dtype != tensor.Int64 {
		if ind, err = cmpCall(c, "cast", ops.Attrs{"to": "int64"}, ind); err != nil {
			return err
		}
	}
	zero := c.addConst(tensor.Scalar(int64(0)))
	dep := c.addConst(tensor.Scalar(int64(depth)))
	neg, err := cmpCall(c, "less", nil, ind, zero)
	if err != nil {
		return err
	}
	wrapped, err := cmpCall(c, "add", nil, ind, dep)
	if err != nil {
		return err
	}
	if ind, err = cmpCall(c, "where", nil, neg, wrapped, ind); err != nil {
		return err
	}
	if ind, err = cmpCall(c, "reshape", ops.Attrs{"shape": cmpInsertOne(idx.a, axis)}, ind); err != nil {
		return err
	}
	iota := make([]int64, depth)
	for i := range iota {
		iota[i] = int64(i)
	}
	shape := make([]int, rank-axis)
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = depth
	hot, err := cmpCall(c, "equal", nil, ind, c.addConst(tensor.MustFromSlice(iota, shape...)))
	if err != nil {
		return err
	}
	vals := c.typeOf(c.in(2))
	if len(vals.a) != 1 || vals.a[0] != 2 {
		return c.inputErrorf(2, ErrInvalidModel, "values has shape %v, want [2] (off, on)", vals.a)
	}
	off, err := cmpCall(c, "gather", ops.Attrs{"axis": 0}, c.in(2), c.addConst(tensor.Scalar(int64(0))))
	if err != nil {
		return err
	}
	on, err := cmpCall(c, "gather", ops.Attrs{"axis": 0}, c.in(2), c.addConst(tensor.Scalar(int64(1))))
	if err != nil {
		return err
	}
	return c.emit("where", nil, []string{hot, on, off}, c.out(0))
}

// cmpInsertOne returns shape s (as probed) with a 1 inserted at axis; a
// dynamic dim is left to reshape as -1... only static shapes are handled.
func cmpInsertOne(s tensor.Shape, axis int) []int {
	out := make([]int, 0, len(s)+1)
	out = append(out, s[:axis]...)
	out = append(out, 1)
	return append(out, s[axis:]...)
}

// cmpHardmax is 1 at the first maximum along axis, 0 elsewhere (opset 13's
// axis semantics; older opsets flatten to 2-D at axis, refused unless the
// axis is the last).
func cmpHardmax(c *converter, n *onnxpb.Node) error {
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	rank := len(x.a)
	axis, err := c.attrInt("axis", map[bool]int{true: -1, false: 1}[c.opset >= 13])
	if err != nil {
		return err
	}
	if axis < -rank || axis >= rank {
		return c.errorf(ErrInvalidModel, "attribute \"axis\" %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	if c.opset < 13 && axis != rank-1 {
		return c.errorf(ErrUnsupported, "Hardmax before opset 13 over a non-last axis (it flattens the input to 2-D)")
	}
	if x.dynamic(axis) {
		return c.inputErrorf(0, ErrUnsupported, "Hardmax along a symbolic axis")
	}
	am, err := cmpCall(c, "argmax", ops.Attrs{"axis": axis, "keepdims": 1}, c.in(0))
	if err != nil {
		return err
	}
	iota := make([]int64, x.a[axis])
	for i := range iota {
		iota[i] = int64(i)
	}
	shape := make([]int, rank-axis)
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = x.a[axis]
	hot, err := cmpCall(c, "equal", nil, am, c.addConst(tensor.MustFromSlice(iota, shape...)))
	if err != nil {
		return err
	}
	return c.emit("cast", ops.Attrs{"to": d.String()}, []string{hot}, c.out(0))
}

var _ = fmt.Sprint
