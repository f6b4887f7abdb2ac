package models

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// TransformerConfig describes one post-norm transformer encoder layer. The
// zero value of every size knob gives a BERT-base layer on 128 tokens.
type TransformerConfig struct {
	// Hidden is the model width; 0 means 768.
	Hidden int
	// Heads is the number of attention heads, dividing Hidden; 0 means 12.
	Heads int
	// Seq is the sequence length; 0 means 128.
	Seq int
	// FFN is the feed-forward hidden width; 0 means 4·Hidden.
	FFN int
	// Seed selects the deterministic weights.
	Seed uint64
	// Batch fixes the batch dimension; 0 leaves it symbolic ("batch").
	Batch int
}

// TransformerLayer builds one BERT encoder layer over the hidden states
// "hidden" [batch, Seq, Hidden] float32, giving "output" of the same shape:
//
//	q, k, v = x·Wq + bq, x·Wk + bk, x·Wv + bv, each split into Heads heads
//	attn    = softmax(q·kᵀ / sqrt(Hidden/Heads)) · v, heads joined again
//	x       = layer_norm(x + attn·Wo + bo)
//	output  = layer_norm(x + gelu(x·W1 + b1)·W2 + b2)
//
// There is no attention mask input: every token attends to every token, as
// for a batch of unpadded sequences. The scaling is a mul node, not folded
// into Wq, so the graph shows the textbook formula. GELU is the exact erf
// form and layer-norm epsilon is BERT's 1e-12.
func TransformerLayer(cfg TransformerConfig) (*runtime.Artifact, error) {
	if cfg.Hidden == 0 {
		cfg.Hidden = 768
	}
	if cfg.Heads == 0 {
		cfg.Heads = 12
	}
	if cfg.Seq == 0 {
		cfg.Seq = 128
	}
	if cfg.FFN == 0 {
		cfg.FFN = 4 * cfg.Hidden
	}
	if cfg.Batch < 0 || cfg.Hidden < 1 || cfg.Heads < 1 || cfg.Seq < 1 || cfg.FFN < 1 || cfg.Hidden%cfg.Heads != 0 {
		return nil, fmt.Errorf("models: TransformerLayer needs Batch >= 0, positive sizes and Heads dividing Hidden; got %+v", cfg)
	}
	h, heads, head := cfg.Hidden, cfg.Heads, cfg.Hidden/cfg.Heads
	g := newGraph(fmt.Sprintf("transformer-%d-%dh-ffn%d-%d", h, heads, cfg.FFN, cfg.Seq), cfg.Seed)
	x := g.b.Input("hidden", tensor.Float32, batchDim(cfg.Batch), runtime.Static(cfg.Seq), runtime.Static(h))

	// Xavier bounds keep q, k and v at the input's variance, so the scaled
	// scores have variance near 1: attention is neither uniform nor one-hot.
	split := func(name string, v runtime.Value, perm []int) runtime.Value {
		v = g.op(name+".split", "reshape", ops.Attrs{"shape": []int{0, 0, heads, head}}, v)
		return g.op(name+".heads", "transpose", ops.Attrs{"perm": perm}, v)
	}
	const pre = "attention.self."
	q := split(pre+"query", g.linear(pre+"query", x, h, h, xavierScale(h)), []int{0, 2, 1, 3})
	// kᵀ per head directly: [batch, heads, head, seq].
	k := split(pre+"key", g.linear(pre+"key", x, h, h, xavierScale(h)), []int{0, 2, 3, 1})
	v := split(pre+"value", g.linear(pre+"value", x, h, h, xavierScale(h)), []int{0, 2, 1, 3})
	scale := g.b.Weight(pre+"inv_sqrt_head", tensor.Scalar(float32(1/math.Sqrt(float64(head)))))
	scores := g.op(pre+"scaled", "mul", nil, g.op(pre+"scores", "matmul", nil, q, k), scale)
	probs := g.op(pre+"softmax", "softmax", ops.Attrs{"axis": -1}, scores)
	ctx := g.op(pre+"context", "matmul", nil, probs, v)
	ctx = g.op(pre+"context.heads", "transpose", ops.Attrs{"perm": []int{0, 2, 1, 3}}, ctx)
	ctx = g.op(pre+"context.join", "reshape", ops.Attrs{"shape": []int{0, 0, h}}, ctx)
	attn := g.linear("attention.output.dense", ctx, h, h, xavierScale(h))
	x = g.layerNorm("attention.output.LayerNorm", g.op("attention.output.add", "add", nil, x, attn), h)

	y := g.op("intermediate.gelu", "gelu", nil, g.linear("intermediate.dense", x, h, cfg.FFN, heScale(h)))
	y = g.linear("output.dense", y, cfg.FFN, h, xavierScale(cfg.FFN))
	g.b.Output("output", g.layerNorm("output.LayerNorm", g.op("output.add", "add", nil, x, y), h))
	g.b.SetMetadata("family", "transformer")
	return g.build()
}

// layerNorm adds a layer_norm over the last axis (width c) with a learned
// scale near 1 and a small shift.
func (g *graph) layerNorm(name string, x runtime.Value, c int) runtime.Value {
	scale := g.w.between(name+".weight", 0.9, 1.1, c)
	bias := g.w.uniform(name+".bias", 0.05, c)
	return g.op(name, "layer_norm", ops.Attrs{"axis": -1, "epsilon": 1e-12}, x, scale, bias)
}
