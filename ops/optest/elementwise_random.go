package optest

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Randomized parity cases for the elementwise family: every op on float32
// [2,3,4] (binary ops also broadcasting [2,3,4] with [3,1]), plus integer,
// bool, float16 and float64 variants where the op allows them. Ranges keep
// the math defined and well-conditioned (positive inputs for log, sqrt and
// reciprocal, a positive base for pow, divisors away from zero).

// ewShape3 is the shape every elementwise random case is built around.
var ewShape3 = tensor.Shape{2, 3, 4}

// ewRange is a random input of dtype d and shape s, uniform in [lo, hi).
func ewRange(d tensor.DType, s tensor.Shape, lo, hi float64) Input {
	return Input{DType: d, Shape: s, Lo: lo, Hi: hi}
}

// ewBoolInput is a random bool input of shape s (0 or 1, inclusive bounds).
func ewBoolInput(s tensor.Shape) Input { return Input{DType: tensor.Bool, Shape: s, Lo: 0, Hi: 1} }

func init() {
	f32, f16, f64, i32, i64 := tensor.Float32, tensor.Float16, tensor.Float64, tensor.Int32, tensor.Int64
	col := tensor.Shape{3, 1}
	var cs []RandomCase
	add := func(name, op string, a ops.Attrs, in ...Input) {
		cs = append(cs, RandomCase{Name: op + "/random_" + name, Op: op, Attrs: a, Inputs: in})
	}

	// unary float ops: name → input range
	for _, u := range []struct {
		op     string
		lo, hi float64
		attrs  ops.Attrs
		suffix string
	}{
		{op: "exp", lo: -3, hi: 3},
		{op: "log", lo: 0.1, hi: 4},
		{op: "sqrt", lo: 0, hi: 4},
		{op: "reciprocal", lo: 0.25, hi: 4},
		{op: "sigmoid", lo: -6, hi: 6},
		{op: "tanh", lo: -3, hi: 3},
		{op: "erf", lo: -3, hi: 3},
		{op: "softplus", lo: -10, hi: 10},
		{op: "softsign", lo: -5, hi: 5},
		{op: "floor", lo: -5, hi: 5},
		{op: "ceil", lo: -5, hi: 5},
		{op: "gelu", lo: -4, hi: 4},
		{op: "gelu", lo: -4, hi: 4, attrs: ops.Attrs{"approximate": "tanh"}, suffix: "_tanh"},
		{op: "elu", lo: -3, hi: 3},
		{op: "elu", lo: -3, hi: 3, attrs: ops.Attrs{"alpha": 0.5}, suffix: "_alpha"},
		{op: "selu", lo: -3, hi: 3},
		{op: "leaky_relu", lo: -3, hi: 3},
		{op: "leaky_relu", lo: -3, hi: 3, attrs: ops.Attrs{"alpha": 0.2}, suffix: "_alpha"},
		{op: "hard_sigmoid", lo: -5, hi: 5},
		{op: "hard_sigmoid", lo: -5, hi: 5, attrs: ops.Attrs{"alpha": 0.3, "beta": 0.4}, suffix: "_attrs"},
		{op: "neg", lo: -3, hi: 3},
		{op: "abs", lo: -3, hi: 3},
		{op: "relu", lo: -3, hi: 3},
		{op: "sign", lo: -3, hi: 3},
		{op: "identity", lo: -3, hi: 3},
	} {
		add("float32"+u.suffix, u.op, u.attrs, ewRange(f32, ewShape3, u.lo, u.hi))
	}
	add("float16", "exp", nil, ewRange(f16, ewShape3, -3, 3))
	add("float16", "sigmoid", nil, ewRange(f16, ewShape3, -6, 6))
	add("float16", "gelu", nil, ewRange(f16, ewShape3, -4, 4))
	add("float64", "tanh", nil, ewRange(f64, ewShape3, -3, 3))
	add("float64", "log", nil, ewRange(f64, ewShape3, 0.1, 4))
	for _, op := range []string{"neg", "abs", "relu", "sign"} {
		add("int32", op, nil, ewRange(i32, ewShape3, -50, 50))
	}
	add("int64", "abs", nil, ewRange(i64, ewShape3, -50, 50))
	add("bool", "not", nil, ewBoolInput(ewShape3))

	// binary ops: a and b ranges (b away from zero for div)
	for _, b := range []struct {
		op       string
		alo, ahi float64
		blo, bhi float64
		ints     bool
	}{
		{op: "add", alo: -3, ahi: 3, blo: -3, bhi: 3, ints: true},
		{op: "sub", alo: -3, ahi: 3, blo: -3, bhi: 3, ints: true},
		{op: "mul", alo: -3, ahi: 3, blo: -3, bhi: 3, ints: true},
		{op: "div", alo: -3, ahi: 3, blo: 0.5, bhi: 3, ints: true},
		{op: "pow", alo: 0.5, ahi: 2, blo: -2, bhi: 2},
		{op: "max", alo: -3, ahi: 3, blo: -3, bhi: 3, ints: true},
		{op: "min", alo: -3, ahi: 3, blo: -3, bhi: 3, ints: true},
		{op: "equal", alo: -2, ahi: 2, blo: -2, bhi: 2, ints: true},
		{op: "less", alo: -2, ahi: 2, blo: -2, bhi: 2, ints: true},
		{op: "less_equal", alo: -2, ahi: 2, blo: -2, bhi: 2, ints: true},
		{op: "greater", alo: -2, ahi: 2, blo: -2, bhi: 2, ints: true},
		{op: "greater_equal", alo: -2, ahi: 2, blo: -2, bhi: 2, ints: true},
	} {
		add("float32", b.op, nil, ewRange(f32, ewShape3, b.alo, b.ahi), ewRange(f32, ewShape3, b.blo, b.bhi))
		add("float32_broadcast", b.op, nil, ewRange(f32, ewShape3, b.alo, b.ahi), ewRange(f32, col, b.blo, b.bhi))
		if b.ints {
			// integer bounds are inclusive; divisors 1..9 avoid division by zero
			alo, ahi, blo, bhi := b.alo*10, b.ahi*10, b.blo*10, b.bhi*10
			if b.op == "div" {
				blo, bhi = 1, 9
			}
			add("int32", b.op, nil, ewRange(i32, ewShape3, alo, ahi), ewRange(i32, col, blo, bhi))
		}
	}
	add("float16", "add", nil, ewRange(f16, ewShape3, -3, 3), ewRange(f16, col, -3, 3))
	add("float64", "mul", nil, ewRange(f64, ewShape3, -3, 3), ewRange(f64, col, -3, 3))
	add("int64", "div", nil, ewRange(i64, ewShape3, -100, 100), ewRange(i64, col, -9, -1))
	add("bool", "equal", nil, ewBoolInput(ewShape3), ewBoolInput(col))
	for _, op := range []string{"and", "or", "xor"} {
		add("bool", op, nil, ewBoolInput(ewShape3), ewBoolInput(ewShape3))
		add("bool_broadcast", op, nil, ewBoolInput(ewShape3), ewBoolInput(col))
	}

	add("float32", "prelu", nil, ewRange(f32, ewShape3, -3, 3), ewRange(f32, ewShape3, 0, 0.5))
	add("float32_broadcast", "prelu", nil, ewRange(f32, ewShape3, -3, 3), ewRange(f32, col, 0, 0.5))
	add("float32", "where", nil, ewBoolInput(ewShape3), ewRange(f32, ewShape3, -3, 3), ewRange(f32, ewShape3, -3, 3))
	add("float32_broadcast", "where", nil, ewBoolInput(col), ewRange(f32, ewShape3, -3, 3), ewRange(f32, tensor.Shape{4}, -3, 3))
	add("int32_broadcast", "where", nil, ewBoolInput(ewShape3), ewRange(i32, col, -9, 9), ewRange(i32, tensor.Shape{}, -9, 9))

	add("float32", "clip", ops.Attrs{"min": -0.5, "max": 0.5}, ewRange(f32, ewShape3, -1, 1))
	add("float32_only_max", "clip", ops.Attrs{"max": 0.25}, ewRange(f32, ewShape3, -1, 1))
	add("int32", "clip", ops.Attrs{"min": -10.0, "max": 10.0}, ewRange(i32, ewShape3, -50, 50))

	add("float32_to_int32", "cast", ops.Attrs{"to": "int32"}, ewRange(f32, ewShape3, -100, 100))
	add("float32_to_float16", "cast", ops.Attrs{"to": "float16"}, ewRange(f32, ewShape3, -100, 100))
	add("float32_to_bool", "cast", ops.Attrs{"to": "bool"}, ewRange(f32, ewShape3, -1, 1))
	add("int32_to_float32", "cast", ops.Attrs{"to": "float32"}, ewRange(i32, ewShape3, -1000, 1000))

	RegisterRandom(cs...)
}
