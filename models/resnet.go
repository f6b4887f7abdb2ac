package models

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// ResNetConfig describes a bottleneck ResNet v1.5. The zero value of every
// size knob gives ResNet-50 on 224×224 ImageNet images; tests shrink Size and
// Width to run the full depth cheaply.
type ResNetConfig struct {
	// Classes is the number of output logits; 0 means 1000.
	Classes int
	// Size is the input's height and width; 0 means 224. At least 32, so that
	// the five stride-2 steps leave at least one pixel.
	Size int
	// Width is the bottleneck width of the first stage (later stages double
	// it, and each block's output is 4× its width); 0 means 64.
	Width int
	// Layers is the number of bottleneck blocks per stage; zero means
	// {3, 4, 6, 3}, ResNet-50's.
	Layers [4]int
	// Seed selects the deterministic weights.
	Seed uint64
	// Batch fixes the batch dimension; 0 leaves it symbolic ("batch").
	Batch int
}

func (c ResNetConfig) withDefaults() ResNetConfig {
	if c.Classes == 0 {
		c.Classes = 1000
	}
	if c.Size == 0 {
		c.Size = 224
	}
	if c.Width == 0 {
		c.Width = 64
	}
	if c.Layers == [4]int{} {
		c.Layers = [4]int{3, 4, 6, 3}
	}
	return c
}

// ResNet builds a bottleneck ResNet v1.5 (ResNet-50 by default): a 7×7
// stride-2 conv, batch norm, ReLU and 3×3 stride-2 max pooling, four stages
// of bottleneck blocks (1×1, 3×3, 1×1 convs each with batch norm; v1.5 puts
// the stage's stride 2 on the 3×3 conv rather than the first 1×1), projection
// shortcuts (1×1 conv + batch norm) where shape changes, global average
// pooling and a linear classifier.
//
// Input "image" [batch, 3, Size, Size] float32; output "logits" [batch,
// Classes]. Batch norms stay batch_norm nodes (not folded into the convs), as
// in an exported PyTorch graph before optimisation. Node names follow
// torchvision's module names: the output of stage s (1..4) is the value
// "layer<s>.<last block>.relu:0", e.g. "layer1.2.relu:0".
func ResNet(cfg ResNetConfig) (*runtime.Artifact, error) {
	cfg = cfg.withDefaults()
	if cfg.Batch < 0 || cfg.Classes < 0 || cfg.Size < 32 || cfg.Width < 1 {
		return nil, fmt.Errorf("models: ResNet needs Batch >= 0, Classes >= 0, Size >= 32 and Width >= 1; got %+v", cfg)
	}
	for i, n := range cfg.Layers {
		if n < 1 {
			return nil, fmt.Errorf("models: ResNet stage %d has %d blocks, want >= 1", i+1, n)
		}
	}
	g := newGraph(fmt.Sprintf("resnet%d-w%d-d%s-%d-%d", resNetDepth(cfg.Layers), cfg.Width, dotted(cfg.Layers),
		cfg.Size, cfg.Classes), cfg.Seed)
	x := g.imageInput(cfg.Batch, cfg.Size)
	x = g.conv("conv1", x, convSpec{in: 3, out: cfg.Width, kernel: 7, stride: 2})
	x = g.act("relu", "relu", g.batchNorm("bn1", x, cfg.Width, 1))
	x = g.op("maxpool", "max_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2},
		"pads": []int{1, 1, 1, 1}}, x)
	in := cfg.Width
	for s, n := range cfg.Layers {
		width := cfg.Width << s
		for i := range n {
			stride := 1
			if s > 0 && i == 0 {
				stride = 2
			}
			x = g.bottleneck(fmt.Sprintf("layer%d.%d", s+1, i), x, in, width, stride)
			in = 4 * width
		}
	}
	g.classifier(x, in, cfg.Classes)
	g.b.SetMetadata("family", "resnet")
	return g.build()
}

// bottleneck adds one ResNet v1.5 bottleneck block: relu(branch(x) + shortcut(x)).
func (g *graph) bottleneck(name string, x runtime.Value, in, width, stride int) runtime.Value {
	out := 4 * width
	y := g.conv(name+".conv1", x, convSpec{in: in, out: width, kernel: 1})
	y = g.act(name+".relu1", "relu", g.batchNorm(name+".bn1", y, width, 1))
	y = g.conv(name+".conv2", y, convSpec{in: width, out: width, kernel: 3, stride: stride})
	y = g.act(name+".relu2", "relu", g.batchNorm(name+".bn2", y, width, 1))
	y = g.conv(name+".conv3", y, convSpec{in: width, out: out, kernel: 1})
	// A small final gamma (trained ResNets' last-BN scales are well below 1)
	// keeps the residual sum from doubling its variance at every block.
	y = g.batchNorm(name+".bn3", y, out, resBranchGamma)
	short := x
	if stride != 1 || in != out {
		short = g.conv(name+".downsample.0", x, convSpec{in: in, out: out, kernel: 1, stride: stride})
		short = g.batchNorm(name+".downsample.1", short, out, 1)
	}
	return g.act(name+".relu", "relu", g.op(name+".add", "add", nil, y, short))
}

// resBranchGamma is the batch-norm scale at the end of a residual branch.
const resBranchGamma = 0.25

// resNetDepth is the conventional depth in a ResNet's name: three convs per
// bottleneck plus the stem conv and the classifier.
func resNetDepth(layers [4]int) int {
	return 3*(layers[0]+layers[1]+layers[2]+layers[3]) + 2
}
