package coreml

import (
	"math"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// Softmax and the normalizations.

func init() {
	mappers["softmax"] = mapSoftmax
	mappers["batch_norm"] = mapBatchNorm
	mappers["layer_norm"] = mapLayerNorm
	mappers["lrn"] = mapLRN
}

// normDefaultEpsilon is the catalog's epsilon when the attribute is absent.
const normDefaultEpsilon = 1e-5

// axis returns the attribute name of n normalized against rank (inference
// has checked it is in range).
func axis(n *runtime.Node, name string, def, rank int) int {
	ax, err := tensor.NormalizeAxis(n.Attrs.Int(name, def), rank)
	if err != nil {
		return 0 // unreachable after validation
	}
	return ax
}

func mapSoftmax(c *converter, n *runtime.Node) error {
	ax := axis(n, "axis", -1, len(c.shape(n.Inputs[0])))
	return c.simple(n, lSoftmaxND, func(w *wire) { w.int(fSoftmaxAxis, ax) })
}

// mapBatchNorm uses the Batchnorm layer, which normalizes along axis −3, for
// 4-D inputs (N, C, H, W) where that axis is the catalog's channel axis 1. It
// cannot take an epsilon of 0 (the schema reads 0 as "use 1e-5"), and other
// ranks put the channels elsewhere, so those fold the parameters into a
// per-channel scale s = scale/√(var+ε) and shift t = bias − mean·s (computed
// in float64, rounded once) applied by multiply and add layers that broadcast
// [C, 1, ..., 1] constants.
func mapBatchNorm(c *converter, n *runtime.Node) error {
	var p [4][]float32 // scale, bias, mean, var
	for i := range p {
		var err error
		if _, p[i], err = c.weight(n, i+1); err != nil {
			return err
		}
	}
	xs := c.shape(n.Inputs[0])
	ch := xs[1]
	eps := n.Attrs.Float("epsilon", normDefaultEpsilon)
	x, err := c.blob(n, n.Inputs[0])
	if err != nil {
		return err
	}
	if len(xs) == 4 && float32(eps) > 0 {
		c.layer(n.Name, []string{x}, n.Outputs, lBatchnorm, func(w *wire) {
			w.int(fBNChannels, ch)
			w.float(fBNEpsilon, eps)
			for i, f := range [4]protowire.Number{fBNGamma, fBNBeta, fBNMean, fBNVariance} {
				c.weights(w, f, p[i], n, n.Inputs[i+1])
			}
		})
		return nil
	}
	scale, shift := make([]float32, ch), make([]float32, ch)
	for i := range ch {
		s := float64(p[0][i]) / math.Sqrt(float64(p[3][i])+eps)
		scale[i] = float32(s)
		shift[i] = float32(float64(p[1][i]) - float64(p[2][i])*s)
	}
	shape := make([]int, len(xs)-1) // [C, 1, ..., 1] aligns C with axis 1 of x
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = ch
	sName, tName := c.fresh(n.Name+"_scale"), c.fresh(n.Name+"_shift")
	c.loadConstant(n, sName, sName, shape, scale)
	c.loadConstant(n, tName, tName, shape, shift)
	mid := c.fresh(n.Outputs[0] + "_scaled")
	c.layer(c.fresh(n.Name+"_mul"), []string{x, sName}, []string{mid}, lMultiplyBroadcastable, nil)
	c.layer(n.Name, []string{mid, tName}, n.Outputs, lAddBroadcastable, nil)
	return nil
}

// mapLayerNorm uses LayerNormalization, whose gamma and beta have exactly the
// normalized shape x.shape[axis:]: the catalog's scale and bias, which may be
// smaller and broadcast, are expanded to it (an absent bias is zeros). They
// are stored as float32 whatever the model's precision.
func mapLayerNorm(c *converter, n *runtime.Node) error {
	xs := c.shape(n.Inputs[0])
	norm := xs[axis(n, "axis", -1, len(xs)):]
	st, sv, err := c.weight(n, 1)
	if err != nil {
		return err
	}
	gamma := broadcastTo(sv, st.Shape(), norm)
	beta := make([]float32, norm.NumElements())
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		bt, bv, err := c.weight(n, 2)
		if err != nil {
			return err
		}
		beta = broadcastTo(bv, bt.Shape(), norm)
	}
	eps := n.Attrs.Float("epsilon", normDefaultEpsilon)
	x, err := c.blob(n, n.Inputs[0])
	if err != nil {
		return err
	}
	c.layer(n.Name, []string{x}, n.Outputs, lLayerNormalization, func(w *wire) {
		w.ints(fLNNormalizedShape, norm)
		w.float(fLNEps, eps)
		// Always float32, also in a float16 model: Core ML's validator counts
		// gamma and beta in float32 values only and requires prod(normalizedShape)
		// of each (NeuralNetworkLayerValidator.cpp), so float16 bytes are refused.
		w.weights(fLNGamma, gamma, Float32)
		w.weights(fLNBeta, beta, Float32)
	})
	return nil
}

// broadcastTo expands values of shape s to shape to, numpy-style (s aligned
// to the end of to, its dims equal to to's or 1).
func broadcastTo(v []float32, s, to tensor.Shape) []float32 {
	out := make([]float32, to.NumElements())
	off := len(to) - len(s)
	strides := make([]int, len(to)) // stride in v of each dim of to; 0 where broadcast
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			strides[off+i] = acc
		}
		acc *= s[i]
	}
	idx := make([]int, len(to))
	for i := range out {
		src := 0
		for d, k := range idx {
			src += k * strides[d]
		}
		out[i] = v[src]
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < to[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

// mapLRN uses the LRN layer, which sums across axis −3: the channel axis of a
// 4-D input. Its window is centred, as the catalog's is for an odd size (for
// an even size the catalog's window is lopsided and is refused), and it reads
// a bias k of 0 as 1 while its validator refuses a negative k
// (NeuralNetworkLayerValidator.cpp), so a bias <= 0 is refused too.
func mapLRN(c *converter, n *runtime.Node) error {
	xs := c.shape(n.Inputs[0])
	size := n.Attrs.Int("size", 1)
	bias := n.Attrs.Float("bias", 1)
	switch {
	case len(xs) != 4:
		return c.unsupported(n, n.Inputs[0], "only 4-D lrn is mapped (Core ML sums across axis −3); input has shape %v", xs)
	case size%2 == 0:
		return c.unsupported(n, "", "lrn size %d is even; only centred (odd) windows are mapped", size)
	case float32(bias) <= 0:
		return c.unsupported(n, "", "lrn bias %v: Core ML reads a bias k of 0 as 1 and refuses a negative one", bias)
	}
	return c.simple(n, lLRN, func(w *wire) {
		w.float(fLRNAlpha, n.Attrs.Float("alpha", 1e-4))
		w.float(fLRNBeta, n.Attrs.Float("beta", 0.75))
		w.int(fLRNLocalSize, size)
		w.float(fLRNK, bias)
	})
}
