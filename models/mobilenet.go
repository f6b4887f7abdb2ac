package models

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/runtime"
)

// MobileNetV2Config describes a MobileNetV2. The zero value of every size knob
// gives the standard width-1.0 network on 224×224 images.
type MobileNetV2Config struct {
	// Classes is the number of output logits; 0 means 1000.
	Classes int
	// Size is the input's height and width; 0 means 224. At least 32.
	Size int
	// Width is the width multiplier applied to every layer's channels
	// (rounded to multiples of 8, as the reference implementation does); 0
	// means 1.0.
	Width float64
	// Seed selects the deterministic weights.
	Seed uint64
	// Batch fixes the batch dimension; 0 leaves it symbolic ("batch").
	Batch int
}

// mobileNetV2Blocks is the inverted-residual table of the MobileNetV2 paper:
// expansion t, output channels c, repeats n, first stride s.
var mobileNetV2Blocks = [][4]int{
	{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
}

// MobileNetV2 builds a MobileNetV2: a 3×3 stride-2 conv to 32 channels, the
// 17 inverted-residual blocks of mobileNetV2Blocks (1×1 expansion, 3×3
// depthwise, linear 1×1 projection, each conv with batch norm and ReLU6 but
// the projection, and a residual add when stride is 1 and channels match), a
// 1×1 conv to 1280 channels, global average pooling and a linear classifier.
//
// Input "image" [batch, 3, Size, Size] float32; output "logits" [batch,
// Classes]. Batch norms stay batch_norm nodes. Layers are numbered as
// torchvision's "features.<i>" (0: stem, 1-17: blocks, 18: the 1×1 conv to
// 1280), with .expand, .dw, .project, .add inside a block; the last
// feature map ([batch, 1280, Size/32, Size/32]) is "features.18.relu:0".
func MobileNetV2(cfg MobileNetV2Config) (*runtime.Artifact, error) {
	if cfg.Classes == 0 {
		cfg.Classes = 1000
	}
	if cfg.Size == 0 {
		cfg.Size = 224
	}
	if cfg.Width == 0 {
		cfg.Width = 1
	}
	if cfg.Batch < 0 || cfg.Classes < 0 || cfg.Size < 32 || !(cfg.Width > 0 && cfg.Width <= 4) {
		return nil, fmt.Errorf("models: MobileNetV2 needs Batch >= 0, Classes >= 0, Size >= 32 and 0 < Width <= 4; got %+v", cfg)
	}
	g := newGraph(fmt.Sprintf("mobilenetv2-%g-%d-%d", cfg.Width, cfg.Size, cfg.Classes), cfg.Seed)
	x := g.imageInput(cfg.Batch, cfg.Size)
	in := makeDivisible(32 * cfg.Width)
	x = g.convBNAct("features.0", x, convSpec{in: 3, out: in, kernel: 3, stride: 2}, "relu6")
	layer := 1
	for _, blk := range mobileNetV2Blocks {
		t, c, n, s := blk[0], makeDivisible(float64(blk[1])*cfg.Width), blk[2], blk[3]
		for i := range n {
			stride := 1
			if i == 0 {
				stride = s
			}
			x = g.invertedResidual(fmt.Sprintf("features.%d", layer), x, in, c, t, stride)
			in = c
			layer++
		}
	}
	last := makeDivisible(1280 * max(1, cfg.Width))
	x = g.convBNAct(fmt.Sprintf("features.%d", layer), x, convSpec{in: in, out: last, kernel: 1}, "relu6")
	g.classifier(x, last, cfg.Classes)
	g.b.SetMetadata("family", "mobilenet")
	return g.build()
}

// convBNAct adds name.conv, name.bn and the activation name.relu (none if
// act is "").
func (g *graph) convBNAct(name string, x runtime.Value, c convSpec, act string) runtime.Value {
	return g.act(name+".relu", act, g.convBN(name, x, c, 1))
}

// convBN adds name.conv and name.bn with batch-norm scale around gamma.
func (g *graph) convBN(name string, x runtime.Value, c convSpec, gamma float64) runtime.Value {
	return g.batchNorm(name+".bn", g.conv(name+".conv", x, c), c.out, gamma)
}

// invertedResidual adds one MobileNetV2 block from in to out channels with
// expansion t: x + project(depthwise(expand(x))) when the shape allows a
// residual, the branch alone otherwise.
func (g *graph) invertedResidual(name string, x runtime.Value, in, out, t, stride int) runtime.Value {
	hidden := in * t
	y := x
	if t != 1 {
		y = g.convBNAct(name+".expand", y, convSpec{in: in, out: hidden, kernel: 1}, "relu6")
	}
	y = g.convBNAct(name+".dw", y, convSpec{in: hidden, out: hidden, kernel: 3, stride: stride, group: hidden}, "relu6")
	if stride != 1 || in != out {
		return g.convBN(name+".project", y, convSpec{in: hidden, out: out, kernel: 1}, 1)
	}
	// The small gamma keeps a chain of residual adds from growing with depth.
	y = g.convBN(name+".project", y, convSpec{in: hidden, out: out, kernel: 1}, resBranchGamma)
	return g.op(name+".add", "add", nil, x, y)
}

// makeDivisible rounds a channel count to the nearest multiple of 8, never
// below 8 and never more than 10% below v: the rule MobileNet's reference
// code uses to apply a width multiplier.
func makeDivisible(v float64) int {
	n := max(8, int(math.Floor(v+4))/8*8)
	if float64(n) < 0.9*v {
		n += 8
	}
	return n
}
