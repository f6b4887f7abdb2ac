package xla

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// Lowerings of lstm, gru and rnn (ops/recurrent.go).
//
// The sequence length is static, so the recurrence is unrolled: one step of
// graph ops per time step and direction. The input products x·Wᵀ of every
// step are one matrix product up front; each step adds h·Rᵀ and applies the
// gates. sequence_lens is a mask: at a step past an entry's length the state
// is kept and the output is 0, which for a reverse direction (walking from
// the last step down) means it starts at step length−1, as ref computes it.
// float16 and bfloat16 compute in float32, float64 in float64.

func init() {
	for _, op := range []string{"lstm", "gru", "rnn"} {
		registerLowering(op, lowerRecurrent(op))
		registerCheck(op, func(_ *engine, n *runtime.Node, in, _ []ops.Type) error {
			r, err := ops.ResolveRecurrent(n.Op, in, n.Attrs)
			if err != nil {
				return err
			}
			return recurrentStepsCheck(r)
		})
	}
}

// maxUnrolledSteps bounds time steps × directions of one node: the graph
// grows by a few dozen ops per step, and its build and compile time with it.
const maxUnrolledSteps = 4096

// recurrentStepsCheck refuses a node whose unrolled graph would be too large.
func recurrentStepsCheck(r ops.Recurrent) error {
	if r.SeqLen*r.Directions > maxUnrolledSteps {
		return fmt.Errorf("%s over %d time steps × %d directions: the lowering unrolls the sequence and takes at "+
			"most %d steps in all", r.Op, r.SeqLen, r.Directions, maxUnrolledSteps)
	}
	return nil
}

// recurrentActNode applies one resolved activation function.
func recurrentActNode(a ops.RecurrentActivation, x *graph.Node) *graph.Node {
	switch a.Name {
	case "relu":
		return relu(x)
	case "tanh":
		return graph.Tanh(x)
	case "sigmoid":
		return graph.Sigmoid(x)
	case "softsign":
		return graph.Div(x, graph.OnePlus(graph.Abs(x)))
	case "softplus":
		return softplus(x)
	case "affine":
		return graph.AddScalar(graph.MulScalar(x, a.Alpha), a.Beta)
	case "leakyrelu":
		return graph.Where(isNegative(x), graph.MulScalar(x, a.Alpha), x)
	case "thresholdedrelu":
		// x ≤ alpha gives 0; NaN fails both comparisons and stays NaN.
		return graph.Where(graph.LessOrEqual(x, graph.Scalar(x.Graph(), x.DType(), a.Alpha)), graph.ZerosLike(x), x)
	case "scaledtanh":
		return graph.MulScalar(graph.Tanh(graph.MulScalar(x, a.Beta)), a.Alpha)
	case "hardsigmoid":
		y := graph.AddScalar(graph.MulScalar(x, a.Alpha), a.Beta)
		return keepNaN(y, graph.ClipScalar(y, 0, 1))
	case "elu":
		return graph.Where(isNegative(x), graph.MulScalar(graph.Expm1(x), a.Alpha), x)
	}
	panic("backends/xla: unknown recurrent activation " + a.Name) // ResolveRecurrent accepts only the names above
}

// recurrentLowering is one node being lowered: its resolved attributes and
// the per-direction weights in the compute dtype.
type recurrentLowering struct {
	ops.Recurrent
	c *nodeCtx
}

func lowerRecurrent(op string) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		r, err := ops.ResolveRecurrent(op, c.In, c.Node.Attrs)
		if err != nil {
			return nil, err
		}
		if err := recurrentStepsCheck(r); err != nil {
			return nil, err
		}
		out := in[0].DType()
		if r.SeqLen == 0 || r.Batch == 0 || r.Size == 0 {
			// Nothing to step (and the engines refuse zero-size products):
			// every output is empty or, for entries that took no step, zero.
			var res []*graph.Node
			for _, t := range c.Out {
				res = append(res, graph.BroadcastToDims(graph.ScalarZero(c.g, out), t.Shape...))
			}
			return res, nil
		}
		cd := dtypes.Float32
		if out == dtypes.Float64 {
			cd = dtypes.Float64
		}
		conv := func(i int) *graph.Node {
			if i >= len(in) || in[i] == nil {
				return nil
			}
			return graph.ConvertDType(in[i], cd)
		}
		x := conv(0)
		h0, c0 := conv(5), conv(6)
		if r.Layout == 1 { // to time-major [seq, batch, input] and direction-major states
			x = graph.TransposeAllDims(x, 1, 0, 2)
			if h0 != nil {
				h0 = graph.TransposeAllDims(h0, 1, 0, 2)
			}
			if c0 != nil {
				c0 = graph.TransposeAllDims(c0, 1, 0, 2)
			}
		}
		var lens *graph.Node
		if r.HasSeqLens {
			lens = graph.ConvertDType(in[4], dtypes.Int64)
			ok := graph.LogicalAnd(graph.GreaterOrEqual(lens, graph.ScalarZero(c.g, dtypes.Int64)),
				graph.LessOrEqual(lens, graph.Scalar(c.g, dtypes.Int64, r.SeqLen)))
			c.check(ok, "a sequence_lens value is outside [0, the sequence length]")
		}
		l := &recurrentLowering{Recurrent: r, c: c}
		var ys, hs, cs []*graph.Node
		for d := range r.Directions {
			y, h, cell := l.direction(d, x, conv(1), conv(2), conv(3), conv(7), h0, c0, lens)
			ys, hs, cs = append(ys, y), append(hs, h), append(cs, cell)
		}
		y := graph.Stack(ys, 1) // [seq, dirs, batch, hidden]
		yh := graph.Stack(hs, 0)
		if r.Layout == 1 {
			y = graph.TransposeAllDims(y, 2, 0, 1, 3)
			yh = graph.TransposeAllDims(yh, 1, 0, 2)
		}
		res := []*graph.Node{graph.ConvertDType(y, out), graph.ConvertDType(yh, out)}
		if op == "lstm" {
			yc := graph.Stack(cs, 0)
			if r.Layout == 1 {
				yc = graph.TransposeAllDims(yc, 1, 0, 2)
			}
			res = append(res, graph.ConvertDType(yc, out))
		}
		return res, nil
	}
}

// direction unrolls direction d over the whole sequence. x is [seq, batch,
// input]; the states h0 and c0 are [dirs, batch, hidden] (nil when absent).
// It returns y [seq, batch, hidden] and the final states [batch, hidden].
func (l *recurrentLowering) direction(d int, x, w, r, b, p, h0, c0, lens *graph.Node) (y, h, cell *graph.Node) {
	g := l.c.g
	hs, rows := l.Size, l.Gates*l.Size
	dt := x.DType()
	rd := graph.Reshape(graph.Slice(r, graph.AxisElem(d)), rows, hs)
	rdT := graph.TransposeAllDims(rd, 1, 0)
	// x·Wᵀ + Wb for every step at once: [seq, batch, rows].
	var xw *graph.Node
	if l.Input == 0 {
		xw = graph.BroadcastToDims(graph.ScalarZero(g, dt), l.SeqLen, l.Batch, rows)
	} else { // (the engines refuse slicing a zero-size w, so only here)
		wd := graph.Reshape(graph.Slice(w, graph.AxisElem(d)), rows, l.Input)
		xw = graph.Reshape(graph.Dot(graph.Reshape(x, l.SeqLen*l.Batch, l.Input), graph.TransposeAllDims(wd, 1, 0)),
			l.SeqLen, l.Batch, rows)
	}
	var rb *graph.Node
	if b != nil {
		bd := graph.Reshape(graph.Slice(b, graph.AxisElem(d)), 2*rows)
		xw = graph.Add(xw, graph.Reshape(graph.Slice(bd, graph.AxisRange(0, rows)), 1, 1, rows))
		rb = graph.Reshape(graph.Slice(bd, graph.AxisRange(rows, 2*rows)), 1, rows)
	}
	var peep *graph.Node
	if p != nil {
		peep = graph.Reshape(graph.Slice(p, graph.AxisElem(d)), 1, 3*hs)
	}
	zero := graph.BroadcastToDims(graph.ScalarZero(g, dt), l.Batch, hs)
	h, cell = zero, zero
	if h0 != nil {
		h = graph.Reshape(graph.Slice(h0, graph.AxisElem(d)), l.Batch, hs)
	}
	if c0 != nil {
		cell = graph.Reshape(graph.Slice(c0, graph.AxisElem(d)), l.Batch, hs)
	}
	per := l.PerDirection()
	st := recurrentStepNodes{l: l, acts: l.Activations[d*per : (d+1)*per], rdT: rdT, rb: rb, peep: peep}
	steps := make([]*graph.Node, l.SeqLen)
	for s := range l.SeqLen {
		t := s
		if l.Reverse(d) {
			t = l.SeqLen - 1 - s
		}
		xt := graph.Reshape(graph.Slice(xw, graph.AxisElem(t)), l.Batch, rows)
		hNew, cNew := st.step(xt, h, cell)
		if lens == nil {
			h, cell, steps[t] = hNew, cNew, hNew
			continue
		}
		live := graph.LessThan(graph.Scalar(g, dtypes.Int64, t), lens) // [batch]
		h = graph.Where(live, hNew, h)
		if cNew != nil {
			cell = graph.Where(live, cNew, cell)
		}
		steps[t] = graph.Where(live, hNew, graph.ScalarZero(g, dt))
	}
	if lens != nil { // an entry that took no step has zero final states
		empty := graph.Equal(lens, graph.ScalarZero(g, dtypes.Int64))
		h = graph.Where(empty, graph.ScalarZero(g, dt), h)
		cell = graph.Where(empty, graph.ScalarZero(g, dt), cell)
	}
	return graph.Stack(steps, 0), h, cell
}

// recurrentStepNodes builds one time step of one direction.
type recurrentStepNodes struct {
	l    *recurrentLowering
	acts []ops.RecurrentActivation
	rdT  *graph.Node // Rᵀ: [hidden, rows]
	rb   *graph.Node // [1, rows] or nil
	peep *graph.Node // [1, 3·hidden] or nil
}

// act clips x when the node says so and applies activation i.
func (s *recurrentStepNodes) act(i int, x *graph.Node) *graph.Node {
	if clip := s.l.Clip; clip > 0 {
		x = graph.ClipScalar(x, -clip, clip)
	}
	return recurrentActNode(s.acts[i], x)
}

// cols returns columns [k·hidden, (k+1)·hidden) of a [batch, rows] node.
func (s *recurrentStepNodes) cols(n *graph.Node, k int) *graph.Node {
	hs := s.l.Size
	return graph.Slice(n, graph.AxisRange(), graph.AxisRange(k*hs, (k+1)*hs))
}

// hr returns h·Rᵀ + Rb over all gate rows: [batch, rows].
func (s *recurrentStepNodes) hr(h *graph.Node) *graph.Node {
	y := graph.Dot(h, s.rdT)
	if s.rb != nil {
		y = graph.Add(y, s.rb)
	}
	return y
}

// step returns the new hidden state and, for lstm, the new cell state.
func (s *recurrentStepNodes) step(xt, h, cell *graph.Node) (*graph.Node, *graph.Node) {
	switch s.l.Op {
	case "lstm":
		pre := graph.Add(xt, s.hr(h)) // gates i, o, f, c
		peep := func(k int, c *graph.Node) *graph.Node {
			if s.peep == nil {
				return nil
			}
			return graph.Mul(s.cols(s.peep, k), c)
		}
		gate := func(k, pk int, c *graph.Node) *graph.Node {
			v := s.cols(pre, k)
			if p := peep(pk, c); p != nil {
				v = graph.Add(v, p)
			}
			return v
		}
		ig := s.act(0, gate(0, 0, cell))
		var fg *graph.Node
		if s.l.InputForget {
			fg = graph.OneMinus(ig)
		} else {
			fg = s.act(0, gate(2, 2, cell))
		}
		cand := s.act(1, s.cols(pre, 3))
		cNew := graph.Add(graph.Mul(fg, cell), graph.Mul(ig, cand))
		og := s.act(0, gate(1, 1, cNew))
		return graph.Mul(og, recurrentActNode(s.acts[2], cNew)), cNew
	case "gru":
		hr := s.hr(h) // gates z, r, h
		z := s.act(0, graph.Add(s.cols(xt, 0), s.cols(hr, 0)))
		rg := s.act(0, graph.Add(s.cols(xt, 1), s.cols(hr, 1)))
		var inner *graph.Node
		if s.l.LinearBeforeReset {
			inner = graph.Mul(rg, s.cols(hr, 2))
		} else {
			inner = graph.Dot(graph.Mul(rg, h), s.cols(s.rdT, 2))
			if s.rb != nil {
				inner = graph.Add(inner, s.cols(s.rb, 2))
			}
		}
		cand := s.act(1, graph.Add(s.cols(xt, 2), inner))
		return graph.Add(graph.Mul(graph.OneMinus(z), cand), graph.Mul(z, h)), nil
	}
	return s.act(0, graph.Add(xt, s.hr(h))), nil
}
