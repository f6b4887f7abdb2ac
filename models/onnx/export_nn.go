package onnx

import (
	"errors"
	"slices"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Export rules of the neural-network ops: MatMul, convolutions, pools,
// normalizations and softmaxes.

func init() {
	registerExport("matmul", "MatMul", tsMatMul, simple("MatMul"))
	registerExport("conv", "Conv", tsFloatNoBF, exportConv)
	registerExport("conv_transpose", "ConvTranspose", tsFloatNoBF, exportConvTranspose)
	registerExport("max_pool", "MaxPool", tsMaxPool, exportPool("MaxPool", false))
	registerExport("avg_pool", "AveragePool", tsFloatNoBF, exportPool("AveragePool", true))
	registerExport("global_avg_pool", "GlobalAveragePool", tsFloatNoBF, simple("GlobalAveragePool"))
	registerExport("global_max_pool", "GlobalMaxPool", tsFloatNoBF, simple("GlobalMaxPool"))
	registerExport("batch_norm", "BatchNormalization", tsFloat, simple("BatchNormalization", "epsilon"))
	registerExport("instance_norm", "InstanceNormalization", tsFloatNoBF, simple("InstanceNormalization", "epsilon"))
	registerExport("lrn", "LRN", tsFloat, simple("LRN", "size", "alpha", "beta", "bias"))
	registerExport("layer_norm", "LayerNormalization", tsFloat, exportLayerNorm)
	registerExport("softmax", "Softmax", tsFloat, simple("Softmax", "axis"))
	registerExport("log_softmax", "LogSoftmax", tsFloat, simple("LogSoftmax", "axis"))
}

// Every window attribute written for conv, conv_transpose and the pools.
var exportWindowAttrs = []string{"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad",
	"output_padding", "output_shape", "ceil_mode", "count_include_pad"}

// spatialStatic returns input i's shape when every dim but the batch dim is
// static: what a window's geometry depends on.
func (c *exportCtx) spatialStatic(i int) (tensor.Shape, bool) {
	t := c.typ(i)
	for d := 1; d < len(t.a); d++ {
		if t.dynamic(d) {
			return nil, false
		}
	}
	return t.a, true
}

// explicitPads replaces auto_pad (and, for conv_transpose, output_shape) by
// the pads the catalog op resolves them to, when x's spatial dims are static.
// ONNX marks auto_pad deprecated and runtimes have disagreed on it (SAME
// with strides, ceil_mode or ConvTranspose); explicit pads mean one thing
// everywhere. The rewrite is kept only when resolving it gives the same
// geometry, and never for negative pads (conv_transpose's output larger than
// its full result), which ONNX's pads cannot express.
func (c *exportCtx) explicitPads(resolve func(x tensor.Shape, a ops.Attrs) (pads, out []int, err error)) ops.Attrs {
	a := c.n.Attrs
	if a.String("auto_pad", "NOTSET") == "NOTSET" && !a.Has("output_shape") {
		return a
	}
	x, ok := c.spatialStatic(0)
	if !ok {
		return a
	}
	pads, out, err := resolve(x, a)
	if err != nil || slices.ContainsFunc(pads, func(p int) bool { return p < 0 }) {
		return a
	}
	explicit := a.Clone()
	delete(explicit, "auto_pad")
	delete(explicit, "output_shape")
	explicit["pads"] = pads
	pads2, out2, err := resolve(x, explicit)
	if err != nil || !slices.Equal(pads, pads2) || !slices.Equal(out, out2) {
		return a
	}
	return explicit
}

// convResolver resolves a conv or conv_transpose geometry for the node's weight.
func (c *exportCtx) convResolver(transpose bool) func(x tensor.Shape, a ops.Attrs) ([]int, []int, error) {
	return func(x tensor.Shape, a ops.Attrs) ([]int, []int, error) {
		w, ok := c.static(1)
		if !ok {
			return nil, nil, errDynamicWeight
		}
		resolve := ops.ResolveConv
		if transpose {
			resolve = ops.ResolveConvTranspose
		}
		g, err := resolve(x, w, a)
		return g.Pads, g.Out, err
	}
}

var errDynamicWeight = errors.New("the weight's shape depends on a symbolic dim")

func exportConv(c *exportCtx) error {
	attrs, err := c.attrs(c.explicitPads(c.convResolver(false)), exportWindowAttrs...)
	if err != nil {
		return err
	}
	c.emit("Conv", c.in, c.out, attrs...)
	return nil
}

func exportConvTranspose(c *exportCtx) error {
	attrs, err := c.attrs(c.explicitPads(c.convResolver(true)), exportWindowAttrs...)
	if err != nil {
		return err
	}
	c.emit("ConvTranspose", c.in, c.out, attrs...)
	return nil
}

// exportPool writes MaxPool or AveragePool. AveragePool has dilations only
// from opset 19: before, unit dilations are dropped and others refused.
func exportPool(onnxOp string, avg bool) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		a := c.explicitPads(func(x tensor.Shape, a ops.Attrs) ([]int, []int, error) {
			g, err := ops.ResolvePool(x, a, avg)
			return g.Pads, g.Out, err
		})
		if avg && c.opset < 19 && a.Has("dilations") {
			if slices.ContainsFunc(a.Ints("dilations", nil), func(d int) bool { return d != 1 }) {
				return c.needs(19, "AveragePool has dilations only from opset 19")
			}
			a = a.Clone()
			delete(a, "dilations")
		}
		attrs, err := c.attrs(a, exportWindowAttrs...)
		if err != nil {
			return err
		}
		c.emit(onnxOp, c.in, c.out, attrs...)
		return nil
	}
}

// exportLayerNorm writes LayerNormalization, or for float64 its defining
// function in float64 ops: LayerNormalization computes mean and variance in
// the type of stash_type, which may only be float32 or bfloat16, while
// layer_norm keeps float64 precision.
//
// ONNX lets scale and bias broadcast to x, as layer_norm does, but ONNX
// Runtime before 1.24 refused any scale or bias not exactly of shape
// x.shape[axis:]; smaller ones are widened with Expand when that shape is static.
func exportLayerNorm(c *exportCtx) error {
	x := c.typ(0)
	axis, err := tensor.NormalizeAxis(c.n.Attrs.Int("axis", -1), len(x.a))
	if err != nil {
		return c.unsupported("%v", err)
	}
	if c.dt == tensor.Float64 {
		return exportLayerNormFloat64(c, axis)
	}
	in := slices.Clone(c.in)
	norm := x.a[axis:]
	staticNorm := true
	for d := axis; d < len(x.a); d++ {
		staticNorm = staticNorm && !x.dynamic(d)
	}
	for i := 1; i < len(in) && staticNorm; i++ {
		if in[i] == "" || c.typ(i).a.Equal(norm) {
			continue
		}
		shape, err := c.ints("norm_shape", norm)
		if err != nil {
			return err
		}
		in[i] = c.emitTmp("Expand", []string{in[i], shape})
	}
	attrs, err := c.attrs(c.n.Attrs, "axis", "epsilon")
	if err != nil {
		return err
	}
	c.emit("LayerNormalization", in, c.out, attrs...)
	return nil
}

// exportLayerNormFloat64 writes (x − mean)/√(var + ε)·scale + bias with the
// mean and population variance over axes axis.. of x.
func exportLayerNormFloat64(c *exportCtx, axis int) error {
	axes := make([]int, 0, len(c.typ(0).a)-axis)
	for d := axis; d < len(c.typ(0).a); d++ {
		axes = append(axes, d)
	}
	mean, err := c.reduce("ReduceMean", c.in[0], axes, 1)
	if err != nil {
		return err
	}
	diff := c.emitTmp("Sub", []string{c.in[0], mean})
	variance, err := c.reduce("ReduceMean", c.emitTmp("Mul", []string{diff, diff}), axes, 1)
	if err != nil {
		return err
	}
	eps, err := c.scalar("epsilon", tensor.Float64, c.n.Attrs.Float("epsilon", 1e-5))
	if err != nil {
		return err
	}
	std := c.emitTmp("Sqrt", []string{c.emitTmp("Add", []string{variance, eps})})
	normalized := c.emitTmp("Div", []string{diff, std})
	if len(c.in) < 3 || c.in[2] == "" {
		c.emit("Mul", []string{normalized, c.in[1]}, c.out)
		return nil
	}
	c.emit("Add", []string{c.emitTmp("Mul", []string{normalized, c.in[1]}), c.in[2]}, c.out)
	return nil
}
