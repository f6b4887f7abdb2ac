package reference

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Identities the recurrent kernels must satisfy on random weights: a
// bidirectional node is a forward and a reverse node side by side, reverse
// is forward over the time-reversed input, layout 1 is layout 0 transposed,
// and a sequence length is the same as a shorter input.

const recT, recB, recI, recH = 4, 3, 3, 2 // steps, batch, input, hidden

var recGates = map[string]int{"lstm": 4, "gru": 3, "rnn": 1}

func recRand(r *rand.Rand, shape ...int) *tensor.Tensor {
	vals := make([]float64, tensor.Shape(shape).NumElements())
	for i := range vals {
		vals[i] = 2*r.Float64() - 1
	}
	t, err := tensor.FromFloat64s(tensor.Float64, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

// recPermute returns t transposed by perm (out axis i is t's axis perm[i]).
func recPermute(t *tensor.Tensor, perm ...int) *tensor.Tensor {
	s := t.Shape()
	out := make(tensor.Shape, len(perm))
	for i, p := range perm {
		out[i] = s[p]
	}
	src, st := t.Float64s(), s.Strides()
	dst := make([]float64, len(src))
	idx := make([]int, len(perm))
	for k := range dst {
		off := 0
		for i, p := range perm {
			off += idx[i] * st[p]
		}
		dst[k] = src[off]
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < out[i] {
				break
			}
			idx[i] = 0
		}
	}
	r, err := tensor.FromFloat64s(t.DType(), out, dst)
	if err != nil {
		panic(err)
	}
	return r
}

// recSlice returns rows [lo, hi) of axis 0 (and reverses them when rev).
func recSlice(t *tensor.Tensor, lo, hi int, rev bool) *tensor.Tensor {
	s := t.Shape()
	row := s.NumElements() / max(s[0], 1)
	src := t.Float64s()
	var dst []float64
	for k := range hi - lo {
		i := lo + k
		if rev {
			i = hi - 1 - k
		}
		dst = append(dst, src[i*row:(i+1)*row]...)
	}
	out := append(tensor.Shape{hi - lo}, s[1:]...)
	r, err := tensor.FromFloat64s(t.DType(), out, dst)
	if err != nil {
		panic(err)
	}
	return r
}

// recWeights returns x, w, r, b, initial_h, initial_c and p for one op with dirs directions.
func recWeights(rng *rand.Rand, op string, dirs int) []*tensor.Tensor {
	g := recGates[op]
	in := []*tensor.Tensor{recRand(rng, recT, recB, recI), recRand(rng, dirs, g*recH, recI), recRand(rng, dirs, g*recH, recH),
		recRand(rng, dirs, 2*g*recH), nil, recRand(rng, dirs, recB, recH)}
	if op == "lstm" {
		in = append(in, recRand(rng, dirs, recB, recH), recRand(rng, dirs, 3*recH))
	}
	return in
}

// recDir returns the inputs of direction d of a bidirectional node's inputs.
func recDir(in []*tensor.Tensor, d int) []*tensor.Tensor {
	out := []*tensor.Tensor{in[0]}
	for _, t := range in[1:] {
		if t == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, recSlice(t, d, d+1, false))
	}
	return out
}

func recEval(t *testing.T, op string, a ops.Attrs, in []*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := Eval(op, a, in...)
	require.NoError(t, err)
	return out
}

func recSame(t *testing.T, got, want *tensor.Tensor, what string) {
	t.Helper()
	c := tensor.Compare(got, want, tensor.Tolerance{RTol: 1e-12, ATol: 1e-12})
	require.True(t, c.Equal, "%s: %v", what, c)
}

func TestRecurrentIdentities(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for op := range recGates {
		t.Run(op, func(t *testing.T) {
			in := recWeights(rng, op, 2)
			bi := recEval(t, op, ops.Attrs{"direction": "bidirectional", "clip": 0.7}, in)
			fwd := recEval(t, op, ops.Attrs{"clip": 0.7}, recDir(in, 0))
			rev := recEval(t, op, ops.Attrs{"direction": "reverse", "clip": 0.7}, recDir(in, 1))
			// bidirectional = forward and reverse side by side (Y's axis 1, the states' axis 0).
			recSame(t, recPermute(bi[0], 1, 0, 2, 3), tensorConcat0(recPermute(fwd[0], 1, 0, 2, 3), recPermute(rev[0], 1, 0, 2, 3)), "y")
			for k := 1; k < len(bi); k++ {
				recSame(t, bi[k], tensorConcat0(fwd[k], rev[k]), "final state")
			}
			// reverse = forward over the time-reversed input, its y reversed in time.
			one := recDir(in, 1)
			flipped := append([]*tensor.Tensor{recSlice(in[0], 0, recT, true)}, one[1:]...)
			fr := recEval(t, op, ops.Attrs{"clip": 0.7}, flipped)
			recSame(t, rev[0], recSlice(fr[0], 0, recT, true), "reverse y")
			recSame(t, rev[1], fr[1], "reverse y_h")
			// layout 1 = layout 0 with batch first.
			batchFirst := []*tensor.Tensor{recPermute(in[0], 1, 0, 2), in[1], in[2], in[3], nil, recPermute(in[5], 1, 0, 2)}
			if op == "lstm" {
				batchFirst = append(batchFirst, recPermute(in[6], 1, 0, 2), in[7])
			}
			l1 := recEval(t, op, ops.Attrs{"direction": "bidirectional", "clip": 0.7, "layout": 1}, batchFirst)
			recSame(t, l1[0], recPermute(bi[0], 2, 0, 1, 3), "layout 1 y")
			for k := 1; k < len(bi); k++ {
				recSame(t, l1[k], recPermute(bi[k], 1, 0, 2), "layout 1 state")
			}
		})
	}
}

// tensorConcat0 concatenates float64 tensors along axis 0.
func tensorConcat0(ts ...*tensor.Tensor) *tensor.Tensor {
	var vals []float64
	shape := ts[0].Shape().Clone()
	shape[0] = 0
	for _, t := range ts {
		vals = append(vals, t.Float64s()...)
		shape[0] += t.Shape()[0]
	}
	r, err := tensor.FromFloat64s(tensor.Float64, shape, vals)
	if err != nil {
		panic(err)
	}
	return r
}

// TestRecurrentSequenceLens: an entry of length L gives what its first L
// steps alone give, zeros after them, and full lengths equal no lengths.
func TestRecurrentSequenceLens(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	for op := range recGates {
		for _, dir := range []string{"forward", "reverse"} {
			t.Run(op+"/"+dir, func(t *testing.T) {
				in := recWeights(rng, op, 1)
				a := ops.Attrs{"direction": dir}
				full := recEval(t, op, a, in)
				withLens := append([]*tensor.Tensor(nil), in...)
				lens, err := tensor.FromSlice([]int32{recT, recT, recT}, recB)
				require.NoError(t, err)
				withLens[4] = lens
				same := recEval(t, op, a, withLens)
				for k := range full {
					recSame(t, same[k], full[k], "full lengths")
				}
				lens, err = tensor.FromSlice([]int32{2, recT, 1}, recB)
				require.NoError(t, err)
				withLens[4] = lens
				got := recEval(t, op, a, withLens)
				// entry 0 alone over its first 2 steps: batch 1, seq 2.
				alone := []*tensor.Tensor{recPermute(recSlice(recPermute(recSlice(in[0], 0, 2, false), 1, 0, 2), 0, 1, false), 1, 0, 2),
					in[1], in[2], in[3], nil, recPermute(recSlice(recPermute(in[5], 1, 0, 2), 0, 1, false), 1, 0, 2)}
				if op == "lstm" {
					alone = append(alone, recPermute(recSlice(recPermute(in[6], 1, 0, 2), 0, 1, false), 1, 0, 2), in[7])
				}
				want := recEval(t, op, a, alone)
				gy := got[0].Float64s() // [T, 1, B, H]
				wy := want[0].Float64s()
				for step := range recT {
					for j := range recH {
						v := gy[(step*recB+0)*recH+j]
						if step < 2 {
							require.InDelta(t, wy[step*recH+j], v, 1e-12, "step %d", step)
						} else {
							require.Zero(t, v, "step %d past the length", step)
						}
					}
				}
				for k := 1; k < len(got); k++ {
					require.InDeltaSlice(t, want[k].Float64s(), got[k].Float64s()[:recH], 1e-12)
				}
			})
		}
	}
}

func TestRecurrentBadSequenceLens(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 3))
	in := recWeights(rng, "gru", 1)
	for _, lens := range [][]int32{{1, recT + 1, 0}, {1, -1, 2}} {
		l, err := tensor.FromSlice(lens, recB)
		require.NoError(t, err)
		in[4] = l
		_, err = Eval("gru", nil, in...)
		require.ErrorContains(t, err, "sequence_lens[1]")
	}
}

// FuzzRecurrent builds lstm, gru and rnn calls from small sizes that are
// mostly consistent (so inference passes and the kernel runs) with an
// occasional wrong dimension, dtype or attribute, and checks that Eval
// returns values or an error, never panics.
func FuzzRecurrent(f *testing.F) {
	f.Add([]byte{0, 2, 1, 1, 1, 0, 0, 0xff, 0})
	f.Add([]byte{1, 3, 2, 0, 2, 1, 1, 0x0f, 3})
	f.Add([]byte{2, 0, 1, 2, 1, 1, 0, 0x33, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		op := []string{"lstm", "gru", "rnn"}[int(r.byte())%3]
		g := recGates[op]
		seq, batch, input, hidden := int(r.byte()%4), int(r.byte()%4), int(r.byte()%4), int(r.byte()%4)
		dirs := 1 + int(r.byte()%2)
		layout := int(r.byte() % 2)
		present := r.byte()
		skew := int(r.byte() % 16) // which dimension, if any, is off by one
		dim := func(k, v int) int {
			if skew == k {
				return v + 1
			}
			return v
		}
		rng := rand.New(rand.NewPCG(uint64(len(data)), 7))
		x := recRand(rng, dim(0, seq), dim(1, batch), input)
		if layout == 1 {
			x = recRand(rng, dim(1, batch), dim(0, seq), input)
		}
		state := []int{dirs, batch, hidden}
		if layout == 1 {
			state = []int{batch, dirs, hidden}
		}
		in := []*tensor.Tensor{x, recRand(rng, dim(2, dirs), dim(3, g*hidden), input), recRand(rng, dirs, g*hidden, dim(4, hidden))}
		opt := []func() *tensor.Tensor{
			func() *tensor.Tensor { return recRand(rng, dirs, dim(5, 2*g*hidden)) },
			func() *tensor.Tensor {
				lens := make([]int32, dim(6, batch))
				for i := range lens {
					lens[i] = int32(int(r.byte())%(seq+2)) - int32(boolToInt(skew == 7))
				}
				t, _ := tensor.FromSlice(lens, len(lens))
				return t
			},
			func() *tensor.Tensor { return recRand(rng, state...) },
			func() *tensor.Tensor { return recRand(rng, state[0], state[1], dim(8, hidden)) },
			func() *tensor.Tensor { return recRand(rng, dirs, dim(9, 3*hidden)) },
		}
		if op != "lstm" {
			opt = opt[:3]
		}
		for i, mk := range opt {
			if present&(1<<i) != 0 {
				in = append(in, mk())
			} else {
				in = append(in, nil)
			}
		}
		attrs := ops.Attrs{"layout": layout}
		if dirs == 2 {
			attrs["direction"] = "bidirectional"
		} else if r.byte()%2 == 1 {
			attrs["direction"] = "reverse"
		}
		switch skew {
		case 10:
			attrs["clip"] = float64(r.byte()) / 64
		case 11:
			attrs["activations"] = []string{"relu", "bogus", "Elu,elu,elu,elu,elu,elu"}[int(r.byte())%3]
		case 12:
			attrs["activation_alpha"] = []float64{1, 2}
		case 13:
			attrs["hidden_size"] = int(r.byte())
		}
		out, err := Eval(op, attrs, in...)
		if err == nil {
			require.NotEmpty(t, out)
		}
	})
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
