package onnx

import (
	"fmt"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Recurrent layers (RNN, GRU, LSTM, opset 7 on) are unrolled over their
// sequence, which is static once a template is specialized, into catalog
// ops: one matmul of the whole input sequence by W per direction, then per
// step a matmul by R, the gates' activations and the state update. Every
// backend that runs the catalog runs them. Forward, reverse and
// bidirectional; initial states; LSTM peepholes and input_forget; GRU's
// linear_before_reset; clip; layout 0 and 1; sequence_lens known at import
// (per-batch masks) for the forward direction.

// They are fallbacks: dedicated lstm, gru and rnn catalog ops, when a
// mapper onto them is registered, take precedence.
func init() {
	registerFallback("RNN", func(c *converter, n *onnxpb.Node) error { return c.recurrent(rnnSimple) })
	registerFallback("GRU", func(c *converter, n *onnxpb.Node) error { return c.recurrent(rnnGRU) })
	registerFallback("LSTM", func(c *converter, n *onnxpb.Node) error { return c.recurrent(rnnLSTM) })
}

type rnnKind int

const (
	rnnSimple rnnKind = iota
	rnnGRU
	rnnLSTM
)

// gates is the number of gate blocks stacked in W, R and B; acts the number
// of activation functions per direction.
func (k rnnKind) gates() int { return [...]int{1, 3, 4}[k] }
func (k rnnKind) acts() int  { return [...]int{1, 2, 3}[k] }

// rnnActivation is one activation function with its alpha and beta.
type rnnActivation struct {
	name        string
	alpha, beta float64
}

// rnnDefaults are ONNX's default alpha and beta per activation.
var rnnDefaults = map[string][2]float64{
	"Sigmoid": {0, 0}, "Tanh": {0, 0}, "Relu": {0, 0}, "Softsign": {0, 0}, "Softplus": {0, 0},
	"HardSigmoid": {0.2, 0.5}, "LeakyRelu": {0.01, 0}, "Elu": {1, 0},
}

type rnnBuild struct {
	c                 *converter
	kind              rnnKind
	hidden, seq       int
	batch, inputSize  int
	dirs              int
	acts              []rnnActivation // per direction, kind.acts() each
	clip              float64         // 0: none
	inputForget       bool
	linearBeforeReset bool
	lens              []int64 // per batch, nil when every sequence is full
}

func (c *converter) recurrent(kind rnnKind) error {
	n := c.node
	if err := c.requireInputs(3, 8); err != nil {
		return err
	}
	b := &rnnBuild{c: c, kind: kind}
	var err error
	if b.hidden, err = c.attrInt("hidden_size", 0); err != nil {
		return err
	}
	direction, err := c.attrString("direction", "forward")
	if err != nil {
		return err
	}
	switch direction {
	case "forward", "reverse":
		b.dirs = 1
	case "bidirectional":
		b.dirs = 2
	default:
		return c.errorf(ErrInvalidModel, "direction %q (want forward, reverse or bidirectional)", direction)
	}
	layout, err := c.attrInt("layout", 0)
	if err != nil {
		return err
	}
	if layout != 0 && layout != 1 {
		return c.errorf(ErrInvalidModel, "layout %d (want 0 or 1)", layout)
	}
	if b.clip, err = c.attrFloat("clip", 0); err != nil {
		return err
	}
	if b.clip < 0 {
		return c.errorf(ErrInvalidModel, "clip %g must be positive", b.clip)
	}
	switch kind {
	case rnnLSTM:
		f, err := c.attrInt("input_forget", 0)
		if err != nil {
			return err
		}
		b.inputForget = f != 0
	case rnnGRU:
		l, err := c.attrInt("linear_before_reset", 0)
		if err != nil {
			return err
		}
		b.linearBeforeReset = l != 0
	}
	if err := b.readActivations(); err != nil {
		return err
	}

	x := c.in(0)
	xt := c.typeOf(x)
	if len(xt.a) != 3 {
		return c.inputErrorf(0, ErrInvalidModel, "X has rank %d, want 3", len(xt.a))
	}
	if !xt.static() {
		return c.inputErrorf(0, ErrUnsupported, "unrolling %s over a symbolic sequence or batch: %w", n.OpType, errNeedsDims)
	}
	if !xt.dtype.IsFloat() {
		return c.inputErrorf(0, ErrInvalidModel, "X is %v, want a float dtype", xt.dtype)
	}
	if layout == 1 { // [batch, seq, input] -> [seq, batch, input]
		xs := c.tmp()
		if err := c.emit("transpose", ops.Attrs{"perm": []int64{1, 0, 2}}, []string{x}, xs); err != nil {
			return err
		}
		x, xt = xs, c.typeOf(xs)
	}
	b.seq, b.batch, b.inputSize = xt.a[0], xt.a[1], xt.a[2]
	if b.hidden <= 0 {
		return c.errorf(ErrInvalidModel, "hidden_size %d must be positive", b.hidden)
	}
	g := kind.gates()
	if err := b.checkShape(1, "W", []int{b.dirs, g * b.hidden, b.inputSize}); err != nil {
		return err
	}
	if err := b.checkShape(2, "R", []int{b.dirs, g * b.hidden, b.hidden}); err != nil {
		return err
	}
	if err := b.checkShape(3, "B", []int{b.dirs, 2 * g * b.hidden}); err != nil {
		return err
	}
	if b.seq*b.dirs*12 > maxUnrolledNodes {
		return c.errorf(ErrUnsupported, "unrolling %s over %d steps would add more than %d nodes", n.OpType, b.seq, maxUnrolledNodes)
	}
	if in := c.in(4); in != "" { // sequence_lens
		lens, err := c.constInts(4)
		if err != nil {
			return err
		}
		if len(lens) != b.batch {
			return c.inputErrorf(4, ErrInvalidModel, "sequence_lens has %d values for batch %d", len(lens), b.batch)
		}
		full := true
		for _, l := range lens {
			if l < 0 || l > b.seq {
				return c.inputErrorf(4, ErrInvalidModel, "sequence length %d is not within 0 to %d", l, b.seq)
			}
			full = full && l == b.seq
		}
		if !full {
			if direction != "forward" {
				return c.inputErrorf(4, ErrUnsupported, "sequence_lens shorter than the sequence with direction %s "+
					"(only forward is supported)", direction)
			}
			b.lens = make([]int64, len(lens))
			for i, l := range lens {
				b.lens[i] = int64(l)
			}
		}
	}
	stateShape := []int{b.dirs, b.batch, b.hidden}
	if layout == 1 {
		stateShape = []int{b.batch, b.dirs, b.hidden}
	}
	if err := b.checkShape(5, "initial_h", stateShape); err != nil {
		return err
	}
	if kind == rnnLSTM {
		if err := b.checkShape(6, "initial_c", stateShape); err != nil {
			return err
		}
		if err := b.checkShape(7, "P", []int{b.dirs, 3 * b.hidden}); err != nil {
			return err
		}
	} else if len(n.Inputs) > 6 {
		return c.errorf(ErrInvalidModel, "%s has %d inputs, at most 6", n.OpType, len(n.Inputs))
	}

	var ys, hs, cs []string
	for d := range b.dirs {
		reverse := direction == "reverse" || d == 1
		y, h, cell, err := b.direction(x, d, reverse, layout)
		if err != nil {
			return err
		}
		ys, hs, cs = append(ys, y), append(hs, h), append(cs, cell)
	}
	// Y: [seq, dirs, batch, hidden]; layout 1: [batch, seq, dirs, hidden].
	if out := c.out(0); out != "" {
		y, err := c.concatOrOne(ys, 1)
		if err != nil {
			return err
		}
		op, attrs := "identity", ops.Attrs(nil)
		if layout == 1 {
			op, attrs = "transpose", ops.Attrs{"perm": []int64{2, 0, 1, 3}}
		}
		if err := c.emit(op, attrs, []string{y}, out); err != nil {
			return err
		}
	}
	for i, states := range [][]string{hs, cs} {
		out := c.out(1 + i)
		if out == "" || (i == 1 && kind != rnnLSTM) {
			continue
		}
		s, err := c.concatOrOne(states, 0) // [dirs, batch, hidden]
		if err != nil {
			return err
		}
		if layout == 1 {
			if err := c.emit("transpose", ops.Attrs{"perm": []int64{1, 0, 2}}, []string{s}, out); err != nil {
				return err
			}
			continue
		}
		if err := c.emit("identity", nil, []string{s}, out); err != nil {
			return err
		}
	}
	if len(n.Outputs) > 3 || (kind != rnnLSTM && len(n.Outputs) > 2) {
		return c.errorf(ErrInvalidModel, "%s has %d outputs", n.OpType, len(n.Outputs))
	}
	return nil
}

func (b *rnnBuild) readActivations() error {
	c := b.c
	want := b.kind.acts() * b.dirs
	defaults := [][]string{{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}}[b.kind]
	names := make([]string, 0, want)
	a, err := c.attr("activations", onnxpb.AttrStrings)
	if err != nil {
		return err
	}
	if a != nil {
		for _, s := range a.Strings {
			names = append(names, string(s))
		}
		if len(names) != want {
			return c.errorf(ErrInvalidModel, "activations lists %d functions, want %d", len(names), want)
		}
	} else {
		for range b.dirs {
			names = append(names, defaults...)
		}
	}
	alphas, err := c.attrFloats("activation_alpha", nil)
	if err != nil {
		return err
	}
	betas, err := c.attrFloats("activation_beta", nil)
	if err != nil {
		return err
	}
	// activation_alpha and _beta list values for the functions that take
	// them, in order.
	ai, bi := 0, 0
	for _, name := range names {
		def, ok := rnnDefaults[name]
		if !ok {
			return c.errorf(ErrUnsupported, "activation %q (supported: Sigmoid, Tanh, Relu, HardSigmoid, LeakyRelu, Elu, Softsign, Softplus)", name)
		}
		act := rnnActivation{name: name, alpha: def[0], beta: def[1]}
		switch name {
		case "HardSigmoid", "LeakyRelu", "Elu":
			if ai < len(alphas) {
				act.alpha = alphas[ai]
				ai++
			}
		}
		if name == "HardSigmoid" && bi < len(betas) {
			act.beta = betas[bi]
			bi++
		}
		b.acts = append(b.acts, act)
	}
	return nil
}

// checkShape checks optional input i's static shape.
func (b *rnnBuild) checkShape(i int, what string, want []int) error {
	c := b.c
	name := c.in(i)
	if name == "" {
		return nil
	}
	vt := c.typeOf(name)
	if !vt.static() {
		return c.inputErrorf(i, ErrUnsupported, "%s's shape depends on symbolic dims: %w", what, errNeedsDims)
	}
	if !vt.a.Equal(tensor.Shape(want)) {
		return c.inputErrorf(i, ErrInvalidModel, "%s has shape %v, want %v", what, vt.a, want)
	}
	return nil
}

// val emits op and returns its fresh output.
func (b *rnnBuild) val(op string, attrs ops.Attrs, inputs ...string) (string, error) {
	out := b.c.tmp()
	return out, b.c.emit(op, attrs, inputs, out)
}

// sliceAxis returns x[..., from:to, ...] along axis.
func (b *rnnBuild) sliceAxis(x string, axis, from, to int) (string, error) {
	return b.val("slice", ops.Attrs{"starts": []int64{int64(from)}, "ends": []int64{int64(to)}, "axes": []int64{int64(axis)}}, x)
}

// pick returns x[i] of a [dirs, ...] tensor as [...].
func (b *rnnBuild) pick(x string, i int) (string, error) {
	return b.val("gather", ops.Attrs{"axis": int64(0)}, x, b.c.addConst(tensor.Scalar(int64(i))))
}

// activate applies act, clipping its input first when clip is set.
func (b *rnnBuild) activate(x string, act rnnActivation) (string, error) {
	var err error
	if b.clip > 0 {
		if x, err = b.val("clip", ops.Attrs{"min": -b.clip, "max": b.clip}, x); err != nil {
			return "", err
		}
	}
	switch act.name {
	case "Sigmoid":
		return b.val("sigmoid", nil, x)
	case "Tanh":
		return b.val("tanh", nil, x)
	case "Relu":
		return b.val("relu", nil, x)
	case "Softsign":
		return b.val("softsign", nil, x)
	case "Softplus":
		return b.val("softplus", nil, x)
	case "HardSigmoid":
		return b.val("hard_sigmoid", ops.Attrs{"alpha": act.alpha, "beta": act.beta}, x)
	case "LeakyRelu":
		return b.val("leaky_relu", ops.Attrs{"alpha": act.alpha}, x)
	case "Elu":
		return b.val("elu", ops.Attrs{"alpha": act.alpha}, x)
	}
	return "", fmt.Errorf("internal: activation %s", act.name)
}

// direction unrolls one direction and returns Y ([seq, 1, batch, hidden]),
// the last H and the last C ([1, batch, hidden]; C "" unless LSTM).
func (b *rnnBuild) direction(x string, d int, reverse bool, layout int) (y, lastH, lastC string, err error) {
	c := b.c
	H, G := b.hidden, b.kind.gates()
	dt := c.typeOf(x).dtype
	acts := b.acts[d*b.kind.acts() : (d+1)*b.kind.acts()]
	w, err := b.pick(c.in(1), d) // [G·H, I]
	if err != nil {
		return
	}
	wT, err := b.val("transpose", nil, w) // [I, G·H]
	if err != nil {
		return
	}
	r, err := b.pick(c.in(2), d) // [G·H, H]
	if err != nil {
		return
	}
	xw, err := b.val("matmul", nil, x, wT) // [seq, batch, G·H]
	if err != nil {
		return
	}
	// Biases: Wb + Rb for every gate, except GRU's hidden gate, whose Rb
	// goes inside the reset product.
	var rbH string
	if in := c.in(3); in != "" {
		bias, err := b.pick(in, d) // [2·G·H]
		if err != nil {
			return "", "", "", err
		}
		wb, err := b.sliceAxis(bias, 0, 0, G*H)
		if err != nil {
			return "", "", "", err
		}
		rb, err := b.sliceAxis(bias, 0, G*H, 2*G*H)
		if err != nil {
			return "", "", "", err
		}
		if b.kind == rnnGRU {
			rbZR, err := b.sliceAxis(rb, 0, 0, 2*H)
			if err != nil {
				return "", "", "", err
			}
			if rbH, err = b.sliceAxis(rb, 0, 2*H, 3*H); err != nil {
				return "", "", "", err
			}
			zeros, err := tensor.New(dt, H)
			if err != nil {
				return "", "", "", err
			}
			if rb, err = b.val("concat", ops.Attrs{"axis": int64(0)}, rbZR, c.addConst(zeros)); err != nil {
				return "", "", "", err
			}
		}
		sum, err := b.val("add", nil, wb, rb)
		if err != nil {
			return "", "", "", err
		}
		if xw, err = b.val("add", nil, xw, sum); err != nil {
			return "", "", "", err
		}
	}
	rT, err := b.val("transpose", nil, r) // [H, G·H]
	if err != nil {
		return
	}
	var rZRT, rHT string
	if b.kind == rnnGRU && !b.linearBeforeReset {
		if rZRT, err = b.sliceAxis(rT, 1, 0, 2*H); err != nil {
			return
		}
		if rHT, err = b.sliceAxis(rT, 1, 2*H, 3*H); err != nil {
			return
		}
	}
	var p [3]string // LSTM peepholes i, o, f: [H] each
	if b.kind == rnnLSTM && c.in(7) != "" {
		pd, err := b.pick(c.in(7), d)
		if err != nil {
			return "", "", "", err
		}
		for k := range 3 {
			if p[k], err = b.sliceAxis(pd, 0, k*H, (k+1)*H); err != nil {
				return "", "", "", err
			}
		}
	}
	state := func(i int) (string, error) { // initial h or c, [batch, hidden]
		if c.in(i) == "" {
			z, err := tensor.New(dt, b.batch, H)
			if err != nil {
				return "", err
			}
			return c.addConst(z), nil
		}
		if layout == 1 {
			return b.val("gather", ops.Attrs{"axis": int64(1)}, c.in(i), c.addConst(tensor.Scalar(int64(d))))
		}
		return b.pick(c.in(i), d)
	}
	h, err := state(5)
	if err != nil {
		return
	}
	var cell string
	if b.kind == rnnLSTM {
		if cell, err = state(6); err != nil {
			return
		}
	}
	outs := make([]string, b.seq)
	for s := range b.seq {
		if err := c.unrollStep(); err != nil {
			return "", "", "", err
		}
		t := s
		if reverse {
			t = b.seq - 1 - s
		}
		xwT, err := b.pick(xw, t) // [batch, G·H]
		if err != nil {
			return "", "", "", err
		}
		newH, newC, err := b.step(xwT, h, cell, rT, rZRT, rHT, rbH, p, acts)
		if err != nil {
			return "", "", "", err
		}
		if b.lens != nil {
			// Past a sequence's end its state is held and its output is 0.
			mask := make([]float64, b.batch)
			for i, l := range b.lens {
				if int64(t) < l {
					mask[i] = 1
				}
			}
			m, err := tensor.FromFloat64s(dt, tensor.Shape{b.batch, 1}, mask)
			if err != nil {
				return "", "", "", err
			}
			mName := c.addConst(m)
			held := func(nv, old string) (string, error) {
				diff, err := b.val("sub", nil, nv, old)
				if err != nil {
					return "", err
				}
				md, err := b.val("mul", nil, diff, mName)
				if err != nil {
					return "", err
				}
				return b.val("add", nil, old, md)
			}
			if outs[t], err = b.val("mul", nil, newH, mName); err != nil {
				return "", "", "", err
			}
			if newH, err = held(newH, h); err != nil {
				return "", "", "", err
			}
			if b.kind == rnnLSTM {
				if newC, err = held(newC, cell); err != nil {
					return "", "", "", err
				}
			}
		} else {
			outs[t] = newH
		}
		h, cell = newH, newC
	}
	// Y for this direction: [seq, 1, batch, hidden].
	parts := make([]string, b.seq)
	for t, o := range outs {
		if parts[t], err = b.val("reshape", ops.Attrs{"shape": []int64{1, 1, int64(b.batch), int64(H)}}, o); err != nil {
			return
		}
	}
	if y, err = c.concatOrOne(parts, 0); err != nil {
		return
	}
	shape := ops.Attrs{"shape": []int64{1, int64(b.batch), int64(H)}}
	if lastH, err = b.val("reshape", shape, h); err != nil {
		return
	}
	if b.kind == rnnLSTM {
		lastC, err = b.val("reshape", shape, cell)
	}
	return y, lastH, lastC, err
}
