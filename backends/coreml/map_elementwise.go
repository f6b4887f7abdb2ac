package coreml

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"google.golang.org/protobuf/encoding/protowire"
)

// Elementwise ops: the numpy-broadcasting arithmetic layers, activations and
// unary functions.

func init() {
	binary := map[string]protowire.Number{
		"add": lAddBroadcastable, "sub": lSubtractBroadcastable, "mul": lMultiplyBroadcastable,
		"div": lDivideBroadcastable, "pow": lPowBroadcastable, "max": lMaxBroadcastable, "min": lMinBroadcastable,
	}
	for op, kind := range binary {
		mappers[op] = mapBroadcast(kind)
	}
	// Ops that are one ActivationParams member; params writes its fields.
	activations := map[string]struct {
		member protowire.Number
		params func(w *wire, a ops.Attrs)
	}{
		"relu":     {fActReLU, nil},
		"sigmoid":  {fActSigmoid, nil},
		"tanh":     {fActTanh, nil},
		"softsign": {fActSoftsign, nil},
		"softplus": {fActSoftplus, nil},
		"leaky_relu": {fActLeakyReLU, func(w *wire, a ops.Attrs) {
			w.float(fActAlpha, a.Float("alpha", ops.LeakyReluDefaultAlpha))
		}},
		"elu": {fActELU, func(w *wire, a ops.Attrs) { w.float(fActAlpha, a.Float("alpha", ops.EluDefaultAlpha)) }},
		"hard_sigmoid": {fActSigmoidHard, func(w *wire, a ops.Attrs) {
			w.float(fActAlpha, a.Float("alpha", ops.HardSigmoidDefaultAlpha))
			w.float(fActBeta, a.Float("beta", ops.HardSigmoidDefaultBeta))
		}},
		// neg is the linear activation −1·x + 0; identity is 1·x + 0.
		"neg":      {fActLinear, func(w *wire, _ ops.Attrs) { w.float(fActAlpha, -1) }},
		"identity": {fActLinear, func(w *wire, _ ops.Attrs) { w.float(fActAlpha, 1) }},
	}
	for op, act := range activations {
		mappers[op] = func(c *converter, n *runtime.Node) error {
			return c.activation(n, n.Name, n.Inputs[0], n.Outputs[0], act.member, func(w *wire) {
				if act.params != nil {
					act.params(w, n.Attrs)
				}
			})
		}
	}
	unary := map[string]int{"sqrt": unarySqrt, "exp": unaryExp, "log": unaryLog, "abs": unaryAbs}
	for op, fn := range unary {
		mappers[op] = func(c *converter, n *runtime.Node) error {
			return c.simple(n, lUnary, func(w *wire) { w.int(fUnaryType, fn) })
		}
	}
	for op, kind := range map[string]protowire.Number{"erf": lErf, "floor": lFloor, "ceil": lCeil, "sign": lSign} {
		mappers[op] = func(c *converter, n *runtime.Node) error { return c.simple(n, kind, nil) }
	}
	mappers["gelu"] = func(c *converter, n *runtime.Node) error {
		mode := geluExact
		if n.Attrs.String("approximate", ops.GeluApproximateNone) == ops.GeluApproximateTanh {
			mode = geluTanhApprox
		}
		return c.simple(n, lGelu, func(w *wire) { w.int(fGeluMode, mode) })
	}
	mappers["clip"] = mapClip
	mappers["selu"] = mapSelu
	mappers["reciprocal"] = mapReciprocal
	mappers["cast"] = mapCast
}

// simple emits one layer of the given kind from n's inputs to its outputs.
func (c *converter) simple(n *runtime.Node, kind protowire.Number, body func(w *wire)) error {
	ins, err := c.inputBlobs(n)
	if err != nil {
		return err
	}
	c.layer(n.Name, ins, n.Outputs, kind, body)
	return nil
}

// activation emits an ActivationParams layer whose member is written by params.
func (c *converter) activation(n *runtime.Node, layer, in, out string, member protowire.Number, params func(w *wire)) error {
	b, err := c.blob(n, in)
	if err != nil {
		return err
	}
	c.layer(layer, []string{b}, []string{out}, lActivation, func(w *wire) {
		w.open(member)
		params(w)
		w.close()
	})
	return nil
}

// mapBroadcast maps a binary op onto its *Broadcastable layer, which
// broadcasts numpy-style as the catalog's op does.
func mapBroadcast(kind protowire.Number) mapper {
	return func(c *converter, n *runtime.Node) error { return c.simple(n, kind, nil) }
}

// mapClip uses the Clip layer when both bounds are finite. A missing (or
// infinite) bound is not written as ±Inf, which the schema does not promise
// to accept (coremltools writes ±MaxFloat32 instead, which would turn an
// infinite input finite): one finite bound becomes a Max- or
// MinBroadcastable against that constant, none at all an identity. min > max
// (or a bound that makes the output constant) is refused: the catalog defines
// it (max everywhere, NaN kept) but the Clip layer does not say what it does.
func mapClip(c *converter, n *runtime.Node) error {
	lo, hi := n.Attrs.Float("min", math.Inf(-1)), n.Attrs.Float("max", math.Inf(1))
	if lo > hi || math.IsInf(lo, 1) || math.IsInf(hi, -1) {
		return c.unsupported(n, "", "clip min %v, max %v: a constant output is not mapped", lo, hi)
	}
	hasLo, hasHi := !math.IsInf(lo, -1), !math.IsInf(hi, 1)
	switch {
	case hasLo && hasHi:
		return c.simple(n, lClip, func(w *wire) {
			w.float(fClipMin, lo)
			w.float(fClipMax, hi)
		})
	case !hasLo && !hasHi:
		return c.identity(n, n.Inputs[0], n.Outputs[0])
	}
	x, err := c.blob(n, n.Inputs[0])
	if err != nil {
		return err
	}
	bound, kind := lo, lMaxBroadcastable
	if hasHi {
		bound, kind = hi, lMinBroadcastable
	}
	name := c.fresh(n.Name + "_bound")
	c.loadConstant(n, name, name, []int{1}, []float32{float32(bound)})
	c.layer(n.Name, []string{x, name}, n.Outputs, kind, nil)
	return nil
}

// mapSelu is an ELU with alpha followed by a linear activation scaling by
// gamma: gamma·x for x > 0 and gamma·alpha·(e^x − 1) otherwise.
func mapSelu(c *converter, n *runtime.Node) error {
	alpha := n.Attrs.Float("alpha", ops.SeluDefaultAlpha)
	gamma := n.Attrs.Float("gamma", ops.SeluDefaultGamma)
	mid := c.fresh(n.Outputs[0] + "_elu")
	if err := c.activation(n, c.fresh(n.Name+"_elu"), n.Inputs[0], mid, fActELU,
		func(w *wire) { w.float(fActAlpha, alpha) }); err != nil {
		return err
	}
	return c.activation(n, n.Name, mid, n.Outputs[0], fActLinear, func(w *wire) { w.float(fActAlpha, gamma) })
}

// mapReciprocal divides a constant 1 by x. The Unary layer's INVERSE adds an
// epsilon (1e-6 when given as 0), so it is not an exact reciprocal.
func mapReciprocal(c *converter, n *runtime.Node) error {
	x, err := c.blob(n, n.Inputs[0])
	if err != nil {
		return err
	}
	one := c.fresh(n.Name + "_one")
	c.loadConstant(n, one, one, []int{1}, []float32{1})
	c.layer(n.Name, []string{one, x}, n.Outputs, lDivideBroadcastable, nil)
	return nil
}

// mapCast is an identity: run has checked that the output is float32, and an
// input of another dtype is refused by blob or checkValue of its producer.
func mapCast(c *converter, n *runtime.Node) error {
	return c.activation(n, n.Name, n.Inputs[0], n.Outputs[0], fActLinear, func(w *wire) { w.float(fActAlpha, 1) })
}
