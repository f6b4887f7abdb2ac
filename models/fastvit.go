package models

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// FastViTConfig describes a RepMixer FastViT in its inference
// (reparameterized) form. The zero value of every size knob gives FastViT-T8
// on 256×256 images.
type FastViTConfig struct {
	// Classes is the number of output logits; 0 means 1000.
	Classes int
	// Size is the input's height and width; 0 means 256. At least 32.
	Size int
	// Widths are the channel counts of the four stages; zero means
	// {48, 96, 192, 384}. Each must be a multiple of the one before (the
	// patch embedding's grouped conv needs it).
	Widths [4]int
	// Layers is the number of RepMixer blocks per stage; zero means {2, 2, 4, 2}.
	Layers [4]int
	// MLPRatio is the ConvFFN's hidden width over the stage width; 0 means 3.
	MLPRatio int
	// Seed selects the deterministic weights.
	Seed uint64
	// Batch fixes the batch dimension; 0 leaves it symbolic ("batch").
	Batch int
}

func (c FastViTConfig) withDefaults() FastViTConfig {
	if c.Classes == 0 {
		c.Classes = 1000
	}
	if c.Size == 0 {
		c.Size = 256
	}
	if c.Widths == [4]int{} {
		c.Widths = [4]int{48, 96, 192, 384}
	}
	if c.Layers == [4]int{} {
		c.Layers = [4]int{2, 2, 4, 2}
	}
	if c.MLPRatio == 0 {
		c.MLPRatio = 3
	}
	return c
}

// FastViT builds FastViT (T8 by default) as it runs after structural
// reparameterization, when every multi-branch training block has collapsed
// into single convs with bias:
//
//   - stem: three MobileOne blocks, each one conv + GELU: 3×3 stride 2
//     (3→w1), 3×3 depthwise stride 2, 1×1 (w1→w1); resolution Size/4.
//   - stages 2..4 start with a patch embedding: a 7×7 stride-2 conv grouped
//     by input channel (w(s-1) → w(s), the reparameterized large-kernel conv;
//     no activation, matching the reference checkpoints) and a 1×1 MobileOne
//     block (conv + GELU).
//   - each stage has RepMixer blocks. The token mixer, x + DW3×3(BN(x)) − BN(x)
//     at training time, is a single 3×3 depthwise conv after
//     reparameterization, the identity folded into the kernel centre; it has
//     no residual add of its own. Then the ConvFFN: 7×7 depthwise conv,
//     batch_norm (kept as a node: the reference does not fold it), 1×1 conv
//     to MLPRatio·w, GELU, 1×1 conv back to w, added to the block input. The
//     block's learned layer scale is folded into that last conv.
//   - head: a 3×3 conv grouped by input channel to 2·w4 (MobileOne block)
//     with squeeze-excite (global pool, 1×1 conv to 2·w4/16, ReLU, 1×1
//     conv, sigmoid, multiply) and GELU, global average pooling and a
//     linear classifier.
//
// Input "image" [batch, 3, Size, Size] float32; output "logits" [batch,
// Classes]. The output of stage s (1..4) is the value
// "stages.<s-1>.blocks.<last>.add:0" at resolution Size/2^(s+1).
func FastViT(cfg FastViTConfig) (*runtime.Artifact, error) {
	cfg = cfg.withDefaults()
	if cfg.Batch < 0 || cfg.Classes < 0 || cfg.Size < 32 || cfg.MLPRatio < 1 {
		return nil, fmt.Errorf("models: FastViT needs Batch >= 0, Classes >= 0, Size >= 32 and MLPRatio >= 1; got %+v", cfg)
	}
	for s := range 4 {
		if cfg.Layers[s] < 1 || cfg.Widths[s] < 1 || s > 0 && cfg.Widths[s]%cfg.Widths[s-1] != 0 {
			return nil, fmt.Errorf("models: FastViT stage %d: %d blocks of width %d; want >= 1 block and a width that is a multiple of the previous stage's",
				s+1, cfg.Layers[s], cfg.Widths[s])
		}
	}
	g := newGraph(fmt.Sprintf("fastvit-w%s-d%s-r%d-%d-%d", dotted(cfg.Widths), dotted(cfg.Layers),
		cfg.MLPRatio, cfg.Size, cfg.Classes), cfg.Seed)
	x := g.imageInput(cfg.Batch, cfg.Size)
	w := cfg.Widths[0]
	x = g.convAct("stem.0", x, convSpec{in: 3, out: w, kernel: 3, stride: 2, bias: true}, "gelu")
	x = g.convAct("stem.1", x, convSpec{in: w, out: w, kernel: 3, stride: 2, group: w, bias: true}, "gelu")
	x = g.convAct("stem.2", x, convSpec{in: w, out: w, kernel: 1, bias: true}, "gelu")
	for s, n := range cfg.Layers {
		name := fmt.Sprintf("stages.%d", s)
		if s > 0 {
			prev := cfg.Widths[s-1]
			w = cfg.Widths[s]
			// No activation before or after: a variance-keeping bound.
			x = g.conv(name+".downsample.proj.0", x,
				convSpec{in: prev, out: w, kernel: 7, stride: 2, group: prev, bias: true, scale: xavierScale(49)})
			x = g.convAct(name+".downsample.proj.1", x, convSpec{in: w, out: w, kernel: 1, bias: true}, "gelu")
		}
		for i := range n {
			x = g.repMixerBlock(fmt.Sprintf("%s.blocks.%d", name, i), x, w, cfg.MLPRatio*w)
		}
	}
	x = g.mobileOneSE("final_conv", x, w, 2*w)
	g.classifier(x, 2*w, cfg.Classes)
	g.b.SetMetadata("family", "fastvit")
	return g.build()
}

// dotted joins four sizes with dots, for model names without spaces.
func dotted(v [4]int) string { return fmt.Sprintf("%d.%d.%d.%d", v[0], v[1], v[2], v[3]) }

// convAct adds a conv called name.conv and its activation name.act.
func (g *graph) convAct(name string, x runtime.Value, c convSpec, act string) runtime.Value {
	return g.act(name+".act", act, g.conv(name+".conv", x, c))
}

// repMixerBlock adds one reparameterized RepMixer block of width c with a
// ConvFFN of the given hidden width.
func (g *graph) repMixerBlock(name string, x runtime.Value, c, hidden int) runtime.Value {
	// The token mixer's folded kernel: identity at the centre plus a small
	// learned depthwise filter. Drawing the whole kernel in ±0.2 and adding
	// 1 at the centre keeps each channel close to the identity, as a trained
	// RepMixer (whose branches start at zero through the layer scale) is.
	mixer := g.w.centredDepthwise(name+".token_mixer.reparam_conv.weight", c, 3, 0.2)
	bias := g.w.uniform(name+".token_mixer.reparam_conv.bias", 0.05, c)
	p := ops.Attrs{"pads": []int{1, 1, 1, 1}, "group": c}
	x = g.op(name+".token_mixer.reparam_conv", "conv", p, x, mixer, bias)

	y := g.conv(name+".mlp.conv.conv", x, convSpec{in: c, out: c, kernel: 7, group: c})
	y = g.batchNorm(name+".mlp.conv.bn", y, c, 1)
	y = g.convAct(name+".mlp.fc1", y, convSpec{in: c, out: hidden, kernel: 1, bias: true}, "gelu")
	// fc2 carries the folded layer scale: the branch adds a fraction of the
	// block input's magnitude, so the residual stream grows slowly with depth.
	y = g.conv(name+".mlp.fc2", y, convSpec{in: hidden, out: c, kernel: 1, bias: true,
		scale: layerScale * heScale(hidden)})
	return g.op(name+".add", "add", nil, x, y)
}

// layerScale is the FFN branch's (folded) layer scale in the FastViT blocks.
const layerScale = 0.25

// mobileOneSE adds FastViT's final MobileOne block: a 3×3 conv grouped by
// input channel from in to out channels, squeeze-excite with a 1/16
// reduction, then GELU.
func (g *graph) mobileOneSE(name string, x runtime.Value, in, out int) runtime.Value {
	x = g.conv(name+".conv", x, convSpec{in: in, out: out, kernel: 3, group: in, bias: true})
	rd := max(1, out/16)
	s := g.op(name+".se.pool", "global_avg_pool", nil, x)
	s = g.convAct(name+".se.reduce", s, convSpec{in: out, out: rd, kernel: 1, bias: true}, "relu")
	s = g.conv(name+".se.expand", s, convSpec{in: rd, out: out, kernel: 1, bias: true})
	s = g.op(name+".se.gate", "sigmoid", nil, s)
	x = g.op(name+".se.scale", "mul", nil, x, s)
	return g.act(name+".act", "gelu", x)
}
