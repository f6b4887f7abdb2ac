package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for lstm, gru and rnn. Sizes are tiny (hidden 1 or 2, two time
// steps) and weights are 0 or 1 where possible, so each step's equation is
// written out in the comment beside the case; expected values are those
// equations evaluated with package math. Identities check the rest:
// bidirectional is forward plus reverse, layout 1 is layout 0 transposed.

// recT builds a float32 tensor.
func recT(shape []int, vals ...float64) *tensor.Tensor { return mmT(tensor.Float32, shape, vals...) }

// recLens builds an int32 sequence_lens tensor.
func recLens(vals ...int32) *tensor.Tensor {
	t, err := tensor.FromSlice(vals, len(vals))
	if err != nil {
		panic(err)
	}
	return t
}

// recSig is the logistic function.
func recSig(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func init() {
	tanh := math.Tanh
	one := recT([]int{1, 1, 1}, 1) // a 1×1 weight of one direction
	zero := recT([]int{1, 1, 1}, 0)
	x12 := recT([]int{2, 1, 1}, 1, 2) // two steps, batch 1, input 1: x0 = 1, x1 = 2
	relu := ops.Attrs{"activations": "relu"}

	// rnn: H = f(x·W + h·R + Wb + Rb).
	Register(
		// relu, W = R = 1: h0 = 1, h1 = 1 + 2 = 3.
		Case{Name: "rnn/relu_accumulates", Op: "rnn", Attrs: relu, Inputs: []*tensor.Tensor{x12, one, one},
			Want: []*tensor.Tensor{recT([]int{2, 1, 1, 1}, 1, 3), recT([]int{1, 1, 1}, 3)}},
		// W = R = 0, Wb = 0.5, Rb = 0.25: every step is tanh(0.75); hidden_size stated.
		Case{Name: "rnn/zero_weights_bias", Op: "rnn", Attrs: ops.Attrs{"hidden_size": 1},
			Inputs: []*tensor.Tensor{x12, zero, zero, recT([]int{1, 2}, 0.5, 0.25)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, tanh(0.75), tanh(0.75)), recT([]int{1, 1, 1}, tanh(0.75))}},
		// reverse: step 1 first, h = 2; then step 0, h = 1 + 2 = 3.
		Case{Name: "rnn/reverse", Op: "rnn", Attrs: ops.Attrs{"activations": "Relu", "direction": "reverse"},
			Inputs: []*tensor.Tensor{x12, one, one},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, 3, 2), recT([]int{1, 1, 1}, 3)}},
		// bidirectional with R = 1 forward and R = 2 reverse: forward 1, 3 as
		// above; reverse step 1: 2, step 0: 1 + 2·2 = 5. Y is [seq, dirs, batch, hidden].
		Case{Name: "rnn/bidirectional", Op: "rnn",
			Attrs:  ops.Attrs{"activations": "relu,relu", "direction": "bidirectional"},
			Inputs: []*tensor.Tensor{x12, recT([]int{2, 1, 1}, 1, 1), recT([]int{2, 1, 1}, 1, 2)},
			Want:   []*tensor.Tensor{recT([]int{2, 2, 1, 1}, 1, 5, 3, 2), recT([]int{2, 1, 1}, 3, 5)}},
		// layout 1, batch 2: x = [[1 2] [3 4]] (batch-major), initial_h = [10 20]:
		// entry 0: 1 + 10 = 11, 2 + 11 = 13; entry 1: 3 + 20 = 23, 4 + 23 = 27.
		Case{Name: "rnn/layout1_initial_h", Op: "rnn", Attrs: ops.Attrs{"activations": "relu", "layout": 1},
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 2, 3, 4), one, one, nil, nil, recT([]int{2, 1, 1}, 10, 20)},
			Want:   []*tensor.Tensor{recT([]int{2, 2, 1, 1}, 11, 13, 23, 27), recT([]int{2, 1, 1}, 13, 27)}},
		// the same in layout 0 (x transposed to [seq, batch, input]): outputs transposed.
		Case{Name: "rnn/layout0_initial_h", Op: "rnn", Attrs: relu,
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 3, 2, 4), one, one, nil, nil, recT([]int{1, 2, 1}, 10, 20)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 2, 1}, 11, 23, 13, 27), recT([]int{1, 2, 1}, 13, 27)}},
		// sequence_lens [1 2], x steps [1 3], [2 4]: entry 0 stops after 1
		// (its step-1 output is 0, final state 1); entry 1: 3, 7.
		Case{Name: "rnn/sequence_lens", Op: "rnn", Attrs: relu,
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 3, 2, 4), one, one, nil, recLens(1, 2)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 2, 1}, 1, 3, 0, 7), recT([]int{1, 2, 1}, 1, 7)}},
		// reverse with sequence_lens [1 2]: entry 0 runs step 0 only (1);
		// entry 1 runs step 1 (4) then step 0 (3 + 4 = 7).
		Case{Name: "rnn/sequence_lens_reverse", Op: "rnn", Attrs: ops.Attrs{"activations": "relu", "direction": "reverse"},
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 3, 2, 4), one, one, nil, recLens(1, 2)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 2, 1}, 1, 7, 0, 4), recT([]int{1, 2, 1}, 1, 7)}},
		// length 0: no step runs; outputs and the final state are 0 even with an initial state.
		Case{Name: "rnn/sequence_lens_zero", Op: "rnn", Attrs: relu,
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 3, 2, 4), one, one, nil, recLens(0, 1), recT([]int{1, 2, 1}, 5, 5)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 2, 1}, 0, 8, 0, 0), recT([]int{1, 2, 1}, 0, 8)}},
		// clip 2 bounds the activation's input: relu(clip(5)) = 2, relu(clip(-1 + 0)) = 0 (R = 0).
		Case{Name: "rnn/clip", Op: "rnn", Attrs: ops.Attrs{"activations": "relu", "clip": 2.0},
			Inputs: []*tensor.Tensor{recT([]int{2, 1, 1}, 5, -1), one, zero},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, 2, 0), recT([]int{1, 1, 1}, 0)}},
		// hidden 2, input 2, tanh: W = [[1 0] [0 1]], R = 0, so h_t = tanh(x_t): x0 = [0.5 −1], x1 = [2 0].
		Case{Name: "rnn/hidden2", Op: "rnn",
			Inputs: []*tensor.Tensor{recT([]int{2, 1, 2}, 0.5, -1, 2, 0), recT([]int{1, 2, 2}, 1, 0, 0, 1), recT([]int{1, 2, 2}, 0, 0, 0, 0)},
			Want: []*tensor.Tensor{recT([]int{2, 1, 1, 2}, tanh(0.5), tanh(-1), tanh(2), 0),
				recT([]int{1, 1, 2}, tanh(2), 0)}},
	)
	// Empty dimensions. Input size 0: only the biases drive the state,
	// h0 = tanh(0.5), h1 = tanh(0.5 + h0). Sequence length 0: no step, so y is
	// empty and the final states are 0 (the entry's length is 0).
	h0 := tanh(0.5)
	Register(
		Case{Name: "rnn/input_size_zero", Op: "rnn",
			Inputs: []*tensor.Tensor{recT([]int{2, 1, 0}), recT([]int{1, 1, 0}), one, recT([]int{1, 2}, 0.5, 0)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, h0, tanh(0.5+h0)), recT([]int{1, 1, 1}, tanh(0.5+h0))}},
		Case{Name: "lstm/sequence_length_zero", Op: "lstm",
			Inputs: []*tensor.Tensor{recT([]int{0, 2, 1}), recT([]int{1, 4, 1}, 1, 1, 1, 1), recT([]int{1, 4, 1}, 1, 1, 1, 1),
				nil, nil, recT([]int{1, 2, 1}, 3, 4), recT([]int{1, 2, 1}, 5, 6)},
			Want: []*tensor.Tensor{recT([]int{0, 1, 2, 1}), recT([]int{1, 2, 1}, 0, 0), recT([]int{1, 2, 1}, 0, 0)}},
	)

	// One case per activation: W = 1, R = 0, so step t gives act(x_t).
	for _, a := range []struct {
		name        string
		alpha, beta []float64
		x0, x1      float64
		y0, y1      float64
	}{
		{name: "sigmoid", x0: 0, x1: 2, y0: 0.5, y1: recSig(2)},
		{name: "softsign", x0: 1, x1: -3, y0: 0.5, y1: -0.75},
		{name: "softplus", x0: 0, x1: -2, y0: math.Ln2, y1: math.Log1p(math.Exp(-2))},
		{name: "affine", alpha: []float64{2}, beta: []float64{1}, x0: 1, x1: -1, y0: 3, y1: -1},
		{name: "leakyrelu", alpha: []float64{0.5}, x0: -2, x1: 4, y0: -1, y1: 4},
		{name: "leakyrelu_default", x0: -2, x1: 4, y0: -0.02, y1: 4}, // alpha 0.01
		{name: "thresholdedrelu", alpha: []float64{1.5}, x0: 1, x1: 2, y0: 0, y1: 2},
		{name: "scaledtanh", alpha: []float64{2}, beta: []float64{0.5}, x0: 1, x1: -2, y0: 2 * tanh(0.5), y1: 2 * tanh(-1)},
		{name: "hardsigmoid", alpha: []float64{0.5}, beta: []float64{0.5}, x0: 0.5, x1: 4, y0: 0.75, y1: 1},
		{name: "hardsigmoid_default", x0: 1, x1: -4, y0: 0.7, y1: 0}, // 0.2·x + 0.5
		{name: "elu", alpha: []float64{2}, x0: -1, x1: 3, y0: 2 * (math.Exp(-1) - 1), y1: 3},
	} {
		name := a.name
		if i := len(name) - len("_default"); i > 0 && name[i:] == "_default" {
			name = name[:i]
		}
		attrs := ops.Attrs{"activations": name}
		if a.alpha != nil {
			attrs["activation_alpha"] = a.alpha
		}
		if a.beta != nil {
			attrs["activation_beta"] = a.beta
		}
		Register(Case{Name: "rnn/act_" + a.name, Op: "rnn", Attrs: attrs,
			Inputs: []*tensor.Tensor{recT([]int{2, 1, 1}, a.x0, a.x1), one, zero},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, a.y0, a.y1), recT([]int{1, 1, 1}, a.y1)}})
	}
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float16} {
		t := func(shape []int, v ...float64) *tensor.Tensor { return mmT(d, shape, v...) }
		Register(Case{Name: "rnn/relu_accumulates_" + d.String(), Op: "rnn", Attrs: relu,
			Inputs: []*tensor.Tensor{t([]int{2, 1, 1}, 1, 2), t([]int{1, 1, 1}, 1), t([]int{1, 1, 1}, 1)},
			Want:   []*tensor.Tensor{t([]int{2, 1, 1, 1}, 1, 3), t([]int{1, 1, 1}, 3)}})
	}

	// gru: z = σ(x·Wz + h·Rz + bz), r = σ(…), h̃ = tanh(x·Wh + (r⊙h)·Rh + Rbh + Wbh),
	// H = (1 − z)⊙h̃ + z⊙h. Gate rows z, r, h.
	w3 := func(z, r, h float64) *tensor.Tensor { return recT([]int{1, 3, 1}, z, r, h) }
	t1, t2 := tanh(1), tanh(2)
	Register(
		// all weights 0: z = r = ½, h̃ = 0, so H halves: h0 = 1 → ½, ¼.
		Case{Name: "gru/zero_weights_decay", Op: "gru",
			Inputs: []*tensor.Tensor{x12, w3(0, 0, 0), w3(0, 0, 0), nil, nil, recT([]int{1, 1, 1}, 1)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, 0.5, 0.25), recT([]int{1, 1, 1}, 0.25)}},
		// Wh = 1, the rest 0: z = ½, h̃ = tanh(x_t): h0 = ½·tanh 1, h1 = ½·tanh 2 + ¼·tanh 1.
		Case{Name: "gru/input", Op: "gru", Inputs: []*tensor.Tensor{x12, w3(0, 0, 1), w3(0, 0, 0)},
			Want: []*tensor.Tensor{recT([]int{2, 1, 1, 1}, t1/2, t2/2+t1/4), recT([]int{1, 1, 1}, t2/2+t1/4)}},
		// bidirectional: forward as gru/input; reverse: step 1 ½·tanh 2, step 0 ½·tanh 1 + ¼·tanh 2.
		Case{Name: "gru/bidirectional", Op: "gru", Attrs: ops.Attrs{"direction": "bidirectional"},
			Inputs: []*tensor.Tensor{x12, recT([]int{2, 3, 1}, 0, 0, 1, 0, 0, 1), recT([]int{2, 3, 1}, 0, 0, 0, 0, 0, 0)},
			Want: []*tensor.Tensor{recT([]int{2, 2, 1, 1}, t1/2, t1/2+t2/4, t2/2+t1/4, t2/2),
				recT([]int{2, 1, 1}, t2/2+t1/4, t1/2+t2/4)}},
		// the same in layout 1 (batch 1: only the axis order changes).
		Case{Name: "gru/bidirectional_layout1", Op: "gru", Attrs: ops.Attrs{"direction": "bidirectional", "layout": 1},
			Inputs: []*tensor.Tensor{recT([]int{1, 2, 1}, 1, 2), recT([]int{2, 3, 1}, 0, 0, 1, 0, 0, 1), recT([]int{2, 3, 1}, 0, 0, 0, 0, 0, 0)},
			Want: []*tensor.Tensor{recT([]int{1, 2, 2, 1}, t1/2, t1/2+t2/4, t2/2+t1/4, t2/2),
				recT([]int{1, 2, 1}, t2/2+t1/4, t1/2+t2/4)}},
		// linear_before_reset, one step, W = 0, Rh = 1, Rbh = 2, h0 = 1: z = r = ½;
		// default: h̃ = tanh(r·h·Rh + Rbh) = tanh(2.5); H = ½·tanh 2.5 + ½.
		Case{Name: "gru/reset_after_product_off", Op: "gru",
			Inputs: []*tensor.Tensor{recT([]int{1, 1, 1}, 3), w3(0, 0, 0), w3(0, 0, 1), recT([]int{1, 6}, 0, 0, 0, 0, 0, 2), nil, recT([]int{1, 1, 1}, 1)},
			Want:   []*tensor.Tensor{recT([]int{1, 1, 1, 1}, tanh(2.5)/2+0.5), recT([]int{1, 1, 1}, tanh(2.5)/2+0.5)}},
		// linear_before_reset = 1: h̃ = tanh(r·(h·Rh + Rbh)) = tanh(1.5).
		Case{Name: "gru/linear_before_reset", Op: "gru", Attrs: ops.Attrs{"linear_before_reset": 1},
			Inputs: []*tensor.Tensor{recT([]int{1, 1, 1}, 3), w3(0, 0, 0), w3(0, 0, 1), recT([]int{1, 6}, 0, 0, 0, 0, 0, 2), nil, recT([]int{1, 1, 1}, 1)},
			Want:   []*tensor.Tensor{recT([]int{1, 1, 1, 1}, tanh(1.5)/2+0.5), recT([]int{1, 1, 1}, tanh(1.5)/2+0.5)}},
		// sequence_lens [2 1], batch 2, x steps [1 5], [2 7]: entry 0 as gru/input;
		// entry 1 stops after step 0: ½·tanh 5, then 0 in y.
		Case{Name: "gru/sequence_lens", Op: "gru",
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 5, 2, 7), w3(0, 0, 1), w3(0, 0, 0), nil, recLens(2, 1)},
			Want: []*tensor.Tensor{recT([]int{2, 1, 2, 1}, t1/2, tanh(5)/2, t2/2+t1/4, 0),
				recT([]int{1, 2, 1}, t2/2+t1/4, tanh(5)/2)}},
		// activations relu, relu, Wh = 1: z = r = relu(0) = 0, h̃ = relu(x_t), so H = x_t.
		Case{Name: "gru/activations", Op: "gru", Attrs: ops.Attrs{"activations": "relu,relu"},
			Inputs: []*tensor.Tensor{x12, w3(0, 0, 1), w3(0, 0, 0)},
			Want:   []*tensor.Tensor{recT([]int{2, 1, 1, 1}, 1, 2), recT([]int{1, 1, 1}, 2)}},
	)

	// lstm: gate rows i, o, f, c; peepholes i, o, f.
	// i = σ(…+Pi·C), f = σ(…+Pf·C), c̃ = tanh(…), C' = f·C + i·c̃, o = σ(…+Po·C'), H = o·tanh(C').
	w4 := func(i, o, f, c float64) *tensor.Tensor { return recT([]int{1, 4, 1}, i, o, f, c) }
	z4 := w4(0, 0, 0, 0)
	c1 := t1 / 2              // C after step 0 of lstm/input: ½·tanh 1
	c2 := c1/2 + t2/2         // and after step 1: ½·C + ½·tanh 2
	r1, r0 := t2/2, t1/2+t2/4 // reverse: C after step 1, then after step 0
	Register(
		// all weights 0, c0 = 2: i = f = o = ½, c̃ = 0: C = 1, ½; H = ½·tanh C.
		Case{Name: "lstm/zero_weights_decay", Op: "lstm",
			Inputs: []*tensor.Tensor{x12, z4, z4, nil, nil, nil, recT([]int{1, 1, 1}, 2)},
			Want: []*tensor.Tensor{recT([]int{2, 1, 1, 1}, tanh(1)/2, tanh(0.5)/2), recT([]int{1, 1, 1}, tanh(0.5)/2),
				recT([]int{1, 1, 1}, 0.5)}},
		// Wc = 1: c̃ = tanh(x_t), i = f = o = ½.
		Case{Name: "lstm/input", Op: "lstm", Inputs: []*tensor.Tensor{x12, w4(0, 0, 0, 1), z4},
			Want: []*tensor.Tensor{recT([]int{2, 1, 1, 1}, tanh(c1)/2, tanh(c2)/2), recT([]int{1, 1, 1}, tanh(c2)/2),
				recT([]int{1, 1, 1}, c2)}},
		// bidirectional in layout 1: Y is [batch, seq, dirs, hidden].
		Case{Name: "lstm/bidirectional_layout1", Op: "lstm", Attrs: ops.Attrs{"direction": "bidirectional", "layout": 1},
			Inputs: []*tensor.Tensor{recT([]int{1, 2, 1}, 1, 2), recT([]int{2, 4, 1}, 0, 0, 0, 1, 0, 0, 0, 1), recT([]int{2, 4, 1}, 0, 0, 0, 0, 0, 0, 0, 0)},
			Want: []*tensor.Tensor{recT([]int{1, 2, 2, 1}, tanh(c1)/2, tanh(r0)/2, tanh(c2)/2, tanh(r1)/2),
				recT([]int{1, 2, 1}, tanh(c2)/2, tanh(r0)/2), recT([]int{1, 2, 1}, c2, r0)}},
		// peepholes P = [1 2 3], c0 = 1, weights 0, one step: i = σ(1), f = σ(3), c̃ = 0,
		// C = σ(3), o = σ(2·σ(3)), H = o·tanh C.
		Case{Name: "lstm/peepholes", Op: "lstm",
			Inputs: []*tensor.Tensor{recT([]int{1, 1, 1}, 7), z4, z4, nil, nil, nil, recT([]int{1, 1, 1}, 1), recT([]int{1, 3}, 1, 2, 3)},
			Want: []*tensor.Tensor{recT([]int{1, 1, 1, 1}, recSig(2*recSig(3))*tanh(recSig(3))),
				recT([]int{1, 1, 1}, recSig(2*recSig(3))*tanh(recSig(3))), recT([]int{1, 1, 1}, recSig(3))}},
		// input_forget: Wbi = 1 makes i = σ(1) and f = 1 − σ(1) = σ(−1); c0 = 2, c̃ = 0:
		// C = 2·σ(−1), o = ½, H = ½·tanh C.
		Case{Name: "lstm/input_forget", Op: "lstm", Attrs: ops.Attrs{"input_forget": 1},
			Inputs: []*tensor.Tensor{recT([]int{1, 1, 1}, 7), z4, z4, recT([]int{1, 8}, 1, 0, 0, 0, 0, 0, 0, 0), nil, nil, recT([]int{1, 1, 1}, 2)},
			Want: []*tensor.Tensor{recT([]int{1, 1, 1, 1}, tanh(2*recSig(-1))/2), recT([]int{1, 1, 1}, tanh(2*recSig(-1))/2),
				recT([]int{1, 1, 1}, 2*recSig(-1))}},
		// clip 1: c̃ = tanh(clip(5)) = tanh 1, C = ½·tanh 1, H = ½·tanh C (the cell itself is not clipped).
		Case{Name: "lstm/clip", Op: "lstm", Attrs: ops.Attrs{"clip": 1.0},
			Inputs: []*tensor.Tensor{recT([]int{1, 1, 1}, 5), w4(0, 0, 0, 1), z4},
			Want: []*tensor.Tensor{recT([]int{1, 1, 1, 1}, tanh(c1)/2), recT([]int{1, 1, 1}, tanh(c1)/2),
				recT([]int{1, 1, 1}, c1)}},
		// activations sigmoid, relu, relu: c̃ = relu(2) = 2, C = 1, H = ½·relu(1) = ½.
		Case{Name: "lstm/activations", Op: "lstm", Attrs: ops.Attrs{"activations": "sigmoid,relu,relu"},
			Inputs: []*tensor.Tensor{recT([]int{1, 1, 1}, 2), w4(0, 0, 0, 1), z4},
			Want:   []*tensor.Tensor{recT([]int{1, 1, 1, 1}, 0.5), recT([]int{1, 1, 1}, 0.5), recT([]int{1, 1, 1}, 1)}},
		// sequence_lens [2 0] with initial states: entry 1 takes no step and ends with zero states.
		Case{Name: "lstm/sequence_lens", Op: "lstm",
			Inputs: []*tensor.Tensor{recT([]int{2, 2, 1}, 1, 9, 2, 9), w4(0, 0, 0, 1), z4, nil, recLens(2, 0),
				recT([]int{1, 2, 1}, 0, 4), recT([]int{1, 2, 1}, 0, 4)},
			Want: []*tensor.Tensor{recT([]int{2, 1, 2, 1}, tanh(c1)/2, 0, tanh(c2)/2, 0),
				recT([]int{1, 2, 1}, tanh(c2)/2, 0), recT([]int{1, 2, 1}, c2, 0)}},
	)

	// Randomized parity with the reference backend: every option at once.
	f32 := tensor.Float32
	rnd := func(s ...int) Input { return Input{DType: f32, Shape: s} }
	lens := Input{Fixed: recLens(3, 1, 0)}
	tol := tensor.Tolerance{RTol: 1e-4, ATol: 1e-5}
	RegisterRandom(
		RandomCase{Name: "lstm/random_bidirectional_peepholes", Op: "lstm", Tol: tol,
			Attrs:  ops.Attrs{"direction": "bidirectional", "clip": 0.8},
			Inputs: []Input{rnd(3, 3, 4), rnd(2, 8, 4), rnd(2, 8, 2), rnd(2, 16), lens, rnd(2, 3, 2), rnd(2, 3, 2), rnd(2, 6)}},
		RandomCase{Name: "lstm/random_layout1_reverse", Op: "lstm", Tol: tol,
			Attrs:  ops.Attrs{"direction": "reverse", "layout": 1, "input_forget": 1, "activations": "hardsigmoid,tanh,softsign"},
			Inputs: []Input{rnd(3, 4, 2), rnd(1, 12, 2), rnd(1, 12, 3), rnd(1, 24), lens}},
		RandomCase{Name: "gru/random_bidirectional", Op: "gru", Tol: tol,
			Attrs:  ops.Attrs{"direction": "bidirectional", "linear_before_reset": 1},
			Inputs: []Input{rnd(4, 3, 3), rnd(2, 6, 3), rnd(2, 6, 2), rnd(2, 12), lens, rnd(2, 3, 2)}},
		RandomCase{Name: "gru/random_layout1", Op: "gru", Tol: tol,
			Attrs:  ops.Attrs{"layout": 1, "activations": "sigmoid,elu", "activation_alpha": []float64{0, 0.7}},
			Inputs: []Input{rnd(3, 3, 3), rnd(1, 6, 3), rnd(1, 6, 2), rnd(1, 12), lens, rnd(3, 1, 2)}},
		RandomCase{Name: "rnn/random_bidirectional", Op: "rnn", Tol: tol,
			Attrs:  ops.Attrs{"direction": "bidirectional", "activations": "tanh,leakyrelu", "clip": 0.9},
			Inputs: []Input{rnd(3, 3, 4), rnd(2, 3, 4), rnd(2, 3, 3), rnd(2, 6), lens, rnd(2, 3, 3)}},
		RandomCase{Name: "rnn/random_layout1", Op: "rnn", Tol: tol,
			Attrs:  ops.Attrs{"layout": 1, "direction": "reverse"},
			Inputs: []Input{rnd(2, 3, 2), rnd(1, 2, 2), rnd(1, 2, 2)}},
	)
}
