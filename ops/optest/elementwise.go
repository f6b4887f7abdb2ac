package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Hand-computed cases for the elementwise family, part 1: helpers and the
// unary ops. Transcendental expectations are well-known constants, quoted to
// float64 precision:
//
//	e = exp(1) = 2.718281828459045, exp(-1) = 0.36787944117144233, exp(2) = 7.38905609893065
//	ln 2 = 0.6931471805599453, ln(1+e) = 1.3132616875182228, √2 = 1.4142135623730951
//	sigmoid(1) = 1/(1+e^-1) = 0.7310585786300049, sigmoid(-1) = 1 − sigmoid(1) = 0.2689414213699951
//	tanh(1) = 0.7615941559557649, erf(1) = 0.8427007929497149
//	gelu(1) = Φ(1) = 0.8413447460685429, gelu(-1) = −Φ(−1) = −0.15865525393145707
//	e^-1 − 1 = −0.6321205588285577

// ewE is Euler's number e.
const ewE = 2.718281828459045

// ewNaN, ewInf and ewNegZero are NaN, +Inf and −0 (Go constants cannot be −0).
var (
	ewNaN     = math.NaN()
	ewInf     = math.Inf(1)
	ewNegZero = math.Copysign(0, -1)
)

// ewF builds a float tensor of dtype d from float64 literals, rounding each to
// d (for expected values this just states the hand value at d's precision).
func ewF(d tensor.DType, shape []int, vals ...float64) *tensor.Tensor {
	t, err := tensor.FromFloat64s(d, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

// ewF32 builds a float32 tensor; see ewF.
func ewF32(shape []int, vals ...float64) *tensor.Tensor { return ewF(tensor.Float32, shape, vals...) }

// ewI32 builds an int32 tensor.
func ewI32(shape []int, vals ...int32) *tensor.Tensor { return tensor.MustFromSlice(vals, shape...) }

// ewI64 builds an int64 tensor.
func ewI64(shape []int, vals ...int64) *tensor.Tensor { return tensor.MustFromSlice(vals, shape...) }

// ewB builds a bool tensor.
func ewB(shape []int, vals ...bool) *tensor.Tensor { return tensor.MustFromSlice(vals, shape...) }

// ewIn and ewOut list inputs and expected outputs, for brevity.
func ewIn(ts ...*tensor.Tensor) []*tensor.Tensor  { return ts }
func ewOut(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

// ewUnaryCase is a case of a one-input op.
func ewUnaryCase(name, op string, a ops.Attrs, x, want *tensor.Tensor) Case {
	return Case{Name: name, Op: op, Attrs: a, Inputs: ewIn(x), Want: ewOut(want)}
}

func init() {
	v4 := []int{4}
	v3 := []int{3}
	v2 := []int{2}
	Register(
		// exp: e^0 = 1, e^1 = e, e^-1 = 0.36787944117144233, e^2 = 7.38905609893065
		ewUnaryCase("exp/basic", "exp", nil, ewF32(v4, 0, 1, -1, 2),
			ewF32(v4, 1, ewE, 0.36787944117144233, 7.38905609893065)),
		ewUnaryCase("exp/float64", "exp", nil, ewF(tensor.Float64, v2, 0, 1), ewF(tensor.Float64, v2, 1, ewE)),
		// float16: e rounds to 2.71875, the nearest half
		ewUnaryCase("exp/float16", "exp", nil, ewF(tensor.Float16, v2, 0, 1), ewF(tensor.Float16, v2, 1, ewE)),
		ewUnaryCase("exp/bfloat16", "exp", nil, ewF(tensor.BFloat16, v2, 0, 1), ewF(tensor.BFloat16, v2, 1, ewE)),
		ewUnaryCase("exp/scalar", "exp", nil, ewF32([]int{}, 0), ewF32([]int{}, 1)),
		ewUnaryCase("exp/zero_size", "exp", nil, ewF32([]int{0, 3}), ewF32([]int{0, 3})),
		// log: ln 1 = 0, ln e = 1, ln 0.5 = −ln 2, ln 0 = −Inf, ln(−1) = NaN
		ewUnaryCase("log/basic", "log", nil, ewF32([]int{5}, 1, ewE, 0.5, 0, -1),
			ewF32([]int{5}, 0, 1, -0.6931471805599453, -ewInf, ewNaN)),
		ewUnaryCase("log/float64", "log", nil, ewF(tensor.Float64, v2, 1, 2), ewF(tensor.Float64, v2, 0, 0.6931471805599453)),
		// sqrt: √0 = 0, √1 = 1, √4 = 2, √2 = 1.4142135623730951, √−1 = NaN
		ewUnaryCase("sqrt/basic", "sqrt", nil, ewF32([]int{5}, 0, 1, 4, 2, -1),
			ewF32([]int{5}, 0, 1, 2, 1.4142135623730951, ewNaN)),
		// reciprocal: 1/1, 1/2, 1/−4, 1/0 = +Inf
		ewUnaryCase("reciprocal/basic", "reciprocal", nil, ewF32(v4, 1, 2, -4, 0), ewF32(v4, 1, 0.5, -0.25, ewInf)),
		// sigmoid: 0 → 0.5, ±1 → 0.7310585786300049 / 0.2689414213699951, ±1000 → 1 / 0 without overflow
		ewUnaryCase("sigmoid/basic", "sigmoid", nil, ewF32([]int{5}, 0, 1, -1, 1000, -1000),
			ewF32([]int{5}, 0.5, 0.7310585786300049, 0.2689414213699951, 1, 0)),
		ewUnaryCase("sigmoid/float16", "sigmoid", nil, ewF(tensor.Float16, v2, 0, 1),
			ewF(tensor.Float16, v2, 0.5, 0.7310585786300049)),
		// tanh: 0, ±0.7615941559557649
		ewUnaryCase("tanh/basic", "tanh", nil, ewF32(v3, 0, 1, -1), ewF32(v3, 0, 0.7615941559557649, -0.7615941559557649)),
		// erf: odd, erf(1) = 0.8427007929497149
		ewUnaryCase("erf/basic", "erf", nil, ewF32(v3, 0, 1, -1), ewF32(v3, 0, 0.8427007929497149, -0.8427007929497149)),
		ewUnaryCase("erf/float64", "erf", nil, ewF(tensor.Float64, v2, 0, 1),
			ewF(tensor.Float64, v2, 0, 0.8427007929497149)),
		// softplus: ln(1+1) = ln 2, ln(1+e) = 1.3132616875182228, 1000 → 1000, −1000 → 0 (stable form)
		ewUnaryCase("softplus/basic", "softplus", nil, ewF32(v4, 0, 1, 1000, -1000),
			ewF32(v4, 0.6931471805599453, 1.3132616875182228, 1000, 0)),
		// softsign: 0/1, 1/2, −3/4
		ewUnaryCase("softsign/basic", "softsign", nil, ewF32(v3, 0, 1, -3), ewF32(v3, 0, 0.5, -0.75)),
		ewUnaryCase("floor/basic", "floor", nil, ewF32(v4, 1.5, -1.5, 2, -0.5), ewF32(v4, 1, -2, 2, -1)),
		ewUnaryCase("ceil/basic", "ceil", nil, ewF32(v4, 1.5, -1.5, 2, -0.5), ewF32(v4, 2, -1, 2, 0)),
		// gelu (exact): x·Φ(x); Φ(1) = 0.8413447460685429, −Φ(−1) = −(1 − Φ(1)) = −0.15865525393145707
		ewUnaryCase("gelu/default", "gelu", nil, ewF32(v3, 0, 1, -1),
			ewF32(v3, 0, 0.8413447460685429, -0.15865525393145707)),
		ewUnaryCase("gelu/none", "gelu", ops.Attrs{"approximate": "none"}, ewF(tensor.Float64, v2, 1, -1),
			ewF(tensor.Float64, v2, 0.8413447460685429, -0.15865525393145707)),
		// gelu tanh form at 1: 0.5·(1+tanh(√(2/π)·1.044715)) = 0.5·(1+tanh(0.83356197)) = 0.5·1.68238398 = 0.8411919906082768;
		// at −1 it is −1 + gelu(1) (the form is x·s(x) with s(−x) = 1 − s(x)) = −0.1588080093917232
		ewUnaryCase("gelu/tanh", "gelu", ops.Attrs{"approximate": "tanh"}, ewF32(v3, 0, 1, -1),
			ewF32(v3, 0, 0.8411919906082768, -0.1588080093917232)),
		// elu: x for x >= 0, alpha·(e^x − 1) below: e^-1 − 1 = −0.6321205588285577
		ewUnaryCase("elu/default", "elu", nil, ewF32(v3, 1, 0, -1), ewF32(v3, 1, 0, -0.6321205588285577)),
		ewUnaryCase("elu/alpha", "elu", ops.Attrs{"alpha": 2.0}, ewF32(v2, 3, -1), ewF32(v2, 3, -1.2642411176571153)),
		// selu with ONNX defaults: 1 → gamma = 1.05070102214813232421875,
		// −1 → gamma·alpha·(e^-1 − 1) = 1.0507010221·1.6732631922·(−0.6321205588) = −1.1113307412864784
		ewUnaryCase("selu/default", "selu", nil, ewF32(v3, 1, 0, -1),
			ewF32(v3, 1.05070102214813232421875, 0, -1.1113307412864784)),
		// selu alpha=1 gamma=2: 2 → 4, −1 → 2·(e^-1 − 1) = −1.2642411176571153
		ewUnaryCase("selu/attrs", "selu", ops.Attrs{"alpha": 1.0, "gamma": 2.0}, ewF32(v2, 2, -1),
			ewF32(v2, 4, -1.2642411176571153)),
		ewUnaryCase("leaky_relu/default", "leaky_relu", nil, ewF32(v3, 2, -2, 0), ewF32(v3, 2, -0.02, 0)),
		ewUnaryCase("leaky_relu/alpha", "leaky_relu", ops.Attrs{"alpha": 0.5}, ewF32(v2, -4, ewNaN), ewF32(v2, -2, ewNaN)),
		// hard_sigmoid default: 0.2·x + 0.5 clamped to [0,1]: 0 → 0.5, 1 → 0.7, 10 → 1, −10 → 0
		ewUnaryCase("hard_sigmoid/default", "hard_sigmoid", nil, ewF32(v4, 0, 1, 10, -10), ewF32(v4, 0.5, 0.7, 1, 0)),
		// alpha 0.5, beta 0: 1 → 0.5, −1 → 0, 4 → 1
		ewUnaryCase("hard_sigmoid/attrs", "hard_sigmoid", ops.Attrs{"alpha": 0.5, "beta": 0.0},
			ewF32(v3, 1, -1, 4), ewF32(v3, 0.5, 0, 1)),

		ewUnaryCase("neg/float32", "neg", nil, ewF32(v3, 1, -2.5, 0), ewF32(v3, -1, 2.5, 0)),
		ewUnaryCase("neg/int32", "neg", nil, ewI32(v3, 1, -2, 0), ewI32(v3, -1, 2, 0)),
		ewUnaryCase("neg/int64", "neg", nil, ewI64(v2, 5, -7), ewI64(v2, -5, 7)),
		// int8: −(−128) wraps to −128, as in Go and numpy
		ewUnaryCase("neg/int8_wrap", "neg", nil, tensor.MustFromSlice([]int8{-128, 127}, 2),
			tensor.MustFromSlice([]int8{-128, -127}, 2)),
		ewUnaryCase("abs/float32", "abs", nil, ewF32(v3, -1.5, 2, 0), ewF32(v3, 1.5, 2, 0)),
		ewUnaryCase("abs/float16", "abs", nil, ewF(tensor.Float16, v2, -1.5, 2), ewF(tensor.Float16, v2, 1.5, 2)),
		ewUnaryCase("abs/int32", "abs", nil, ewI32(v3, -3, 3, 0), ewI32(v3, 3, 3, 0)),
		ewUnaryCase("abs/int64", "abs", nil, ewI64(v2, -5, 5), ewI64(v2, 5, 5)),
		ewUnaryCase("relu/float32", "relu", nil, ewF32(v4, -1, 0, 2, ewNaN), ewF32(v4, 0, 0, 2, ewNaN)),
		ewUnaryCase("relu/int32", "relu", nil, ewI32(v3, -3, 0, 4), ewI32(v3, 0, 0, 4)),
		ewUnaryCase("relu/int64", "relu", nil, ewI64(v2, -3, 4), ewI64(v2, 0, 4)),
		ewUnaryCase("relu/float64", "relu", nil, ewF(tensor.Float64, v2, -0.5, 0.5), ewF(tensor.Float64, v2, 0, 0.5)),
		ewUnaryCase("sign/float32", "sign", nil, ewF32([]int{5}, -2, 0, 3, ewNaN, -0.25),
			ewF32([]int{5}, -1, 0, 1, ewNaN, -1)),
		ewUnaryCase("sign/int32", "sign", nil, ewI32(v3, -5, 0, 7), ewI32(v3, -1, 0, 1)),
		ewUnaryCase("sign/int64", "sign", nil, ewI64(v3, -9, 0, 1<<40), ewI64(v3, -1, 0, 1)),
		ewUnaryCase("not/basic", "not", nil, ewB([]int{2, 2}, true, false, false, true),
			ewB([]int{2, 2}, false, true, true, false)),
		ewUnaryCase("not/zero_size", "not", nil, ewB([]int{0}), ewB([]int{0})),
	)
}
