package reference

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Kernels of lstm, gru and rnn (ops/recurrent.go): a plain loop over
// directions, batch entries and time steps, every product and state in
// float64, rounded once when the outputs are written.

func init() {
	for _, op := range []string{"lstm", "gru", "rnn"} {
		register(op, recurrentKernel(op))
	}
}

// recurrentAct applies one resolved activation function.
func recurrentAct(a ops.RecurrentActivation, x float64) float64 {
	switch a.Name {
	case "relu":
		if x < 0 {
			return 0
		}
		return x
	case "tanh":
		return math.Tanh(x)
	case "sigmoid":
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	case "softsign":
		return x / (1 + math.Abs(x))
	case "softplus":
		return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	case "affine":
		return a.Alpha*x + a.Beta
	case "leakyrelu":
		if x < 0 {
			return a.Alpha * x
		}
		return x
	case "thresholdedrelu":
		if x > a.Alpha {
			return x
		}
		if math.IsNaN(x) {
			return x
		}
		return 0
	case "scaledtanh":
		return a.Alpha * math.Tanh(a.Beta*x)
	case "hardsigmoid":
		if math.IsNaN(x) {
			return x
		}
		return max(0, min(1, a.Alpha*x+a.Beta))
	case "elu":
		if x < 0 {
			return a.Alpha * math.Expm1(x)
		}
		return x
	}
	return math.NaN() // unreachable: ResolveRecurrent accepts only the names above
}

// recurrentRun holds one node's resolved attributes and its inputs as float64.
type recurrentRun struct {
	ops.Recurrent
	x, w, r, b, h0, c0, p []float64
	lens                  []int
}

// xAt, yAt and stateAt return the offset of the first element of a row of
// x (step t, batch entry b), y (step t, direction d, entry b) and of a
// state (direction d, entry b) in the node's layout.
func (k *recurrentRun) xAt(t, b int) int {
	if k.Layout == 1 {
		return (b*k.SeqLen + t) * k.Input
	}
	return (t*k.Batch + b) * k.Input
}

func (k *recurrentRun) yAt(t, d, b int) int {
	if k.Layout == 1 {
		return ((b*k.SeqLen+t)*k.Directions + d) * k.Size
	}
	return ((t*k.Directions+d)*k.Batch + b) * k.Size
}

func (k *recurrentRun) stateAt(d, b int) int {
	if k.Layout == 1 {
		return (b*k.Directions + d) * k.Size
	}
	return (d*k.Batch + b) * k.Size
}

func recurrentKernel(op string) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		types := make([]ops.Type, len(in))
		vals := make([][]float64, 8)
		for i, t := range in {
			if t != nil {
				types[i] = ops.TypeOf(t)
				if t.DType().IsFloat() {
					vals[i] = t.Float64s()
				}
			}
		}
		spec, err := ops.ResolveRecurrent(op, types, a)
		if err != nil {
			return nil, err
		}
		k := &recurrentRun{Recurrent: spec, x: vals[0], w: vals[1], r: vals[2], b: vals[3], h0: vals[5],
			c0: vals[6], p: vals[7], lens: make([]int, spec.Batch)}
		for i := range k.lens {
			k.lens[i] = k.SeqLen
		}
		if k.HasSeqLens {
			for i, n := range in[4].Int64s() {
				if n < 0 || n > int64(k.SeqLen) {
					return nil, fmt.Errorf("sequence_lens[%d] is %d, want 0 to %d (the sequence length)", i, n, k.SeqLen)
				}
				k.lens[i] = int(n)
			}
		}
		y := make([]float64, out[0].Shape.NumElements())
		yh := make([]float64, out[1].Shape.NumElements())
		var yc []float64
		if op == "lstm" {
			yc = make([]float64, out[2].Shape.NumElements())
		}
		for d := range k.Directions {
			for b := range k.Batch {
				k.sequence(d, b, y, yh, yc)
			}
		}
		res := make([]*tensor.Tensor, len(out))
		for i, v := range [][]float64{y, yh, yc}[:len(out)] {
			if res[i], err = tensor.FromFloat64s(out[i].DType, out[i].Shape, v); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
}

// sequence runs direction d over batch entry b, writing its steps into y
// and its final states into yh and yc (left zero for an empty sequence).
func (k *recurrentRun) sequence(d, b int, y, yh, yc []float64) {
	hs := k.Size
	h := make([]float64, hs)
	c := make([]float64, hs)
	if k.h0 != nil {
		copy(h, k.h0[k.stateAt(d, b):][:hs])
	}
	if k.c0 != nil {
		copy(c, k.c0[k.stateAt(d, b):][:hs])
	}
	rows := k.Gates * hs
	st := &recurrentStep{
		run:  k,
		w:    k.w[d*rows*k.Input:][:rows*k.Input],
		r:    k.r[d*rows*hs:][:rows*hs],
		acts: k.Activations[d*k.PerDirection():][:k.PerDirection()],
		pre:  make([]float64, rows),
		hpre: make([]float64, rows),
	}
	if k.b != nil {
		st.wb = k.b[d*2*rows:][:rows]
		st.rb = k.b[d*2*rows+rows:][:rows]
	}
	if k.p != nil {
		st.p = k.p[d*3*hs:][:3*hs]
	}
	n := k.lens[b]
	for s := range n {
		t := s
		if k.Reverse(d) {
			t = n - 1 - s
		}
		st.step(k.x[k.xAt(t, b):][:k.Input], h, c)
		copy(y[k.yAt(t, d, b):][:hs], h)
	}
	if n > 0 {
		copy(yh[k.stateAt(d, b):][:hs], h)
		if yc != nil {
			copy(yc[k.stateAt(d, b):][:hs], c)
		}
	}
}

// recurrentStep is one direction's weights and scratch space.
type recurrentStep struct {
	run       *recurrentRun
	w, r      []float64 // [G·hidden, input], [G·hidden, hidden]
	wb, rb, p []float64 // nil when absent
	acts      []ops.RecurrentActivation
	pre       []float64 // x·Wᵀ + Wb, per gate row
	hpre      []float64 // h·Rᵀ + Rb, per gate row
}

// step advances the states h and c (lstm only) by one input row x.
func (s *recurrentStep) step(x, h, c []float64) {
	k := s.run
	hs, in := k.Size, k.Input
	for j := range s.pre {
		acc := 0.0
		for i, v := range x {
			acc += s.w[j*in+i] * v
		}
		if s.wb != nil {
			acc += s.wb[j]
		}
		s.pre[j] = acc
		acc = 0
		for i, v := range h {
			acc += s.r[j*hs+i] * v
		}
		if s.rb != nil {
			acc += s.rb[j]
		}
		s.hpre[j] = acc
	}
	switch k.Op {
	case "lstm":
		s.lstm(h, c)
	case "gru":
		s.gru(h)
	default:
		for j := range h {
			h[j] = s.act(0, s.pre[j]+s.hpre[j])
		}
	}
}

// act clips x when the node says so and applies activation i of the direction.
func (s *recurrentStep) act(i int, x float64) float64 {
	if clip := s.run.Clip; clip > 0 {
		x = max(-clip, min(clip, x))
	}
	return recurrentAct(s.acts[i], x)
}

// lstm: gates i, o, f, c in rows [0,H), [H,2H), [2H,3H), [3H,4H); peepholes i, o, f.
func (s *recurrentStep) lstm(h, c []float64) {
	hs := s.run.Size
	peep := func(g, j int) float64 {
		if s.p == nil {
			return 0
		}
		return s.p[g*hs+j]
	}
	for j := range hs {
		gate := func(g int) float64 { return s.pre[g*hs+j] + s.hpre[g*hs+j] }
		ig := s.act(0, gate(0)+peep(0, j)*c[j])
		var fg float64
		if s.run.InputForget {
			fg = 1 - ig
		} else {
			fg = s.act(0, gate(2)+peep(2, j)*c[j])
		}
		cand := s.act(1, gate(3))
		c[j] = fg*c[j] + ig*cand
		og := s.act(0, gate(1)+peep(1, j)*c[j])
		h[j] = og * recurrentAct(s.acts[2], c[j])
	}
}

// gru: gates z, r, h in rows [0,H), [H,2H), [2H,3H).
func (s *recurrentStep) gru(h []float64) {
	hs := s.run.Size
	z := make([]float64, hs)
	cand := make([]float64, hs)
	if s.run.LinearBeforeReset {
		for j := range hs {
			z[j] = s.act(0, s.pre[j]+s.hpre[j])
			rg := s.act(0, s.pre[hs+j]+s.hpre[hs+j])
			cand[j] = s.act(1, s.pre[2*hs+j]+rg*s.hpre[2*hs+j])
		}
	} else {
		rh := make([]float64, hs) // r⊙h
		for j := range hs {
			z[j] = s.act(0, s.pre[j]+s.hpre[j])
			rh[j] = s.act(0, s.pre[hs+j]+s.hpre[hs+j]) * h[j]
		}
		for j := range hs {
			acc := 0.0
			for i, v := range rh {
				acc += s.r[(2*hs+j)*hs+i] * v
			}
			if s.rb != nil {
				acc += s.rb[2*hs+j]
			}
			cand[j] = s.act(1, s.pre[2*hs+j]+acc)
		}
	}
	for j := range hs {
		h[j] = (1-z[j])*cand[j] + z[j]*h[j]
	}
}
