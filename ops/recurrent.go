package ops

import (
	"fmt"
	"strings"

	"github.com/backplane-ml/backplane/tensor"
)

// The recurrent family: lstm, gru and rnn, one layer each, with ONNX's
// inputs, gate orders, directions and layouts (ONNX LSTM, GRU and RNN, opset
// 14 and later). Sequence lengths are data (a tensor input), never a shape:
// every output shape follows from the input shapes alone.

// Directions of a recurrent op (attribute direction).
const (
	RecurrentForward       = "forward"
	RecurrentReverse       = "reverse"
	RecurrentBidirectional = "bidirectional"
)

// recurrentActivations lists the activation functions a recurrent op
// accepts (attribute activations, case-insensitive), with which of alpha and
// beta each takes and their defaults: those of the ONNX operator of the same
// name (Affine and ScaledTanh as ONNX defined them before removing them).
var recurrentActivations = map[string]struct {
	alpha, beta       bool
	defAlpha, defBeta float64
}{
	"relu":            {},
	"tanh":            {},
	"sigmoid":         {},
	"softsign":        {},
	"softplus":        {},
	"affine":          {alpha: true, beta: true, defAlpha: 1, defBeta: 0},
	"leakyrelu":       {alpha: true, defAlpha: LeakyReluDefaultAlpha},
	"thresholdedrelu": {alpha: true, defAlpha: 1},
	"scaledtanh":      {alpha: true, beta: true, defAlpha: 1, defBeta: 1},
	"hardsigmoid":     {alpha: true, beta: true, defAlpha: HardSigmoidDefaultAlpha, defBeta: HardSigmoidDefaultBeta},
	"elu":             {alpha: true, defAlpha: EluDefaultAlpha},
}

// RecurrentActivationTakes reports whether the named activation (lower case)
// uses alpha and beta; ok is false for a name the catalog does not know.
func RecurrentActivationTakes(name string) (alpha, beta, ok bool) {
	p, ok := recurrentActivations[name]
	return p.alpha, p.beta, ok
}

// RecurrentActivationDefaults returns the alpha and beta the named
// activation (lower case) uses when activation_alpha/activation_beta are absent.
func RecurrentActivationDefaults(name string) (alpha, beta float64) {
	p := recurrentActivations[name]
	return p.defAlpha, p.defBeta
}

// recurrentKind is what differs between lstm, gru and rnn.
type recurrentKind struct {
	gates       int      // rows of W per hidden unit: 4 (iofc), 3 (zrh), 1
	activations []string // default activation per direction
	inputs      int      // catalog inputs: lstm has initial_c and p too
	outputs     int      // lstm also returns y_c
}

var recurrentKinds = map[string]recurrentKind{
	"lstm": {gates: 4, activations: []string{"sigmoid", "tanh", "tanh"}, inputs: 8, outputs: 3},
	"gru":  {gates: 3, activations: []string{"sigmoid", "tanh"}, inputs: 6, outputs: 2},
	"rnn":  {gates: 1, activations: []string{"tanh"}, inputs: 6, outputs: 2},
}

// Input positions shared by the three ops.
const (
	recX = iota
	recW
	recR
	recB
	recSeqLens
	recInitialH
	recInitialC // lstm only
	recP        // lstm only
)

// RecurrentActivation is one resolved activation function.
type RecurrentActivation struct {
	Name        string // lower case, e.g. "sigmoid"
	Alpha, Beta float64
}

// Recurrent is a resolved lstm, gru or rnn node: its sizes and its
// attributes with every default applied. Backends compute from it so that a
// default never differs between them.
type Recurrent struct {
	Op                         string // "lstm", "gru" or "rnn"
	Gates                      int    // 4, 3 or 1
	SeqLen, Batch, Input, Size int    // Size is hidden_size
	Directions                 int    // 1, or 2 when bidirectional
	Direction                  string
	Layout                     int // 0: time-major; 1: batch-major
	// Activations holds len(kind's defaults) entries per direction, the
	// forward (or only) direction's first.
	Activations []RecurrentActivation
	// Clip bounds every gate's input to [-Clip, Clip]; 0 means no clip.
	Clip              float64
	InputForget       bool // lstm: forget gate = 1 − input gate
	LinearBeforeReset bool // gru: apply the reset gate after R_h
	// Which optional inputs are present.
	HasB, HasSeqLens, HasInitialH, HasInitialC, HasP bool
}

// PerDirection returns how many activations each direction uses.
func (r Recurrent) PerDirection() int { return len(r.Activations) / r.Directions }

// Reverse reports whether direction d runs from the last time step to the first.
func (r Recurrent) Reverse(d int) bool {
	return r.Direction == RecurrentReverse || (r.Direction == RecurrentBidirectional && d == 1)
}

func init() {
	common := func(kind string) []AttrSpec {
		k := recurrentKinds[kind]
		return []AttrSpec{
			{Name: "hidden_size", Kind: AttrInt, Doc: "hidden units; when set it must equal r.shape[2]"},
			{Name: "direction", Kind: AttrString, Doc: "forward (default), reverse or bidirectional"},
			{Name: "layout", Kind: AttrInt, Doc: "0 (default): x is [seq, batch, input]; 1: x is [batch, seq, input] " +
				"and the states and outputs put batch first too"},
			{Name: "activations", Kind: AttrString, Doc: fmt.Sprintf("comma-separated activation names, %d per "+
				"direction (default %s): relu, tanh, sigmoid, affine, leakyrelu, thresholdedrelu, scaledtanh, "+
				"hardsigmoid, elu, softsign, softplus (any case)", len(k.activations), strings.Join(k.activations, ","))},
			{Name: "activation_alpha", Kind: AttrFloats, Doc: "one alpha per activation, used by those that take " +
				"one (default: the ONNX operator's default)"},
			{Name: "activation_beta", Kind: AttrFloats, Doc: "one beta per activation, used by those that take one"},
			{Name: "clip", Kind: AttrFloat, Doc: "when set (> 0), every gate's input is clipped to [-clip, clip] " +
				"before its activation"},
		}
	}
	opInputs := []InputSpec{{Name: "x"}, {Name: "w"}, {Name: "r"}, {Name: "b", Optional: true},
		{Name: "sequence_lens", Optional: true}, {Name: "initial_h", Optional: true}}
	stateDoc := " x is [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1); w is [dirs, G·hidden, input], " +
		"r [dirs, G·hidden, hidden], b [dirs, 2·G·hidden] (the W biases, then the R biases); sequence_lens [batch] " +
		"(int32 or int64, each in [0, seq]; default seq) limits each batch entry's steps: a reverse direction " +
		"starts at step sequence_lens−1, outputs past the length are 0, and an entry of length 0 has zero final " +
		"states (as ONNX Runtime computes); initial_h is [dirs, batch, hidden] ([batch, dirs, hidden] in layout 1). " +
		"y is [seq, dirs, batch, hidden] ([batch, seq, dirs, hidden] in layout 1) and y_h the final hidden state. " +
		"Float dtypes, one for all float inputs."
	Register(&Op{
		Name: "lstm",
		Doc: "One LSTM layer (ONNX LSTM, G = 4 gates in order i, o, f, c; default activations sigmoid, tanh, tanh): " +
			"i = f(x·Wiᵀ + h·Riᵀ + Pi⊙c + b), f = f(… + Pf⊙c), c̃ = g(…), C = f⊙c + i⊙c̃, o = f(… + Po⊙C), " +
			"H = o⊙h(C)." + stateDoc + " initial_c is shaped like initial_h; p is [dirs, 3·hidden] (peepholes i, " +
			"o, f); y_c is the final cell state.",
		Inputs: append(append([]InputSpec(nil), opInputs...), InputSpec{Name: "initial_c", Optional: true},
			InputSpec{Name: "p", Optional: true}),
		Attrs: append(common("lstm"), AttrSpec{Name: "input_forget", Kind: AttrInt,
			Doc: "1 couples the forget gate to the input gate: f = 1 − i; default 0"}),
		Infer: recurrentInfer("lstm"),
	})
	Register(&Op{
		Name: "gru",
		Doc: "One GRU layer (ONNX GRU, G = 3 gates in order z, r, h; default activations sigmoid, tanh): " +
			"z = f(x·Wzᵀ + h·Rzᵀ + b), r = f(…), h̃ = g(x·Whᵀ + (r⊙h)·Rhᵀ + Rbh + Wbh) or, with " +
			"linear_before_reset, g(x·Whᵀ + r⊙(h·Rhᵀ + Rbh) + Wbh); H = (1 − z)⊙h̃ + z⊙h." + stateDoc,
		Inputs: opInputs,
		Attrs: append(common("gru"), AttrSpec{Name: "linear_before_reset", Kind: AttrInt,
			Doc: "1 applies the reset gate after the recurrent product; default 0"}),
		Infer: recurrentInfer("gru"),
	})
	Register(&Op{
		Name: "rnn",
		Doc: "One simple RNN layer (ONNX RNN, G = 1; default activation tanh): H = f(x·Wᵀ + h·Rᵀ + Wb + Rb)." +
			stateDoc,
		Inputs: opInputs,
		Attrs:  common("rnn"),
		Infer:  recurrentInfer("rnn"),
	})
}

func recurrentInfer(op string) func(in []Type, a Attrs) ([]Type, error) {
	return func(in []Type, a Attrs) ([]Type, error) {
		r, err := ResolveRecurrent(op, in, a)
		if err != nil {
			return nil, err
		}
		d := in[recX].DType
		y := tensor.Shape{r.SeqLen, r.Directions, r.Batch, r.Size}
		state := tensor.Shape{r.Directions, r.Batch, r.Size}
		if r.Layout == 1 {
			y = tensor.Shape{r.Batch, r.SeqLen, r.Directions, r.Size}
			state = tensor.Shape{r.Batch, r.Directions, r.Size}
		}
		if err := y.Validate(); err != nil {
			return nil, InputErrorf(recX, "output y would have shape %v: %v", []int(y), err)
		}
		if err := state.Validate(); err != nil {
			return nil, InputErrorf(recR, "output y_h would have shape %v: %v", []int(state), err)
		}
		out := []Type{{DType: d, Shape: y}, {DType: d, Shape: state}}
		if op == "lstm" {
			out = append(out, Type{DType: d, Shape: state.Clone()})
		}
		return out, nil
	}
}

// ResolveRecurrent checks an lstm, gru or rnn node's inputs and attributes and
// returns its sizes and resolved attributes. in holds the input types (a zero
// Type for an omitted optional input).
func ResolveRecurrent(op string, in []Type, a Attrs) (Recurrent, error) {
	k, ok := recurrentKinds[op]
	if !ok {
		return Recurrent{}, fmt.Errorf("ops: %q is not a recurrent op", op)
	}
	at := func(i int) Type {
		if i < len(in) {
			return in[i]
		}
		return Type{}
	}
	r := Recurrent{Op: op, Gates: k.gates, Layout: a.Int("layout", 0)}
	floats := []int{recX, recW, recR, recB, recInitialH, recInitialC, recP}
	if err := requireFloat(in, floats...); err != nil {
		return r, err
	}
	if err := requireSameDType(in, floats...); err != nil {
		return r, err
	}
	for _, i := range []int{recX, recW, recR} {
		if err := requireRank(in, i, 3); err != nil {
			return r, err
		}
	}
	if r.Layout != 0 && r.Layout != 1 {
		return r, AttrErrorf("layout", "is %d, want 0 or 1", r.Layout)
	}
	r.Direction = a.String("direction", RecurrentForward)
	switch r.Direction {
	case RecurrentForward, RecurrentReverse:
		r.Directions = 1
	case RecurrentBidirectional:
		r.Directions = 2
	default:
		return r, AttrErrorf("direction", "is %q, want forward, reverse or bidirectional", r.Direction)
	}
	x, w, rr := in[recX].Shape, in[recW].Shape, in[recR].Shape
	if r.Layout == 0 {
		r.SeqLen, r.Batch = x[0], x[1]
	} else {
		r.Batch, r.SeqLen = x[0], x[1]
	}
	r.Input = x[2]
	r.Size = rr[2]
	if a.Has("hidden_size") && a.Int("hidden_size", 0) != r.Size {
		return r, AttrErrorf("hidden_size", "is %d, but r has shape %v (hidden size %d)", a.Int("hidden_size", 0), rr, r.Size)
	}
	rows := k.gates * r.Size // r.Size <= tensor.MaxElements, so no overflow
	if !w.Equal(tensor.Shape{r.Directions, rows, r.Input}) {
		return r, InputErrorf(recW, "w has shape %v, want [%d %d %d] (directions, %d·hidden, input size)",
			w, r.Directions, rows, r.Input, k.gates)
	}
	if !rr.Equal(tensor.Shape{r.Directions, rows, r.Size}) {
		return r, InputErrorf(recR, "r has shape %v, want [%d %d %d] (directions, %d·hidden, hidden)",
			rr, r.Directions, rows, r.Size, k.gates)
	}
	if b := at(recB); !b.Absent() {
		r.HasB = true
		if !b.Shape.Equal(tensor.Shape{r.Directions, 2 * rows}) {
			return r, InputErrorf(recB, "b has shape %v, want [%d %d] (directions, 2·%d·hidden)", b.Shape, r.Directions, 2*rows, k.gates)
		}
	}
	if s := at(recSeqLens); !s.Absent() {
		r.HasSeqLens = true
		if s.DType != tensor.Int32 && s.DType != tensor.Int64 {
			return r, InputErrorf(recSeqLens, "sequence_lens is %v, want int32 or int64", s.DType)
		}
		if !s.Shape.Equal(tensor.Shape{r.Batch}) {
			return r, InputErrorf(recSeqLens, "sequence_lens has shape %v, want [%d] (the batch size)", s.Shape, r.Batch)
		}
	}
	state := tensor.Shape{r.Directions, r.Batch, r.Size}
	if r.Layout == 1 {
		state = tensor.Shape{r.Batch, r.Directions, r.Size}
	}
	for _, i := range []int{recInitialH, recInitialC} {
		if i >= k.inputs {
			continue
		}
		if t := at(i); !t.Absent() {
			if !t.Shape.Equal(state) {
				return r, InputErrorf(i, "initial state has shape %v, want %v", t.Shape, state)
			}
			if i == recInitialH {
				r.HasInitialH = true
			} else {
				r.HasInitialC = true
			}
		}
	}
	if p := at(recP); op == "lstm" && !p.Absent() {
		r.HasP = true
		if !p.Shape.Equal(tensor.Shape{r.Directions, 3 * r.Size}) {
			return r, InputErrorf(recP, "p has shape %v, want [%d %d] (directions, 3·hidden)", p.Shape, r.Directions, 3*r.Size)
		}
	}
	if err := r.resolveActivations(k, a); err != nil {
		return r, err
	}
	if a.Has("clip") {
		c := a.Float("clip", 0)
		if !finite(c) || c <= 0 {
			return r, AttrErrorf("clip", "is %v, want a finite value > 0", c)
		}
		r.Clip = c
	}
	r.InputForget = a.Int("input_forget", 0) != 0
	r.LinearBeforeReset = a.Int("linear_before_reset", 0) != 0
	return r, nil
}

func (r *Recurrent) resolveActivations(k recurrentKind, a Attrs) error {
	per := len(k.activations)
	var names []string
	if s := a.String("activations", ""); s != "" {
		for _, n := range strings.Split(s, ",") {
			names = append(names, strings.ToLower(strings.TrimSpace(n)))
		}
	} else {
		for range r.Directions {
			names = append(names, k.activations...)
		}
	}
	if len(names) != per*r.Directions {
		return AttrErrorf("activations", "lists %d functions, want %d (%d per direction)", len(names), per*r.Directions, per)
	}
	alphas, betas := a.Floats("activation_alpha", nil), a.Floats("activation_beta", nil)
	for name, v := range map[string][]float64{"activation_alpha": alphas, "activation_beta": betas} {
		if v != nil && len(v) != len(names) {
			return AttrErrorf(name, "has %d values, want one per activation (%d)", len(v), len(names))
		}
		for _, x := range v {
			if !finite(x) {
				return AttrErrorf(name, "holds %v, want finite values", x)
			}
		}
	}
	r.Activations = make([]RecurrentActivation, len(names))
	for i, n := range names {
		p, ok := recurrentActivations[n]
		if !ok {
			return AttrErrorf("activations", "unknown function %q (want relu, tanh, sigmoid, affine, leakyrelu, "+
				"thresholdedrelu, scaledtanh, hardsigmoid, elu, softsign or softplus)", n)
		}
		act := RecurrentActivation{Name: n, Alpha: p.defAlpha, Beta: p.defBeta}
		if p.alpha && alphas != nil {
			act.Alpha = alphas[i]
		}
		if p.beta && betas != nil {
			act.Beta = betas[i]
		}
		r.Activations[i] = act
	}
	return nil
}
