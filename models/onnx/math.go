package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// Mappers of the trigonometric and hyperbolic functions, Round, IsNaN,
// IsInf, Mod and the bitwise ops onto ops/elementwise_math.go.

func init() {
	for onnxOp, u := range map[string]struct {
		op    string
		since int64
	}{
		"Sin": {"sin", 7}, "Cos": {"cos", 7}, "Tan": {"tan", 7}, "Asin": {"asin", 7}, "Acos": {"acos", 7},
		"Atan": {"atan", 7}, "Sinh": {"sinh", 9}, "Cosh": {"cosh", 9}, "Asinh": {"asinh", 9},
		"Acosh": {"acosh", 9}, "Atanh": {"atanh", 9}, "Round": {"round", 11}, "IsNaN": {"is_nan", 9},
		"BitwiseNot": {"bitwise_not", 18},
	} {
		register(onnxOp, elemUnary(u.op, u.since, nil))
	}
	register("IsInf", mathWithInts("is_inf", 10, 1, "detect_positive", "detect_negative"))
	register("Mod", mathWithInts("mod", 10, 2, "fmod"))
	for onnxOp, op := range map[string]string{"BitwiseAnd": "bitwise_and", "BitwiseOr": "bitwise_or", "BitwiseXor": "bitwise_xor"} {
		register(onnxOp, elemBinary(op, 18))
	}
	register("BitShift", func(c *converter, n *onnxpb.Node) error {
		if err := c.checkNode(n, 11, 2, 2, 1); err != nil {
			return err
		}
		dir, err := c.attrString("direction", "")
		if err != nil {
			return err
		}
		return c.emit("bit_shift", ops.Attrs{"direction": dir}, []string{c.in(0), c.in(1)}, c.out(0))
	})
}

// mathWithInts maps an op of n inputs whose int attributes pass through
// when set (the catalog's defaults are ONNX's).
func mathWithInts(op string, since int64, n int, names ...string) mapper {
	return ixMap(op, since, n, names, nil)
}

func init() { register("Det", mathWithInts("det", 11, 1)) }
