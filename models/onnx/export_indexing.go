package onnx

import (
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
	registerExport("cumsum", "CumSum", tsMatMul, exportCumSum)
	// CumProd and BitCast arrived in opset 26, beyond the opsets Export writes.
	registerExportAt("bitcast", exportRule{onnx: "BitCast", types: func(int) dtypeSet { return 0 },
		emit: func(c *exportCtx) error { return c.unsupported("BitCast needs opset 26") }})
	registerExportAt("cumprod", exportRule{onnx: "CumProd", types: func(int) dtypeSet { return 0 },
		emit: func(c *exportCtx) error { return c.unsupported("CumProd needs opset 26") }})
	ints := dtypesOf(tensor.Int8, tensor.Uint8, tensor.Int32, tensor.Int64)
	registerExport("topk", "TopK", tsFloatNoBF|ints, exportTopK)
}

func exportScatter(onnxOp string, attrs ...string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		if r := c.n.Attrs.String("reduction", ops.ScatterNone); (r == ops.ScatterMax || r == ops.ScatterMin) && c.opset < 18 {
			return c.unsupported("%s's reduction %s needs opset 18", onnxOp, r)
		}
		return simple(onnxOp, attrs...)(c)
	}
}

func exportCumSum(c *exportCtx) error {
	axis, err := c.constant("axis", tensor.Scalar(int64(c.n.Attrs.Int("axis", 0))))
	if err != nil {
		return err
	}
	attrs, err := c.attrs(c.n.Attrs, "exclusive", "reverse")
	if err != nil {
		return err
	}
	c.emit("CumSum", []string{c.in[0], axis}, c.out, attrs...)
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
