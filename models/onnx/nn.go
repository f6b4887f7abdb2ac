package onnx

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Mappers of the neural-network ops: MatMul, Gemm, Conv, ConvTranspose and
// the pools. The normalizations and softmaxes are in nn_norm.go.

func init() {
	register("MatMul", nnMatMul)
	register("Gemm", nnGemm)
	register("Conv", nnConv("conv"))
	register("ConvTranspose", nnConv("conv_transpose"))
	register("MaxPool", nnMaxPool)
	register("AveragePool", nnAveragePool)
	register("GlobalAveragePool", nnGlobalPool("global_avg_pool"))
	register("GlobalMaxPool", nnGlobalPool("global_max_pool"))
}

// nnSince refuses attributes the node sets although they were only added to
// its op in a later opset: such a model is invalid, and applying the
// attribute anyway could compute something its producer's runtime never did.
func nnSince(c *converter, opset int64, names ...string) error {
	for _, name := range names {
		if c.hasAttr(name) && c.opset < opset {
			c.used[name] = true
			return c.errorf(ErrInvalidModel, "attribute %q does not exist before opset %d (model opset %d)", name, opset, c.opset)
		}
	}
	return nil
}

// nnUntil refuses attributes the node sets although its op lost them in an
// earlier opset than the model's.
func nnUntil(c *converter, removed int64, names ...string) error {
	for _, name := range names {
		if c.hasAttr(name) && c.opset >= removed {
			c.used[name] = true
			return c.errorf(ErrInvalidModel, "attribute %q was removed in opset %d (model opset %d)", name, removed, c.opset)
		}
	}
	return nil
}

// nnCopyAttrs copies the named attributes, when the node sets them, into a
// catalog op's attributes under the same name. Their ONNX types must match
// the kinds used here: *_shape, pads, strides, dilations, output_* are ints;
// auto_pad is a string; everything else is an int.
func nnCopyAttrs(c *converter, dst ops.Attrs, names ...string) error {
	for _, name := range names {
		if !c.hasAttr(name) {
			continue
		}
		var (
			v   any
			err error
		)
		switch name {
		case "kernel_shape", "pads", "strides", "dilations", "output_padding", "output_shape":
			v, err = c.attrInts(name, nil)
		case "auto_pad":
			v, err = c.attrString(name, "NOTSET")
		default:
			v, err = c.attrInt(name, 0)
		}
		if err != nil {
			return err
		}
		dst[name] = v
	}
	// Exporters write explicit zero pads next to auto_pad; they mean nothing
	// then, and the catalog refuses pads combined with auto_pad.
	if ap, ok := dst["auto_pad"].(string); ok && ap != "NOTSET" && ap != "" {
		if pads, ok := dst["pads"].([]int); ok && nnAllZero(pads) {
			delete(dst, "pads")
		}
	}
	return nil
}

func nnAllZero(v []int) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// nnInputs lists the node's inputs 0..n-1, dropping trailing omitted ones.
func nnInputs(c *converter, n int) []string {
	var in []string
	for i := range n {
		in = append(in, c.in(i))
	}
	for len(in) > 0 && in[len(in)-1] == "" {
		in = in[:len(in)-1]
	}
	return in
}

func nnMatMul(c *converter, _ *onnxpb.Node) error {
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	return c.emit("matmul", nil, []string{c.in(0), c.in(1)}, c.out(0))
}

// nnGemm maps Gemm, Y = alpha·A'·B' + beta·C, onto optional transposes, a
// matmul, a mul by alpha (when alpha != 1) and an add of beta·C (when C is
// given and beta != 0; beta·C folds when C is a constant, as it usually is).
// Opset 6's broadcast attribute: 0 requires C to be exactly (M, N); 1 lets C
// broadcast to (M, N), as C always may from opset 7. C is optional from opset 11.
func nnGemm(c *converter, _ *onnxpb.Node) error {
	minIn := 3
	if c.opset >= 11 {
		minIn = 2
	}
	if err := c.requireInputs(minIn, 3); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	if err := nnUntil(c, 7, "broadcast"); err != nil {
		return err
	}
	broadcast := true
	if c.opset < 7 {
		b, err := c.attrInt("broadcast", 0)
		if err != nil {
			return err
		}
		broadcast = b != 0
	}
	transA, err := c.attrInt("transA", 0)
	if err != nil {
		return err
	}
	transB, err := c.attrInt("transB", 0)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	beta, err := c.attrFloat("beta", 1)
	if err != nil {
		return err
	}
	a, b, cIn := c.in(0), c.in(1), c.in(2)
	for i, name := range []string{a, b} {
		if r := len(c.typeOf(name).a); r != 2 {
			return c.inputErrorf(i, ErrInvalidModel, "rank %d, Gemm needs a matrix", r)
		}
	}
	d := c.typeOf(a).dtype
	if d.IsInt() && (alpha != math.Trunc(alpha) || beta != math.Trunc(beta)) {
		return c.errorf(ErrUnsupported, "non-integer alpha %v or beta %v on an integer Gemm", alpha, beta)
	}
	useC := cIn != "" && beta != 0
	scale := alpha != 1
	// Each step writes a fresh value, the last one the node's output.
	dst := func(last bool) string {
		if last {
			return c.out(0)
		}
		return c.tmp()
	}
	for i, t := range []struct {
		name *string
		on   int
	}{{&a, transA}, {&b, transB}} {
		if t.on != 0 && t.on != 1 {
			return c.errorf(ErrInvalidModel, "attribute %q is %d, want 0 or 1", []string{"transA", "transB"}[i], t.on)
		}
		if t.on == 1 {
			tr := c.tmp()
			if err := c.emit("transpose", ops.Attrs{"perm": []int{1, 0}}, []string{*t.name}, tr); err != nil {
				return err
			}
			*t.name = tr
		}
	}
	y := dst(!scale && !useC)
	if err := c.emit("matmul", nil, []string{a, b}, y); err != nil {
		return err
	}
	if scale {
		k, err := nnScalar(c, d, alpha)
		if err != nil {
			return err
		}
		next := dst(!useC)
		if err := c.emit("mul", nil, []string{y, k}, next); err != nil {
			return err
		}
		y = next
	}
	if !useC {
		return nil
	}
	yt, ct := c.typeOf(y), c.typeOf(cIn)
	if err := nnGemmCheckC(ct.a, yt.a, broadcast); err != nil {
		return c.inputErrorf(2, ErrInvalidModel, "%v", err)
	}
	if err := nnGemmCheckC(ct.b, yt.b, broadcast); err != nil {
		return fmt.Errorf("%w: Gemm C: %v", errProbe, err)
	}
	if beta != 1 {
		k, err := nnScalar(c, ct.dtype, beta)
		if err != nil {
			return err
		}
		scaled := c.tmp()
		if err := c.emit("mul", nil, []string{cIn, k}, scaled); err != nil {
			return err
		}
		cIn = scaled
	}
	return c.emit("add", nil, []string{y, cIn}, c.out(0))
}

// nnGemmCheckC checks C's shape against the (M, N) result: equal, or with
// broadcast, broadcasting one way to it.
func nnGemmCheckC(cs, ys tensor.Shape, broadcast bool) error {
	if !broadcast {
		if !cs.Equal(ys) {
			return fmt.Errorf("shape %v, want %v (opset 6 Gemm without broadcast)", cs, ys)
		}
		return nil
	}
	if len(cs) > len(ys) {
		return fmt.Errorf("rank %d, want at most %d", len(cs), len(ys))
	}
	off := len(ys) - len(cs)
	for i, d := range cs {
		if d != 1 && d != ys[off+i] {
			return fmt.Errorf("shape %v does not broadcast to the result %v", cs, ys)
		}
	}
	return nil
}

// nnScalar adds a scalar constant of dtype d.
func nnScalar(c *converter, d tensor.DType, v float64) (string, error) {
	t, err := tensor.FromFloat64s(d, tensor.Shape{}, []float64{v})
	if err != nil {
		return "", c.errorf(ErrUnsupported, "scalar %v of dtype %v: %w", v, d, err)
	}
	return c.addConst(t), nil
}

// nnConv maps Conv (opset 1 and 11 are the same for inference) and
// ConvTranspose onto the catalog ops of the same attributes. ConvTranspose's
// output_shape may list the full output shape (N, M, spatial...) instead of
// the spatial dims only, as some exporters write and onnxruntime accepts;
// its leading two entries are dropped then.
func nnConv(op string) mapper {
	return func(c *converter, _ *onnxpb.Node) error {
		if err := c.requireInputs(2, 3); err != nil {
			return err
		}
		if err := c.requireOutputs(1); err != nil {
			return err
		}
		attrs := ops.Attrs{}
		names := []string{"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"}
		if op == "conv_transpose" {
			names = append(names, "output_padding", "output_shape")
		}
		if err := nnCopyAttrs(c, attrs, names...); err != nil {
			return err
		}
		if shape, ok := attrs["output_shape"].([]int); ok {
			if k := len(c.typeOf(c.in(0)).a) - 2; k >= 1 && len(shape) == k+2 {
				attrs["output_shape"] = shape[2:]
			}
		}
		return c.emit(op, attrs, nnInputs(c, 3), c.out(0))
	}
}

// nnMaxPool maps MaxPool (single output). storage_order (opset 8) only
// decides how the Indices output is laid out, which is not supported, so
// both of its values are accepted while Indices is unused. dilations and
// ceil_mode exist from opset 10.
func nnMaxPool(c *converter, _ *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	if err := nnSince(c, 8, "storage_order"); err != nil {
		return err
	}
	if err := nnSince(c, 10, "dilations", "ceil_mode"); err != nil {
		return err
	}
	so, err := c.attrInt("storage_order", 0)
	if err != nil {
		return err
	}
	if so != 0 && so != 1 {
		return c.errorf(ErrInvalidModel, "attribute \"storage_order\" is %d, want 0 or 1", so)
	}
	return nnPool(c, "max_pool", "kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad")
}

// nnAveragePool maps AveragePool: count_include_pad from opset 7, ceil_mode
// from 10, dilations from 19.
func nnAveragePool(c *converter, _ *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	if err := nnSince(c, 7, "count_include_pad"); err != nil {
		return err
	}
	if err := nnSince(c, 10, "ceil_mode"); err != nil {
		return err
	}
	if err := nnSince(c, 19, "dilations"); err != nil {
		return err
	}
	return nnPool(c, "avg_pool", "kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "count_include_pad")
}

func nnPool(c *converter, op string, names ...string) error {
	if !c.hasAttr("kernel_shape") {
		return c.errorf(ErrInvalidModel, "required attribute \"kernel_shape\" is missing")
	}
	attrs := ops.Attrs{}
	if err := nnCopyAttrs(c, attrs, names...); err != nil {
		return err
	}
	return c.emit(op, attrs, []string{c.in(0)}, c.out(0))
}

func nnGlobalPool(op string) mapper {
	return func(c *converter, _ *onnxpb.Node) error {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		if err := c.requireOutputs(1); err != nil {
			return err
		}
		return c.emit(op, nil, []string{c.in(0)}, c.out(0))
	}
}
