package onnx

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Export rules of ops/elementwise_math.go: each is one ONNX op. Bitwise
// And/Or/Xor/Not arrived in opset 18.

func init() {
	for op, onnxOp := range map[string]string{
		"sin": "Sin", "cos": "Cos", "tan": "Tan", "asin": "Asin", "acos": "Acos", "atan": "Atan",
		"sinh": "Sinh", "cosh": "Cosh", "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh", "round": "Round",
		"is_nan": "IsNaN",
	} {
		registerExport(op, onnxOp, tsFloatNoBF, simple(onnxOp))
	}
	registerExport("is_inf", "IsInf", tsFloatNoBF, simple("IsInf", "detect_positive", "detect_negative"))
	registerExport("mod", "Mod", tsArith, simple("Mod", "fmod"))
	registerExport("bit_shift", "BitShift", dtypesOf(tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64),
		simple("BitShift", "direction"))
	ints := dtypesOf(tensor.Int8, tensor.Uint8, tensor.Int32, tensor.Int64) | tsWideInts
	for op, onnxOp := range map[string]string{
		"bitwise_and": "BitwiseAnd", "bitwise_or": "BitwiseOr", "bitwise_xor": "BitwiseXor", "bitwise_not": "BitwiseNot",
	} {
		registerExportAt(op, exportRule{onnx: onnxOp, emit: simple(onnxOp), types: since(18, ints)})
	}
}

// Det takes float16, float32 and float64 (bfloat16 from opset 22; before,
// it is computed in float32 between Casts).
func init() {
	registerExportAt("det", exportRule{onnx: "Det", emit: simple("Det"), types: func(opset int) dtypeSet {
		if opset >= 22 {
			return tsFloat
		}
		return tsFloatNoBF
	}})
}
