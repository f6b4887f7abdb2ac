package onnx_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// recCase is one recurrent layer configuration, computed by recReference
// (the ONNX equations in plain float64 loops) and compared with ref, gomlx
// and ONNX Runtime when available.
type recCase struct {
	op                    string // RNN, GRU, LSTM
	dir                   string
	layout                int
	lens                  []int32 // nil: full sequences; never 0 (ONNX leaves Y_h of an empty sequence open: ORT gives 0)
	lbr, inputForget      bool
	clip                  float64
	peep, bias, initState bool
	act0                  string // first activation (f); "" for the default
}

func (rc recCase) gates() int { return map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[rc.op] }
func (rc recCase) dirs() int {
	if rc.dir == "bidirectional" {
		return 2
	}
	return 1
}

const recSeq, recBatch, recIn, recHidden = 4, 3, 2, 3

func TestRecurrentVariants(t *testing.T) {
	cases := []recCase{
		{op: "RNN", dir: "reverse", bias: true},
		{op: "RNN", dir: "bidirectional", initState: true, act0: "Relu"},
		{op: "RNN", dir: "forward", lens: []int32{4, 2, 1}, bias: true, initState: true},
		{op: "GRU", dir: "forward", lbr: true, bias: true, initState: true},
		{op: "GRU", dir: "bidirectional", bias: true, layout: 1},
		{op: "GRU", dir: "forward", lens: []int32{1, 4, 3}, bias: true},
		{op: "LSTM", dir: "reverse", peep: true, bias: true, initState: true},
		{op: "LSTM", dir: "bidirectional", peep: true, inputForget: true, layout: 1, initState: true},
		{op: "LSTM", dir: "forward", clip: 0.5, bias: true, lens: []int32{3, 4, 1}},
		{op: "LSTM", dir: "forward", act0: "HardSigmoid", bias: true},
	}
	for i, rc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", rc.op, rc.dir, i), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 9))
			data, inputs, want := recModel(t, r, rc)
			art, err := onnx.Import(data, onnx.Options{Name: t.Name()})
			require.NoError(t, err)
			for _, b := range []string{"ref", "gomlx"} {
				rt, err := runtime.New(runtime.WithBackends(b))
				require.NoError(t, err)
				m, err := rt.Load(context.Background(), art)
				require.NoError(t, err)
				got, err := m.Run(context.Background(), inputs...)
				require.NoError(t, err)
				for k := range want {
					cmp := tensor.Compare(got[k], want[k], dynTol)
					require.True(t, cmp.Equal, "%s output %d vs plain-Go reference: %v", b, k, cmp)
				}
				rt.Close()
			}
			// ONNX Runtime's CPU kernels refuse layout 1 (batchwise).
			if ortpeer.Available() == nil && rc.layout == 0 {
				s, err := ortpeer.Load(data, ortpeer.Options{IntraOpThreads: 1})
				require.NoError(t, err)
				defer s.Close()
				got, err := s.Run(inputs)
				require.NoError(t, err)
				for k := range want {
					cmp := tensor.Compare(got[k], want[k], dynTol)
					require.True(t, cmp.Equal, "ONNX Runtime output %d vs plain-Go reference: %v", k, cmp)
				}
			}
		})
	}
}

// recModel builds the ONNX model (weights as initializers, X and, when set,
// sequence_lens as inputs) and computes the expected outputs by hand.
func recModel(t *testing.T, r *rand.Rand, rc recCase) ([]byte, []*tensor.Tensor, []*tensor.Tensor) {
	D, G, H := rc.dirs(), rc.gates(), recHidden
	x := dynRand(r, recSeq*recBatch*recIn, 1)
	w := dynRand(r, D*G*H*recIn, 0.7)
	rw := dynRand(r, D*G*H*H, 0.7)
	var bias, h0, c0, peep []float32
	inits := []onnxpb.Tensor{
		dynInit(t, "W", tensor.MustFromSlice(w, D, G*H, recIn)),
		dynInit(t, "R", tensor.MustFromSlice(rw, D, G*H, H)),
	}
	names := []string{"X", "W", "R", "", "", "", "", ""}
	stateShape := []int{D, recBatch, H}
	if rc.layout == 1 {
		stateShape = []int{recBatch, D, H}
	}
	if rc.bias {
		bias = dynRand(r, D*2*G*H, 0.5)
		inits = append(inits, dynInit(t, "B", tensor.MustFromSlice(bias, D, 2*G*H)))
		names[3] = "B"
	}
	if rc.initState {
		h0 = dynRand(r, D*recBatch*H, 0.5)
		inits = append(inits, dynInit(t, "h0", tensor.MustFromSlice(h0, stateShape...)))
		names[5] = "h0"
		if rc.op == "LSTM" {
			c0 = dynRand(r, D*recBatch*H, 0.5)
			inits = append(inits, dynInit(t, "c0", tensor.MustFromSlice(c0, stateShape...)))
			names[6] = "c0"
		}
	}
	if rc.peep {
		peep = dynRand(r, D*3*H, 0.5)
		inits = append(inits, dynInit(t, "P", tensor.MustFromSlice(peep, D, 3*H)))
		names[7] = "P"
	}
	xShape := []int{recSeq, recBatch, recIn}
	if rc.layout == 1 {
		xShape = []int{recBatch, recSeq, recIn}
	}
	graphIn := []onnxpb.ValueInfo{dynIn("X", onnxpb.Float, xShape[0], xShape[1], xShape[2])}
	xT := tensor.MustFromSlice(toLayout(x, rc.layout), xShape...)
	feed := []*tensor.Tensor{xT}
	if rc.lens != nil {
		names[4] = "lens"
		graphIn = append(graphIn, dynIn("lens", onnxpb.Int32, recBatch))
		feed = append(feed, tensor.MustFromSlice(rc.lens, recBatch))
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	attrs := []onnxpb.Attribute{
		{Name: "hidden_size", Type: onnxpb.AttrInt, I: int64(H)},
		{Name: "direction", Type: onnxpb.AttrString, S: []byte(rc.dir)},
		{Name: "layout", Type: onnxpb.AttrInt, I: int64(rc.layout)},
	}
	if rc.lbr {
		attrs = append(attrs, onnxpb.Attribute{Name: "linear_before_reset", Type: onnxpb.AttrInt, I: 1})
	}
	if rc.inputForget {
		attrs = append(attrs, onnxpb.Attribute{Name: "input_forget", Type: onnxpb.AttrInt, I: 1})
	}
	if rc.clip > 0 {
		attrs = append(attrs, onnxpb.Attribute{Name: "clip", Type: onnxpb.AttrFloat, F: float32(rc.clip)})
	}
	acts := recActs(rc)
	if rc.act0 != "" {
		var s [][]byte
		for range D {
			for _, a := range acts {
				s = append(s, []byte(a))
			}
		}
		attrs = append(attrs, onnxpb.Attribute{Name: "activations", Type: onnxpb.AttrStrings, Strings: s})
	}
	outs := []string{"Y", "Y_h"}
	if rc.op == "LSTM" {
		outs = append(outs, "Y_c")
	}
	n := onnxpb.Node{Name: "rec", OpType: rc.op, Inputs: names, Outputs: outs, Attributes: attrs}
	var gOut []onnxpb.ValueInfo
	for _, o := range outs {
		gOut = append(gOut, onnxpb.ValueInfo{Name: o})
	}
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 14}},
		Graph: &onnxpb.Graph{Name: "rec", Nodes: []onnxpb.Node{n}, Inputs: graphIn, Outputs: gOut, Initializers: inits}}
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)

	y, yh, yc := recReference(rc, x, w, rw, bias, fromLayoutState(h0, rc.layout), fromLayoutState(c0, rc.layout), peep)
	yShape := []int{recSeq, D, recBatch, H}
	if rc.layout == 1 { // [batch, seq, dirs, hidden]
		y = permute(y, []int{recSeq, D, recBatch, H}, []int{2, 0, 1, 3})
		yShape = []int{recBatch, recSeq, D, H}
		yh = permute(yh, []int{D, recBatch, H}, []int{1, 0, 2})
		if yc != nil {
			yc = permute(yc, []int{D, recBatch, H}, []int{1, 0, 2})
		}
	}
	want := []*tensor.Tensor{tensor.MustFromSlice(y, yShape...), tensor.MustFromSlice(yh, stateShape...)}
	if rc.op == "LSTM" {
		want = append(want, tensor.MustFromSlice(yc, stateShape...))
	}
	return data, feed, want
}

func recActs(rc recCase) []string {
	acts := map[string][]string{"RNN": {"Tanh"}, "GRU": {"Sigmoid", "Tanh"}, "LSTM": {"Sigmoid", "Tanh", "Tanh"}}[rc.op]
	if rc.act0 != "" {
		acts = append([]string{rc.act0}, acts[1:]...)
	}
	return acts
}

func recApply(name string, v, clip float64) float64 {
	if clip > 0 {
		v = math.Max(-clip, math.Min(clip, v))
	}
	switch name {
	case "Sigmoid":
		return 1 / (1 + math.Exp(-v))
	case "Tanh":
		return math.Tanh(v)
	case "Relu":
		return math.Max(0, v)
	case "HardSigmoid":
		return math.Max(0, math.Min(1, 0.2*v+0.5))
	}
	panic(name)
}

// recReference computes Y [seq, dirs, batch, hidden], Y_h and Y_c [dirs,
// batch, hidden] with float64 loops; x is [seq, batch, input] and the states
// [dirs, batch, hidden] (layout 0).
func recReference(rc recCase, x, w, rw, bias, h0, c0, peep []float32) (y, yh, yc []float32) {
	D, G, H, B, I, S := rc.dirs(), rc.gates(), recHidden, recBatch, recIn, recSeq
	acts := recActs(rc)
	f := func(name string, v float64) float64 { return recApply(name, v, rc.clip) }
	y = make([]float32, S*D*B*H)
	yh = make([]float32, D*B*H)
	yc = make([]float32, D*B*H)
	for d := range D {
		reverse := rc.dir == "reverse" || d == 1
		for b := range B {
			h := make([]float64, H)
			c := make([]float64, H)
			for j := range H {
				if h0 != nil {
					h[j] = float64(h0[(d*B+b)*H+j])
				}
				if c0 != nil {
					c[j] = float64(c0[(d*B+b)*H+j])
				}
			}
			length := S
			if rc.lens != nil {
				length = int(rc.lens[b])
			}
			for s := range length {
				t := s
				if reverse {
					t = length - 1 - s
				}
				// xw[g·H+j] = Σ x·W + Wb; hr[g·H+j] = Σ h·R + Rb.
				xw := make([]float64, G*H)
				hr := make([]float64, G*H)
				for k := range G * H {
					for i := range I {
						xw[k] += float64(x[(t*B+b)*I+i]) * float64(w[(d*G*H+k)*I+i])
					}
					for i := range H {
						hr[k] += h[i] * float64(rw[(d*G*H+k)*H+i])
					}
					if bias != nil {
						xw[k] += float64(bias[d*2*G*H+k])
						hr[k] += float64(bias[d*2*G*H+G*H+k])
					}
				}
				nh := make([]float64, H)
				switch rc.op {
				case "RNN":
					for j := range H {
						nh[j] = f(acts[0], xw[j]+hr[j])
					}
				case "GRU":
					r := make([]float64, H)
					z := make([]float64, H)
					for j := range H {
						z[j] = f(acts[0], xw[j]+hr[j])
						r[j] = f(acts[0], xw[H+j]+hr[H+j])
					}
					for j := range H {
						var hh float64
						if rc.lbr {
							hh = r[j] * hr[2*H+j]
						} else {
							for i := range H {
								hh += r[i] * h[i] * float64(rw[(d*G*H+2*H+j)*H+i])
							}
							if bias != nil {
								hh += float64(bias[d*2*G*H+G*H+2*H+j])
							}
						}
						cand := f(acts[1], xw[2*H+j]+hh)
						nh[j] = (1-z[j])*cand + z[j]*h[j]
					}
				case "LSTM":
					nc := make([]float64, H)
					for j := range H {
						p := func(k int) float64 {
							if peep == nil {
								return 0
							}
							return float64(peep[d*3*H+k*H+j])
						}
						ig := f(acts[0], xw[j]+hr[j]+p(0)*c[j])
						fg := f(acts[0], xw[2*H+j]+hr[2*H+j]+p(2)*c[j])
						if rc.inputForget {
							fg = 1 - ig
						}
						cand := f(acts[1], xw[3*H+j]+hr[3*H+j])
						nc[j] = fg*c[j] + ig*cand
						og := f(acts[0], xw[H+j]+hr[H+j]+p(1)*nc[j])
						nh[j] = og * f(acts[2], nc[j])
					}
					c = nc
				}
				h = nh
				for j := range H {
					y[((t*D+d)*B+b)*H+j] = float32(h[j])
				}
			}
			for j := range H {
				yh[(d*B+b)*H+j] = float32(h[j])
				yc[(d*B+b)*H+j] = float32(c[j])
			}
		}
	}
	if rc.op != "LSTM" {
		yc = nil
	}
	return y, yh, yc
}

// toLayout turns x [seq, batch, input] into the model's layout.
func toLayout(x []float32, layout int) []float32 {
	if layout == 0 {
		return x
	}
	return permute(x, []int{recSeq, recBatch, recIn}, []int{1, 0, 2})
}

// fromLayoutState turns a state of the model's layout into [dirs, batch, hidden].
func fromLayoutState(s []float32, layout int) []float32 {
	if s == nil || layout == 0 {
		return s
	}
	dirs := len(s) / (recBatch * recHidden)
	return permute(s, []int{recBatch, dirs, recHidden}, []int{1, 0, 2})
}

// permute transposes a row-major tensor of shape dims by perm.
func permute(v []float32, dims, perm []int) []float32 {
	out := make([]float32, len(v))
	outDims := make([]int, len(dims))
	for i, p := range perm {
		outDims[i] = dims[p]
	}
	idx := make([]int, len(dims))
	for flat := range v {
		rem := flat
		for k := len(dims) - 1; k >= 0; k-- {
			idx[k] = rem % dims[k]
			rem /= dims[k]
		}
		o := 0
		for k, p := range perm {
			o = o*outDims[k] + idx[p]
		}
		out[o] = v[flat]
	}
	return out
}
