package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Export rules of ops/indexing.go. ScatterElements and ScatterND have the
// max and min reductions from opset 18; CumSum's axis and TopK's k are
// int64 initializers.

func init() {
	registerExport("gather_elements", "GatherElements", tsAll, simple("GatherElements", "axis"))
	registerExport("gather_nd", "GatherND", tsAll, simple("GatherND", "batch_dims"))
	registerExport("scatter_elements", "ScatterElements", tsAll, exportScatter("ScatterElements", "axis", "reduction"))
	registerExport("scatter_nd", "ScatterND", tsAll, exportScatter("ScatterND", "reduction"))
	registerExport("cumsum", "CumSum", tsMatMul|dtypesOf(tensor.Uint32, tensor.Uint64), exportCumulative("CumSum"))
	// BitCast and CumProd arrived in opset 26. BitCast takes every type but
	// string; CumProd takes CumSum's.
	registerExportAt("bitcast", exportRule{onnx: "BitCast", types: since(26, tsAll), emit: exportBitCast})
	registerExportAt("cumprod", exportRule{onnx: "CumProd", types: since(26, tsMatMul|dtypesOf(tensor.Uint32, tensor.Uint64)),
		emit: exportCumulative("CumProd")})
	ints := dtypesOf(tensor.Int8, tensor.Uint8, tensor.Int32, tensor.Int64)
	registerExport("topk", "TopK", tsFloatNoBF|ints, exportTopK)
}

func exportScatter(onnxOp string, attrs ...string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		if r := c.n.Attrs.String("reduction", ops.ScatterNone); (r == ops.ScatterMax || r == ops.ScatterMin) && c.opset < 18 {
			return c.needs(18, "%s's reduction %s arrived in opset 18", onnxOp, r)
		}
		return simple(onnxOp, attrs...)(c)
	}
}

// exportCumulative writes CumSum or CumProd, whose axis is a scalar input.
func exportCumulative(onnxOp string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		axis, err := c.constant("axis", tensor.Scalar(int64(c.n.Attrs.Int("axis", 0))))
		if err != nil {
			return err
		}
		attrs, err := c.attrs(c.n.Attrs, "exclusive", "reverse")
		if err != nil {
			return err
		}
		c.emit(onnxOp, []string{c.in[0], axis}, c.out, attrs...)
		return nil
	}
}

// exportBitCast writes BitCast, whose "to" is an element type number.
func exportBitCast(c *exportCtx) error {
	to, err := tensor.ParseDType(c.n.Attrs.String("to", ""))
	if err != nil {
		return c.unsupported("%v", err)
	}
	et, err := onnxpb.DataTypeOf(to)
	if err != nil {
		return c.unsupported("%v", err)
	}
	c.emit("BitCast", c.in, c.out, xInt("to", int64(et)))
	return nil
}

func exportTopK(c *exportCtx) error {
	k, err := c.ints("k", []int{c.n.Attrs.Int("k", 0)})
	if err != nil {
		return err
	}
	attrs, err := c.attrs(c.n.Attrs, "axis", "largest", "sorted")
	if err != nil {
		return err
	}
	c.emit("TopK", []string{c.in[0], k}, c.out, attrs...)
	return nil
}
