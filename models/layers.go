package models

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// graph is the layer vocabulary the zoo's larger models share. It names every
// node after its place in the architecture ("layer2.0.conv2", the names
// PyTorch checkpoints use), so an error or a telemetry line points at a
// recognisable layer, and it draws every weight from the model's seeded
// stream in construction order.
type graph struct {
	name string
	b    *runtime.Builder
	w    *weights
}

func newGraph(name string, seed uint64) *graph {
	b := runtime.NewBuilder(name)
	return &graph{name: name, b: b, w: &weights{b: b, seed: seed}}
}

// op adds one node called name and returns its output.
func (g *graph) op(name, op string, attrs ops.Attrs, in ...runtime.Value) runtime.Value {
	return g.b.NamedOp(name, op, 1, attrs, in...)[0]
}

// build finishes the artifact, reporting a weight error first: it is the
// root cause of any builder error that follows from it.
func (g *graph) build() (*runtime.Artifact, error) {
	if g.w.err != nil {
		return nil, fmt.Errorf("models: %s: %w", g.name, g.w.err)
	}
	return g.b.Build()
}

// convSpec describes a square 2-D convolution with "same" padding
// ((kernel-1)/2 on every side), which is what every conv in the zoo uses.
type convSpec struct {
	in, out, kernel, stride int
	group                   int  // 0 or 1: dense; in: depthwise
	bias                    bool // add a bias input (convs followed by batch_norm have none)
	// scale is the weight bound; 0 means He uniform for the fan-in.
	scale float64
}

// conv adds a conv node called name with weights name.weight (and name.bias).
func (g *graph) conv(name string, x runtime.Value, c convSpec) runtime.Value {
	group := max(c.group, 1)
	if c.in%group != 0 || c.out%group != 0 {
		g.w.fail(fmt.Errorf("conv %s: group %d does not divide %d in and %d out channels", name, group, c.in, c.out))
		return x
	}
	scale := c.scale
	if scale == 0 {
		scale = heScale(c.in / group * c.kernel * c.kernel)
	}
	in := []runtime.Value{x, g.w.uniform(name+".weight", scale, c.out, c.in/group, c.kernel, c.kernel)}
	if c.bias {
		in = append(in, g.w.uniform(name+".bias", 0.1, c.out))
	}
	p := (c.kernel - 1) / 2
	attrs := ops.Attrs{"pads": []int{p, p, p, p}}
	if c.stride > 1 {
		attrs["strides"] = []int{c.stride, c.stride}
	}
	if group > 1 {
		attrs["group"] = group
	}
	return g.op(name, "conv", attrs, in...)
}

// batchNorm adds an inference batch_norm over c channels with the statistics
// of a trained network: running mean near 0, variance near 1, scale gamma
// around gamma and a small shift. gamma below 1 on the last norm of a
// residual branch keeps the sum of many branches from growing with depth, as
// trained networks' small final gammas do.
func (g *graph) batchNorm(name string, x runtime.Value, c int, gamma float64) runtime.Value {
	scale := g.w.between(name+".weight", 0.9*gamma, 1.1*gamma, c)
	bias := g.w.uniform(name+".bias", 0.05, c)
	mean := g.w.uniform(name+".running_mean", 0.05, c)
	variance := g.w.between(name+".running_var", 0.9, 1.1, c)
	return g.op(name, "batch_norm", nil, x, scale, bias, mean, variance)
}

// act applies an activation by name: "relu", "relu6" (clip to [0, 6]),
// "gelu" (exact erf form) or "" for none.
func (g *graph) act(name, kind string, x runtime.Value) runtime.Value {
	switch kind {
	case "":
		return x
	case "relu6":
		return g.op(name, "clip", ops.Attrs{"min": 0.0, "max": 6.0}, x)
	default:
		return g.op(name, kind, nil, x)
	}
}

// linear adds x·W + b over the last axis of x, with W [in, out] called
// name.weight; its nodes are name.matmul and name (the bias add).
func (g *graph) linear(name string, x runtime.Value, in, out int, scale float64) runtime.Value {
	w := g.w.uniform(name+".weight", scale, in, out)
	b := g.w.uniform(name+".bias", 0.02, out)
	return g.op(name, "add", nil, g.op(name+".matmul", "matmul", nil, x, w), b)
}

// classifier ends a convolutional network: global average pooling over the
// c channels of x, flattening to [batch, c] and a linear layer to classes
// logits, the graph output "logits".
func (g *graph) classifier(x runtime.Value, c, classes int) {
	x = g.op("pool", "global_avg_pool", nil, x)
	x = g.op("flatten", "reshape", ops.Attrs{"shape": []int{0, -1}}, x)
	g.b.Output("logits", g.linear("fc", x, c, classes, xavierScale(c)))
}

// imageInput declares the input "image" [batch, 3, size, size] float32.
func (g *graph) imageInput(batch, size int) runtime.Value {
	return g.b.Input("image", tensor.Float32, batchDim(batch), runtime.Static(3),
		runtime.Static(size), runtime.Static(size))
}

// xavierScale is the uniform bound that keeps the variance of a linear layer
// with fanIn inputs equal to its input's, for layers not followed by ReLU.
func xavierScale(fanIn int) float64 {
	if fanIn <= 0 {
		return 1
	}
	return math.Sqrt(3 / float64(fanIn))
}

// fail records the first error of a model's construction.
func (w *weights) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Parameters returns the number of weight elements of a: every initializer,
// including batch-norm running statistics, which parameter counts in papers
// leave out (they are buffers, not trained parameters).
func Parameters(a *runtime.Artifact) int64 {
	var n int64
	for _, t := range a.Initializers {
		n += int64(t.NumElements())
	}
	return n
}

// centredDepthwise adds a depthwise conv kernel [c, 1, k, k] (k odd) that is
// the identity plus a filter drawn in ±spread: the form of a reparameterized
// block whose skip connection was folded into the kernel centre.
func (w *weights) centredDepthwise(name string, c, k int, spread float64) runtime.Value {
	t := w.draw(name, -spread, spread, c, 1, k, k)
	if v, err := tensor.View[float32](t); err == nil && len(v) == c*k*k {
		centre := k/2*k + k/2
		for ch := range c {
			v[ch*k*k+centre]++
		}
	}
	return w.b.Weight(name, t)
}
