package xla

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of conv and conv_transpose (ops/conv.go). Geometry (pads after
// auto_pad, output_shape, output dims) comes from ops' resolvers, the ones
// the reference backend uses.
//
// On XLA both become GoMLX's native N-d convolution, ConvGeneral, with the
// catalog's NCHW layout described by its axes configuration, so nothing is
// transposed at run time. On the pure-Go engine they become matrix products
// on its blocked, parallel DotGeneral (lower_conv_gemm.go; lower_window.go
// says why), falling back to ConvGeneral only where that would need too
// much memory.

func init() {
	registerLowering("conv", lowerConv)
	registerLowering("conv_transpose", lowerConvTranspose)
}

// nchwAxes is the axes configuration of x (N, C, D1..Dk), a kernel (M,
// C/group, k1..kk) and an output (N, M, O1..Ok), k spatial dims each.
func nchwAxes(k int) graph.ConvolveAxesConfig {
	spatial := make([]int, k)
	for i := range spatial {
		spatial[i] = 2 + i
	}
	return graph.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: spatial,
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: spatial,
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: spatial,
	}
}

// lowerConv convolves with the resolved pads, strides, dilations and group
// (depthwise is group = C), then adds the bias.
func lowerConv(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x, w := in[0], in[1]
	g, err := ops.ResolveConv(c.In[0].Shape, c.In[1].Shape, c.Node.Attrs)
	if err != nil {
		return nil, err
	}
	if c.In[0].Shape.NumElements() == 0 {
		// No input elements (zero channels, or only padding over empty
		// spatial dims) but a non-empty output: every sum is empty, so the
		// output is the bias; engines refuse zero-size convolutions.
		return one(withBias(c, zerosOut(c), in)), nil
	}
	var y *graph.Node
	if useGemm(c, c.In[0].Shape, g) {
		y = convByMatmul(x, w, g, c.Out[0].Shape)
	} else {
		y = graph.ConvGeneral(x, w, nchwAxes(len(g.Kernel)), g.Strides, padPairs(g.Pads), nil, g.Dilations, g.Group, 1)
	}
	return one(withBias(c, y, in)), nil
}

// lowerConvTranspose computes the transposed convolution as a convolution
// (the gradient of a convolution with respect to its input, as XLA itself
// lowers it): x dilated by the stride (stride−1 zeros between elements),
// padded by dilation·(k−1) − pad on each side (plus output_padding at the
// end), convolved with stride 1 by the kernel flipped in every spatial dim,
// with input and output channels swapped within each group.
//
// A pad larger than dilation·(k−1) makes that padding negative, which
// removes output positions: the convolution gets 0 there and the surplus is
// sliced off afterwards (stride 1, so each position removed is one output).
// A negative resolved pad (output_shape beyond the full result) becomes
// extra zero padding: those positions get only the bias, as the catalog says.
func lowerConvTranspose(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x, w := in[0], in[1]
	xs := c.In[0].Shape
	g, err := ops.ResolveConvTranspose(xs, c.In[1].Shape, c.Node.Attrs)
	if err != nil {
		return nil, err
	}
	if xs.NumElements() == 0 { // zero input channels: only the bias
		return one(withBias(c, zerosOut(c), in)), nil
	}
	k := len(g.Kernel)
	// conv is the equivalent convolution on the dilated x, before trimming.
	conv := ops.ConvGeometry{Group: g.Group, Kernel: g.Kernel, Strides: ones(k), Dilations: g.Dilations,
		Pads: make([]int, 2*k), Out: make([]int, k)}
	trim := make([][2]int, k) // output positions to drop at each end
	dilated := append(tensor.Shape{xs[0], xs[1]}, make([]int, k)...)
	for i := range k {
		ext := g.Dilations[i] * (g.Kernel[i] - 1)
		lo, hi := ext-g.Pads[i], ext-g.Pads[k+i]+g.OutputPadding[i]
		conv.Pads[i], conv.Pads[k+i] = max(lo, 0), max(hi, 0)
		trim[i] = [2]int{max(-lo, 0), max(-hi, 0)}
		dilated[2+i] = (xs[2+i]-1)*g.Strides[i] + 1
		conv.Out[i] = dilated[2+i] + conv.Pads[i] + conv.Pads[k+i] - ext
	}
	kernel := flipTransposeKernel(w, c.In[1].Shape, g.Group)
	var y *graph.Node
	if useGemm(c, dilated, conv) {
		// The pure-Go engine has no input dilation outside its ConvGeneral.
		y = convByMatmul(dilateZeros(x, g.Strides), kernel, conv, append(tensor.Shape{xs[0], c.Out[0].Shape[1]}, conv.Out...))
	} else {
		y = graph.ConvGeneral(x, kernel, nchwAxes(k), conv.Strides, padPairs(conv.Pads), g.Strides, g.Dilations, g.Group, 1)
	}
	if trimmed(trim) {
		specs := []graph.SliceAxisSpec{graph.AxisRange(), graph.AxisRange()}
		for i := range k {
			specs = append(specs, graph.AxisRange(trim[i][0], conv.Out[i]-trim[i][1]))
		}
		y = graph.Slice(y, specs...)
	}
	return one(withBias(c, y, in)), nil
}

// flipTransposeKernel turns a conv_transpose weight w (C, M/group, k1..kk)
// into the kernel of the equivalent convolution, (M, C/group, k1..kk):
// within each group input and output channels trade places, and every
// spatial dim is reversed. Reversing all spatial dims at once reverses the
// row-major order of the K = k1·…·kk taps, done with a Gather of the taps
// (the pure-Go engine has no Reverse); weights are small, so this is cheap.
func flipTransposeKernel(w *graph.Node, ws tensor.Shape, group int) *graph.Node {
	cIn, mg := ws[0], ws[1]
	kernel := []int(ws[2:])
	taps := tensor.Shape(kernel).NumElements()
	cg := cIn / group
	// (g, C/g, M/g, K) → (K, g, M/g, C/g): taps first, for the Gather.
	t := graph.Reshape(w, group, cg, mg, taps)
	t = graph.TransposeAllDims(t, 3, 0, 2, 1)
	rev := make([]int32, taps)
	for i := range rev {
		rev[i] = int32(taps - 1 - i)
	}
	t = graph.Gather(t, graph.Reshape(graph.Const(w.Graph(), rev), taps, 1))
	// (K, g, M/g, C/g) → (g, M/g, C/g, K) = (M, C/g, k1..kk)
	t = graph.TransposeAllDims(t, 1, 2, 3, 0)
	return graph.Reshape(t, append([]int{group * mg, cg}, kernel...)...)
}

// padPairs turns pads (all begins, then all ends) into ConvGeneral's pairs.
func padPairs(pads []int) [][2]int {
	k := len(pads) / 2
	p := make([][2]int, k)
	for i := range k {
		p[i] = [2]int{pads[i], pads[k+i]}
	}
	return p
}

func trimmed(trim [][2]int) bool {
	for _, t := range trim {
		if t[0] != 0 || t[1] != 0 {
			return true
		}
	}
	return false
}

// zerosOut is a zero tensor of the node's output type.
func zerosOut(c *nodeCtx) *graph.Node {
	shape, _ := toGoMLXShape(c.Out[0].DType, c.Out[0].Shape) // the driver has checked the dtype
	return graph.Zeros(c.g, shape)
}

// withBias adds the optional bias input (M) along the channel axis of y.
func withBias(c *nodeCtx, y *graph.Node, in []*graph.Node) *graph.Node {
	if len(in) < 3 || in[2] == nil {
		return y
	}
	dims := ones(y.Rank())
	dims[1] = c.Out[0].Shape[1]
	return graph.Add(y, graph.Reshape(in[2], dims...))
}
