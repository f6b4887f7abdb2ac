package coreml

import (
	"math"
	"testing"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
)

// runDecoded executes a decoded NeuralNetwork by reading each layer as the
// schema's comments describe it and evaluating the equivalent catalog op with
// the reference backend. It is a check of meaning rather than of bytes: if
// the converter wrote a kernel in the wrong layout, put pads in the wrong
// order or picked the wrong axis, the result stops matching the reference
// backend's run of the original artifact. Only what the converter emits is
// understood; anything else fails the test.
func runDecoded(t testing.TB, m pbModel, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	env := map[string]*tensor.Tensor{}
	for k, v := range feeds {
		require.Equal(t, m.inputs[k], []int(v.Shape()), "feed %q shape", k)
		env[k] = v
	}
	for _, l := range m.layers {
		var ins []*tensor.Tensor
		for _, name := range l.inputs {
			v, ok := env[name]
			require.True(t, ok, "layer %q reads %q before any layer defines it", l.name, name)
			ins = append(ins, v)
		}
		outs := evalLayer(t, l, ins)
		require.Len(t, outs, len(l.outputs), "layer %q", l.name)
		for i, name := range l.outputs {
			_, dup := env[name]
			require.False(t, dup, "layer %q redefines %q", l.name, name)
			env[name] = outs[i]
		}
	}
	res := map[string]*tensor.Tensor{}
	for name, shape := range m.outputs {
		v, ok := env[name]
		require.True(t, ok, "output %q is never defined", name)
		require.Equal(t, shape, []int(v.Shape()), "output %q shape vs its description", name)
		res[name] = v
	}
	return res
}

// eval runs one catalog op on the reference backend.
func eval(t testing.TB, op string, a ops.Attrs, in ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	out, err := ref.Eval(op, a, in...)
	require.NoError(t, err, "ref %s", op)
	return out[0]
}

// weightTensor turns a WeightParams message into a float32 tensor of the shape.
func weightTensor(t testing.TB, w pb, shape ...int) *tensor.Tensor {
	t.Helper()
	vals, _ := weightValues(t, w)
	x, err := tensor.FromSlice(vals, shape...)
	require.NoError(t, err)
	return x
}

func scalar(v float32) *tensor.Tensor { return tensor.MustFromSlice([]float32{v}, 1) }

// border reads BorderAmounts (inside a ValidPadding or a Padding layer) as
// [top, bottom, left, right].
func border(t testing.TB, b pb) []int {
	edges := b.msgs(10)
	require.Len(t, edges, 2, "BorderAmounts has [H, W]")
	return []int{int(edges[0].uint(1)), int(edges[0].uint(2)), int(edges[1].uint(1)), int(edges[1].uint(2))}
}

func orDefault(v []int, def []int) []int {
	if len(v) == 0 {
		return def
	}
	return v
}

func evalLayer(t testing.TB, l pbLayer, in []*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	p := l.params
	one := func(op string, a ops.Attrs) []*tensor.Tensor { return []*tensor.Tensor{eval(t, op, a, in...)} }
	switch l.kind {
	case "loadConstantND":
		return []*tensor.Tensor{weightTensor(t, p.msg(2), p.ints(1)...)}
	case "batchedMatmul":
		require.False(t, p.bool(1) || p.bool(2), "transposes are not emitted")
		if len(in) == 2 {
			// Core ML keeps the dims a 1-D operand is promoted with: the
			// output has rank max(2, ranks) (NeuralNetwork.proto).
			y := eval(t, "matmul", nil, in...)
			s := y.Shape().Clone()
			if in[0].Rank() == 1 {
				s = append(s[:len(s)-1:len(s)-1], 1, s[len(s)-1])
			}
			if in[1].Rank() == 1 {
				s = append(s, 1)
			}
			return []*tensor.Tensor{eval(t, "reshape", ops.Attrs{"shape": []int(s)}, y)}
		}
		rows, cols := int(p.uint(5)), int(p.uint(6))
		// The weight matrix is [rows, cols] stored column-major: element (r, c) at c·rows + r.
		colMajor, _ := weightValues(t, p.msg(8))
		require.Len(t, colMajor, rows*cols)
		w := make([]float32, rows*cols)
		for r := range rows {
			for c := range cols {
				w[r*cols+c] = colMajor[c*rows+r]
			}
		}
		y := eval(t, "matmul", nil, in[0], tensor.MustFromSlice(w, rows, cols))
		if p.bool(7) {
			y = eval(t, "add", nil, y, weightTensor(t, p.msg(9), cols))
		}
		return []*tensor.Tensor{y}
	case "activation":
		return []*tensor.Tensor{evalActivation(t, p, in[0])}
	case "addBroadcastable", "subtractBroadcastable", "multiplyBroadcastable", "divideBroadcastable",
		"powBroadcastable", "maxBroadcastable", "minBroadcastable":
		op := map[string]string{"addBroadcastable": "add", "subtractBroadcastable": "sub",
			"multiplyBroadcastable": "mul", "divideBroadcastable": "div", "powBroadcastable": "pow",
			"maxBroadcastable": "max", "minBroadcastable": "min"}[l.kind]
		return one(op, nil)
	case "unary":
		require.False(t, p.has(4) || p.has(5), "shift and scale are not emitted")
		op := map[uint64]string{0: "sqrt", 4: "exp", 5: "log", 6: "abs"}[p.uint(1)]
		require.NotEmpty(t, op, "unary type %d", p.uint(1))
		return one(op, nil)
	case "erf", "floor", "ceil", "sign":
		return one(l.kind, nil)
	case "gelu":
		approx := map[uint64]string{0: "none", 1: "tanh"}[p.uint(1)]
		require.NotEmpty(t, approx)
		return one("gelu", ops.Attrs{"approximate": approx})
	case "clip":
		return one("clip", ops.Attrs{"min": float64(p.float(1)), "max": float64(p.float(2))})
	case "softmaxND":
		return one("softmax", ops.Attrs{"axis": int(int64(p.uint(1)))})
	case "convolution":
		return []*tensor.Tensor{evalConvolution(t, p, in[0])}
	case "pooling":
		return []*tensor.Tensor{evalPooling(t, p, in[0])}
	case "batchnorm":
		c := int(p.uint(1))
		return []*tensor.Tensor{eval(t, "batch_norm", ops.Attrs{"epsilon": float64(p.float(10))}, in[0],
			weightTensor(t, p.msg(15), c), weightTensor(t, p.msg(16), c),
			weightTensor(t, p.msg(17), c), weightTensor(t, p.msg(18), c))}
	case "layerNormalization":
		shape := p.ints(1)
		return []*tensor.Tensor{eval(t, "layer_norm", ops.Attrs{"axis": in[0].Rank() - len(shape),
			"epsilon": float64(p.float(2))}, in[0], weightTensor(t, p.msg(3), shape...), weightTensor(t, p.msg(4), shape...))}
	case "lrn":
		return one("lrn", ops.Attrs{"size": int(p.uint(3)), "alpha": float64(p.float(1)), "beta": float64(p.float(2)),
			"bias": float64(p.float(4))})
	case "constantPad":
		amounts := p.ints(2)
		r := len(amounts) / 2
		pads := make([]int, 2*r)
		for i := range r {
			pads[i], pads[r+i] = amounts[2*i], amounts[2*i+1]
		}
		return one("pad", ops.Attrs{"pads": pads, "value": float64(p.float(1))})
	case "padding":
		mode := "edge"
		if p.has(2) {
			mode = "reflect"
		}
		require.True(t, p.has(2) || p.has(3), "reflection or replication")
		b := border(t, p.msg(10))
		r := in[0].Rank()
		pads := make([]int, 2*r)
		pads[r-2], pads[2*r-2], pads[r-1], pads[2*r-1] = b[0], b[1], b[2], b[3]
		return one("pad", ops.Attrs{"pads": pads, "mode": mode})
	case "reshapeStatic":
		return one("reshape", ops.Attrs{"shape": p.ints(1)})
	case "broadcastToStatic":
		return one("expand", ops.Attrs{"shape": p.ints(1)})
	case "transpose":
		return one("transpose", ops.Attrs{"perm": p.ints(1)})
	case "tile":
		return one("tile", ops.Attrs{"repeats": p.ints(1)})
	case "concatND":
		return one("concat", ops.Attrs{"axis": int(int64(p.uint(1)))})
	case "splitND":
		out, err := ref.Eval("split", ops.Attrs{"axis": int(int64(p.uint(1))), "split": p.ints(3)}, in...)
		require.NoError(t, err)
		require.Len(t, out, int(p.uint(2)), "numSplits")
		return out
	case "sliceStatic":
		return []*tensor.Tensor{evalSlice(t, p, in[0])}
	case "expandDims", "squeeze":
		require.Equal(t, []int{-2}, p.ints(1), "only axis -2 is emitted")
		s := in[0].Shape().Clone()
		if l.kind == "expandDims" {
			s = append(s[:len(s)-1:len(s)-1], 1, s[len(s)-1])
		} else {
			require.Equal(t, 1, s[len(s)-2])
			s = append(s[:len(s)-2:len(s)-2], s[len(s)-1])
		}
		return one("reshape", ops.Attrs{"shape": []int(s)})
	case "reduceSum", "reduceMean", "reduceMax", "reduceMin", "reduceProd":
		op := map[string]string{"reduceSum": "reduce_sum", "reduceMean": "reduce_mean", "reduceMax": "reduce_max",
			"reduceMin": "reduce_min", "reduceProd": "reduce_prod"}[l.kind]
		require.False(t, p.bool(3), "reduceAll is not emitted")
		keep := 0
		if p.bool(2) {
			keep = 1
		}
		return one(op, ops.Attrs{"axes": p.ints(1), "keepdims": keep})
	}
	t.Fatalf("layer %q: the test interpreter does not know layer type %s", l.name, l.kind)
	return nil
}

func evalActivation(t testing.TB, p pb, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	require.Len(t, p.f, 1, "one activation member")
	switch {
	case p.has(10):
		return eval(t, "relu", nil, x)
	case p.has(40):
		return eval(t, "sigmoid", nil, x)
	case p.has(30):
		return eval(t, "tanh", nil, x)
	case p.has(60):
		return eval(t, "softsign", nil, x)
	case p.has(70):
		return eval(t, "softplus", nil, x)
	case p.has(15):
		return eval(t, "leaky_relu", ops.Attrs{"alpha": float64(p.msg(15).float(1))}, x)
	case p.has(50):
		return eval(t, "elu", ops.Attrs{"alpha": float64(p.msg(50).float(1))}, x)
	case p.has(41):
		h := p.msg(41)
		return eval(t, "hard_sigmoid", ops.Attrs{"alpha": float64(h.float(1)), "beta": float64(h.float(2))}, x)
	case p.has(5): // linear: alpha·x + beta
		lin := p.msg(5)
		return eval(t, "add", nil, eval(t, "mul", nil, x, scalar(lin.float(1))), scalar(lin.float(2)))
	}
	t.Fatalf("unknown activation member %v", keys(p.f))
	return nil
}

func evalConvolution(t testing.TB, p pb, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	outC, kc := int(p.uint(1)), int(p.uint(2))
	groups := max(int(p.uint(10)), 1)
	kernel := orDefault(p.ints(20), []int{3, 3})
	pads := []int{0, 0, 0, 0}
	if p.has(50) {
		b := border(t, p.msg(50).msg(1))
		pads = []int{b[0], b[2], b[1], b[3]} // catalog order: begins (H, W), then ends
	}
	a := ops.Attrs{"group": groups, "strides": orDefault(p.ints(30), []int{1, 1}), "pads": pads}
	var w *tensor.Tensor
	op := "conv"
	if p.bool(60) { // deconvolution: weights [kernelChannels, outputChannels/groups, kH, kW]
		op = "conv_transpose"
		w = weightTensor(t, p.msg(90), kc, outC/groups, kernel[0], kernel[1])
	} else {
		a["dilations"] = orDefault(p.ints(40), []int{1, 1})
		w = weightTensor(t, p.msg(90), outC, kc, kernel[0], kernel[1])
	}
	args := []*tensor.Tensor{x, w}
	if p.bool(70) {
		args = append(args, weightTensor(t, p.msg(91), outC))
	}
	return eval(t, op, a, args...)
}

func evalPooling(t testing.TB, p pb, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	avg := p.uint(1) == 1
	require.LessOrEqual(t, p.uint(1), uint64(1), "max or average")
	if p.bool(60) {
		if avg {
			return eval(t, "global_avg_pool", nil, x)
		}
		return eval(t, "global_max_pool", nil, x)
	}
	b := border(t, p.msg(30).msg(1))
	a := ops.Attrs{"kernel_shape": orDefault(p.ints(10), []int{3, 3}), "strides": orDefault(p.ints(20), []int{1, 1}),
		"pads": []int{b[0], b[2], b[1], b[3]}}
	if avg {
		if !p.bool(50) {
			a["count_include_pad"] = 1
		}
		return eval(t, "avg_pool", a, x)
	}
	return eval(t, "max_pool", a, x)
}

// evalSlice reads SliceStatic with TensorFlow's strided-slice meaning of the
// masks: a masked end runs to the end of the axis in the stride's direction.
func evalSlice(t testing.TB, p pb, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	begin, end, strides := p.ints(1), p.ints(3), p.ints(5)
	beginMask, endMask := p.bools(2), p.bools(4)
	r := x.Rank()
	require.Len(t, begin, r)
	require.Len(t, end, r)
	require.Len(t, strides, r)
	starts, ends := make([]int, r), make([]int, r)
	for i := range r {
		starts[i], ends[i] = begin[i], end[i]
		if i < len(beginMask) && beginMask[i] {
			starts[i] = 0
			if strides[i] < 0 {
				starts[i] = math.MaxInt32
			}
		}
		if i < len(endMask) && endMask[i] {
			ends[i] = math.MaxInt32
			if strides[i] < 0 {
				ends[i] = math.MinInt32
			}
		}
	}
	return eval(t, "slice", ops.Attrs{"starts": starts, "ends": ends, "steps": strides}, x)
}
