package models

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestBERTLayerCost(t *testing.T) {
	a := fullModel(t, "bert_layer")
	const s, h, f = 128, 768, 3072
	// Q, K, V and output projections: 4·128·768² = 301,989,888; FFN
	// 2·128·768·3072 = 603,979,776; scores and weighted sum 2·128²·768 =
	// 25,165,824 (12 heads × 128×128 × 64 each). Total 931,135,488.
	macs := int64(s*(4*h*h+2*h*f) + 2*s*s*h)
	require.Equal(t, int64(931_135_488), macs)
	// Non-MAC work per sample, by the cost rules of FLOPs:
	//   bias adds 4·128·768 + 128·3072 + 128·768 = 884,736
	//   scaling 12·128² = 196,608; softmax 4 each: 786,432
	//   residual adds 2·128·768 = 196,608; layer norms 5·2·128·768 = 983,040
	//   GELU 4·128·3072 = 1,572,864
	other := int64(884_736 + 196_608 + 786_432 + 196_608 + 983_040 + 1_572_864)
	for _, batch := range []int{1, 4} {
		c := costAt(t, a, batch)
		require.Equal(t, int64(batch)*macs, c.MACs)
		require.Equal(t, int64(batch)*(2*macs+other), c.FLOPs)
	}
	// Weights: 4·(768² + 768) + (768·3072 + 3072) + (3072·768 + 768) +
	// 2·2·768 = 7,087,872 (BERT-base: 7.1M per layer), plus the 1/√64 scalar.
	require.Equal(t, int64(7_087_873), Parameters(a))
	require.InEpsilon(t, 7.1e6, float64(Parameters(a)), 0.01)
}

func TestBERTLayerShapes(t *testing.T) {
	a := fullModel(t, "bert_layer")
	require.Equal(t, "hidden", a.Inputs[0].Name)
	requireShapes(t, typesAt(t, a, 3), map[string]tensor.Shape{
		"hidden":                        {3, 128, 768},
		"attention.self.query.heads:0":  {3, 12, 128, 64},
		"attention.self.key.heads:0":    {3, 12, 64, 128}, // kᵀ
		"attention.self.softmax:0":      {3, 12, 128, 128},
		"attention.self.context.join:0": {3, 128, 768},
		"attention.output.LayerNorm:0":  {3, 128, 768},
		"intermediate.gelu:0":           {3, 128, 3072},
		"output":                        {3, 128, 768},
	})
}

// bertByHand evaluates a transformer layer built by TransformerLayer in
// float64 straight from its weights, written from the formulas in
// TransformerLayer's doc: an implementation independent of the graph's
// reshape/transpose plumbing. x is [batch][seq][hidden].
func bertByHand(a *runtime.Artifact, x [][][]float64, heads int) [][][]float64 {
	w := func(name string) []float64 { return a.Initializers[name].Float64s() }
	hidden := len(x[0][0])
	linear := func(v []float64, name string) []float64 {
		wt, b := w(name+".weight"), w(name+".bias")
		out := len(b)
		y := make([]float64, out)
		for j := range out {
			y[j] = b[j]
			for i := range v {
				y[j] += v[i] * wt[i*out+j]
			}
		}
		return y
	}
	layerNorm := func(v []float64, name string) []float64 {
		g, b := w(name+".weight"), w(name+".bias")
		var mean, vr float64
		for _, e := range v {
			mean += e
		}
		mean /= float64(len(v))
		for _, e := range v {
			vr += (e - mean) * (e - mean)
		}
		vr /= float64(len(v))
		y := make([]float64, len(v))
		for i, e := range v {
			y[i] = g[i]*(e-mean)/math.Sqrt(vr+1e-12) + b[i]
		}
		return y
	}
	d := hidden / heads
	out := make([][][]float64, len(x))
	for n, seq := range x {
		var q, k, v [][]float64
		for _, tok := range seq {
			q = append(q, linear(tok, "attention.self.query"))
			k = append(k, linear(tok, "attention.self.key"))
			v = append(v, linear(tok, "attention.self.value"))
		}
		for i, tok := range seq {
			ctx := make([]float64, hidden)
			for hd := range heads {
				lo := hd * d
				scores := make([]float64, len(seq))
				top := math.Inf(-1)
				for j := range seq {
					for e := lo; e < lo+d; e++ {
						scores[j] += q[i][e] * k[j][e]
					}
					scores[j] /= math.Sqrt(float64(d))
					top = max(top, scores[j])
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - top)
					sum += scores[j]
				}
				for j := range seq {
					for e := lo; e < lo+d; e++ {
						ctx[e] += scores[j] / sum * v[j][e]
					}
				}
			}
			attn := linear(ctx, "attention.output.dense")
			for e := range attn {
				attn[e] += tok[e]
			}
			x1 := layerNorm(attn, "attention.output.LayerNorm")
			f := linear(x1, "intermediate.dense")
			for e := range f {
				f[e] = 0.5 * f[e] * (1 + math.Erf(f[e]/math.Sqrt2))
			}
			y := linear(f, "output.dense")
			for e := range y {
				y[e] += x1[e]
			}
			out[n] = append(out[n], layerNorm(y, "output.LayerNorm"))
		}
	}
	return out
}

func TestTransformerLayerMatchesHandEvaluation(t *testing.T) {
	const batch, seq, hidden, heads = 2, 5, 12, 3
	a, err := TransformerLayer(TransformerConfig{Hidden: hidden, Heads: heads, Seq: seq, FFN: 20, Seed: 9})
	require.NoError(t, err)
	in, err := Inputs(a, batch, 4)
	require.NoError(t, err)
	xs := in[0].Float64s()
	x := make([][][]float64, batch)
	for n := range batch {
		for s := range seq {
			off := (n*seq + s) * hidden
			x[n] = append(x[n], xs[off:off+hidden])
		}
	}
	want := bertByHand(a, x, heads)
	var flat []float64
	for _, seq := range want {
		for _, tok := range seq {
			flat = append(flat, tok...)
		}
	}
	wt, err := tensor.FromFloat64s(tensor.Float32, tensor.Shape{batch, seq, hidden}, flat)
	require.NoError(t, err)
	got := runRef(t, a, in...)
	cmp := tensor.Compare(got[0], wt, tensor.Tolerance{RTol: 1e-4, ATol: 1e-4})
	require.True(t, cmp.Equal, "%v", cmp)
}

func TestTransformerLayerIsPermutationEquivariant(t *testing.T) {
	// Without a mask or position embeddings, attention treats the tokens as
	// a set: reordering the input tokens reorders the output the same way.
	const seq, hidden = 6, 16
	a, err := TransformerLayer(TransformerConfig{Hidden: hidden, Heads: 2, Seq: seq, FFN: 32, Seed: 2})
	require.NoError(t, err)
	in, err := Inputs(a, 1, 8)
	require.NoError(t, err)
	perm := []int{3, 0, 5, 1, 4, 2}
	permute := func(x *tensor.Tensor) *tensor.Tensor {
		v := tensor.MustView[float32](x)
		out := make([]float32, len(v))
		for i, p := range perm {
			copy(out[i*hidden:(i+1)*hidden], v[p*hidden:(p+1)*hidden])
		}
		return tensor.MustFromSlice(out, 1, seq, hidden)
	}
	plain := runRef(t, a, in[0])
	shuffled := runRef(t, a, permute(in[0]))
	cmp := tensor.Compare(shuffled[0], permute(plain[0]), tensor.Tolerance{RTol: 1e-5, ATol: 1e-5})
	require.True(t, cmp.Equal, "%v", cmp)
}
