package coreml

import (
	"slices"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// Matmul, convolution and pooling.

func init() {
	mappers["matmul"] = mapMatMul
	mappers["conv"] = mapConv
	mappers["conv_transpose"] = mapConvTranspose
	mappers["max_pool"] = mapPool(false)
	mappers["avg_pool"] = mapPool(true)
	mappers["global_avg_pool"] = mapGlobalPool(poolAverage, lReduceMean)
	mappers["global_max_pool"] = mapGlobalPool(poolMax, lReduceMax)
}

// mapMatMul uses BatchedMatMul. With a constant 2-D b it is the one-input form
// that carries b as its weight matrix ([K, N], stored column-major, i.e. as
// b transposed) and, when the product's only reader is an add of a constant
// bias over the last axis, that bias too. Otherwise both operands are blobs
// (a constant one loaded by LoadConstantND), and the layer broadcasts batch
// dims and promotes 1-D operands as numpy's matmul does.
func mapMatMul(c *converter, n *runtime.Node) error {
	a, b := n.Inputs[0], n.Inputs[1]
	bs := c.shape(b)
	if !c.isConst(b) || len(bs) != 2 || c.isConst(a) {
		return c.matMul2(n)
	}
	_, wv, err := c.weight(n, 1)
	if err != nil {
		return err
	}
	x, err := c.blob(n, a)
	if err != nil {
		return err
	}
	k, m := bs[0], bs[1]
	out, bias := n.Outputs[0], []float32(nil)
	if add, bv := c.fusableBias(n, m); add != nil {
		out, bias = add.Outputs[0], bv
	}
	c.layer(n.Name, []string{x}, []string{out}, lBatchedMatMul, func(w *wire) {
		w.int(fBMMWeightRows, k)
		w.int(fBMMWeightCols, m)
		w.boolean(fBMMHasBias, bias != nil)
		c.weightsT(w, fBMMWeights, wv, k, m, n, b) // stored column-major: b transposed
		if bias != nil {
			c.weights(w, fBMMBias, bias, n, out)
		}
	})
	return nil
}

// matMul2 emits the two-input BatchedMatMul. Its output has rank
// max(2, rank(a), rank(b)) (NeuralNetwork.proto): a 1-D operand is promoted
// to a matrix and, unlike numpy's matmul, the promoted dim stays. When that
// differs from the catalog's output rank, the product goes to a fresh blob
// that a ReshapeStatic takes to the catalog's shape.
func (c *converter) matMul2(n *runtime.Node) error {
	ins, err := c.inputBlobs(n)
	if err != nil {
		return err
	}
	out := n.Outputs[0]
	ra, rb := len(c.shape(n.Inputs[0])), len(c.shape(n.Inputs[1]))
	if max(2, ra, rb) == len(c.shape(out)) {
		c.layer(n.Name, ins, n.Outputs, lBatchedMatMul, nil)
		return nil
	}
	product := c.fresh(out + "_matrix")
	c.layer(n.Name, ins, []string{product}, lBatchedMatMul, nil)
	c.layer(c.fresh(n.Name+"_reshape"), []string{product}, n.Outputs, lReshapeStatic,
		func(w *wire) { w.ints(fReshapeTargetShape, c.shape(out)) })
	return nil
}

// fusableBias returns the add node that is the only reader of matmul node
// n's output and adds a constant float32 bias of m values over the last axis
// (shape [m], or [1, ..., 1, m] of no greater rank than the product), and
// that bias; or nil. The add is marked fused so it emits nothing of its own.
func (c *converter) fusableBias(n *runtime.Node, m int) (*runtime.Node, []float32) {
	out := n.Outputs[0]
	readers := c.consumers[out]
	if len(readers) != 1 || c.isGraphOutput(out) {
		return nil, nil
	}
	add := &c.a.Nodes[readers[0]]
	if add.Op != "add" || len(add.Inputs) != 2 {
		return nil, nil
	}
	other := add.Inputs[0]
	if other == out {
		other = add.Inputs[1]
	}
	t, ok := c.a.Initializers[other]
	if !ok || other == out {
		return nil, nil
	}
	s := t.Shape()
	if len(s) == 0 || len(s) > len(c.shape(out)) || s[len(s)-1] != m || s.NumElements() != m {
		return nil, nil
	}
	if !c.shape(add.Outputs[0]).Equal(c.shape(out)) {
		return nil, nil
	}
	bv, ok := f32(t.Data())
	if !ok {
		return nil, nil
	}
	c.fused[readers[0]] = true
	return add, bv
}

func (c *converter) isGraphOutput(name string) bool {
	for _, o := range c.a.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// f32 returns data as []float32 when it is one.
func f32(data any) ([]float32, bool) {
	v, ok := data.([]float32)
	return v, ok
}

// spatial wraps a 1-D window op (x of rank 3, N×C×L) so that it runs as the
// 2-D layer: ExpandDims at axis −2 before (N×C×1×L) and Squeeze at −2 after.
// emit writes the 2-D layer from blob in to blob out. 2-D inputs are passed
// straight through.
func (c *converter) spatial(n *runtime.Node, x string, emit func(in, out string)) error {
	in, err := c.blob(n, x)
	if err != nil {
		return err
	}
	out := n.Outputs[0]
	if len(c.shape(x)) == 4 {
		emit(in, out)
		return nil
	}
	expanded, pooled := c.fresh(out+"_expanded"), c.fresh(out+"_2d")
	c.layer(c.fresh(n.Name+"_expand"), []string{in}, []string{expanded}, lExpandDims,
		func(w *wire) { w.ints(fExpandDimsAxes, []int{-2}) })
	emit(expanded, pooled)
	c.layer(c.fresh(n.Name+"_squeeze"), []string{pooled}, []string{out}, lSqueeze,
		func(w *wire) { w.ints(fSqueezeAxes, []int{-2}) })
	return nil
}

// hw turns the per-spatial-dim values of a 1-D or 2-D window into [H, W],
// a 1-D window having height 1 (the value h).
func hw(v []int, h int) []int {
	if len(v) == 1 {
		return []int{h, v[0]}
	}
	return v
}

// padsHW turns begins-then-ends pads of 1 or 2 spatial dims into [top,
// bottom, left, right], the order of BorderAmounts' [H, W] edge sizes.
func padsHW(p []int) []int {
	if len(p) == 2 {
		return []int{0, 0, p[0], p[1]}
	}
	return []int{p[0], p[2], p[1], p[3]}
}

// validPadding writes a ValidPadding field with explicit border amounts.
func validPadding(w *wire, num protowire.Number, p []int) {
	w.open(num)
	w.open(fValidPaddingAmounts)
	borderAmounts(w, p)
	w.close()
	w.close()
}

// borderAmounts writes BorderAmounts' [H, W] edge sizes from [top, bottom,
// left, right].
func borderAmounts(w *wire, p []int) {
	for i := 0; i < 4; i += 2 {
		w.open(fBorderAmounts)
		w.int(fEdgeStart, p[i])
		w.int(fEdgeEnd, p[i+1])
		w.close()
	}
}

// convOperands checks that a (transposed) convolution is 1-D or 2-D and
// returns its input shape, its constant kernel's shape and values, and its
// constant bias values (nil without a bias).
func convOperands(c *converter, n *runtime.Node, what string) (xs, ws tensor.Shape, wv, bv []float32, err error) {
	xs = c.shape(n.Inputs[0])
	if len(xs) != 3 && len(xs) != 4 {
		return nil, nil, nil, nil, c.unsupported(n, n.Inputs[0], "only 1-D and 2-D %s; input has shape %v", what, xs)
	}
	wt, wv, err := c.weight(n, 1)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		if _, bv, err = c.weight(n, 2); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	return xs, wt.Shape(), wv, bv, nil
}

// mapConv maps 1-D and 2-D convolutions onto the Convolution layer, whose
// kernel layout [M, C/group, kH, kW] is the catalog's. The resolved pads
// (auto_pad applied) become explicit valid-padding border amounts, which may
// differ at the two ends.
func mapConv(c *converter, n *runtime.Node) error {
	xs, ws, wv, bv, err := convOperands(c, n, "convolutions map to Core ML's Convolution layer")
	if err != nil {
		return err
	}
	g, err := ops.ResolveConv(xs, ws, n.Attrs)
	if err != nil {
		return c.unsupported(n, "", "%v", err) // unreachable after validation
	}
	return c.spatial(n, n.Inputs[0], func(in, out string) {
		c.layer(n.Name, []string{in}, []string{out}, lConvolution, func(w *wire) {
			w.int(fConvOutputChannels, ws[0])
			w.int(fConvKernelChannels, ws[1])
			w.int(fConvNGroups, g.Group)
			w.ints(fConvKernelSize, hw(g.Kernel, 1))
			w.ints(fConvStride, hw(g.Strides, 1))
			w.ints(fConvDilation, hw(g.Dilations, 1))
			validPadding(w, fConvValid, padsHW(g.Pads))
			w.boolean(fConvHasBias, bv != nil)
			c.weights(w, fConvWeights, wv, n, n.Inputs[1])
			if bv != nil {
				c.weights(w, fConvBias, bv, n, n.Inputs[2])
			}
		})
	})
}

// mapConvTranspose maps 1-D and 2-D transposed convolutions whose output
// follows from the kernel, strides and non-negative pads alone: the
// Convolution layer's deconvolution ignores dilation and expresses
// output_padding and output_shape only through an outputShape whose interplay
// with the pads the schema leaves open, so those cases are refused rather
// than guessed. The kernel layout [C, M/group, kH, kW] is the catalog's.
func mapConvTranspose(c *converter, n *runtime.Node) error {
	xs, ws, wv, bv, err := convOperands(c, n, "transposed convolutions are mapped")
	if err != nil {
		return err
	}
	g, err := ops.ResolveConvTranspose(xs, ws, n.Attrs)
	if err != nil {
		return c.unsupported(n, "", "%v", err) // unreachable after validation
	}
	switch {
	case slices.ContainsFunc(g.Dilations, func(d int) bool { return d != 1 }):
		return c.unsupported(n, "", "dilations %v: Core ML's deconvolution has no dilation", g.Dilations)
	case slices.ContainsFunc(g.OutputPadding, func(p int) bool { return p != 0 }):
		return c.unsupported(n, "", "output_padding %v is not mapped to Core ML's deconvolution", g.OutputPadding)
	case slices.ContainsFunc(g.Pads, func(p int) bool { return p < 0 }):
		return c.unsupported(n, "", "resolved pads %v are negative (output_shape asks for more output than the kernel gives)", g.Pads)
	}
	return c.spatial(n, n.Inputs[0], func(in, out string) {
		c.layer(n.Name, []string{in}, []string{out}, lConvolution, func(w *wire) {
			w.int(fConvOutputChannels, ws[1]*g.Group)
			w.int(fConvKernelChannels, ws[0])
			w.int(fConvNGroups, g.Group)
			w.ints(fConvKernelSize, hw(g.Kernel, 1))
			w.ints(fConvStride, hw(g.Strides, 1))
			validPadding(w, fConvValid, padsHW(g.Pads))
			w.boolean(fConvIsDeconv, true)
			w.boolean(fConvHasBias, bv != nil)
			c.weights(w, fConvWeights, wv, n, n.Inputs[1])
			if bv != nil {
				c.weights(w, fConvBias, bv, n, n.Inputs[2])
			}
		})
	})
}

// mapPool maps 1-D and 2-D max_pool and avg_pool onto the Pooling layer with
// explicit valid-padding amounts. Core ML's pooling has no dilation. ceil_mode
// is expressed as extra padding at the end of a spatial dim, which changes
// nothing for max pooling (padding never wins) nor for an average that
// excludes padding; an average that counts padding would count it, so that
// combination is refused when ceil mode adds an output.
func mapPool(avg bool) mapper {
	return func(c *converter, n *runtime.Node) error {
		xs := c.shape(n.Inputs[0])
		if len(xs) != 3 && len(xs) != 4 {
			return c.unsupported(n, n.Inputs[0], "only 1-D and 2-D pooling maps to Core ML's Pooling layer; input has shape %v", xs)
		}
		g, err := ops.ResolvePool(xs, n.Attrs, avg)
		if err != nil {
			return c.unsupported(n, "", "%v", err) // unreachable after validation
		}
		if slices.ContainsFunc(g.Dilations, func(d int) bool { return d != 1 }) {
			return c.unsupported(n, "", "dilations %v: Core ML's pooling has no dilation", g.Dilations)
		}
		k := len(g.Kernel)
		pads := slices.Clone(g.Pads)
		for i, d := range xs[2:] {
			floorOut := (d+pads[i]+pads[k+i]-g.Kernel[i])/g.Strides[i] + 1
			if g.Out[i] == floorOut {
				continue
			}
			if avg && g.CountIncludePad {
				return c.unsupported(n, "", "ceil_mode with count_include_pad=1 adds a window Core ML would average over padding")
			}
			pads[k+i] += (g.Out[i]-1)*g.Strides[i] + g.Kernel[i] - (d + pads[i] + pads[k+i])
		}
		typ := poolMax
		if avg {
			typ = poolAverage
		}
		return c.spatial(n, n.Inputs[0], func(in, out string) {
			c.layer(n.Name, []string{in}, []string{out}, lPooling, func(w *wire) {
				w.int(fPoolType, typ)
				w.ints(fPoolKernelSize, hw(g.Kernel, 1))
				w.ints(fPoolStride, hw(g.Strides, 1))
				validPadding(w, fPoolValid, padsHW(pads))
				w.boolean(fPoolAvgExcludePad, avg && !g.CountIncludePad)
			})
		})
	}
}

// mapGlobalPool maps global pooling of a 4-D input onto the Pooling layer's
// global mode, and of other ranks onto a reduction over the spatial axes that
// keeps them as size-1 dims. The global mode ignores the window and the
// padding, but Core ML's validator refuses a Pooling layer whose padding type
// is unset (NeuralNetworkLayerValidator.cpp), so it gets valid padding with
// zero borders, as coremltools' builder writes it.
func mapGlobalPool(typ int, reduce protowire.Number) mapper {
	return func(c *converter, n *runtime.Node) error {
		xs := c.shape(n.Inputs[0])
		if len(xs) == 4 {
			return c.simple(n, lPooling, func(w *wire) {
				w.int(fPoolType, typ)
				validPadding(w, fPoolValid, []int{0, 0, 0, 0})
				w.boolean(fPoolGlobal, true)
			})
		}
		axes := make([]int, 0, len(xs)-2)
		for i := 2; i < len(xs); i++ {
			axes = append(axes, i)
		}
		return c.simple(n, reduce, func(w *wire) {
			w.ints(fReduceAxes, axes)
			w.boolean(fReduceKeepDims, true)
		})
	}
}
