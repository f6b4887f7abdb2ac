package coreml

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// The checker's per-layer rules (NeuralNetworkLayerValidator.cpp and
// NeuralNetworkValidatorUtils.hpp) and its shape model (the layer
// descriptions of NeuralNetwork.proto). Field numbers are NeuralNetwork.proto's.

// layerIO is the [min inputs, max inputs, min outputs, max outputs] each layer
// type's validator function passes to validateInputCount and
// validateOutputCount (a bound <= 0 is no bound, as there).
var layerIO = map[string][4]int{
	"convolution": {1, 2, 1, 1}, "pooling": {1, 1, 1, 1}, "activation": {1, 1, 1, 1}, "batchnorm": {1, 1, 1, 1},
	"lrn": {1, 1, 1, 1}, "padding": {1, 1, 1, 1}, "unary": {1, 1, 1, 1}, "clip": {1, 1, 1, 1},
	"ceil": {1, 1, 1, 1}, "floor": {1, 1, 1, 1}, "sign": {1, 1, 1, 1}, "erf": {1, 1, 1, 1}, "gelu": {1, 1, 1, 1},
	"minBroadcastable": {2, 2, 1, 1}, "maxBroadcastable": {2, 2, 1, 1}, "addBroadcastable": {2, 2, 1, 1},
	"powBroadcastable": {2, 2, 1, 1}, "divideBroadcastable": {2, 2, 1, 1}, "multiplyBroadcastable": {2, 2, 1, 1},
	"subtractBroadcastable": {2, 2, 1, 1}, "tile": {1, 2, 1, 1}, "softmaxND": {1, 1, 1, 1},
	"splitND": {1, 1, 2, -1}, "concatND": {2, -1, 1, 1}, "transpose": {1, 1, 1, 1}, "sliceStatic": {1, 1, 1, 1},
	"batchedMatmul": {1, 2, 1, 1}, "loadConstantND": {0, 0, 1, 1}, "broadcastToStatic": {1, 1, 1, 1},
	"squeeze": {1, 1, 1, 1}, "expandDims": {1, 1, 1, 1}, "reshapeStatic": {1, 1, 1, 1}, "constantPad": {1, 2, 1, 1},
	"reduceMax": {1, 1, 1, 1}, "reduceMin": {1, 1, 1, 1}, "reduceSum": {1, 1, 1, 1}, "reduceProd": {1, 1, 1, 1},
	"reduceMean": {1, 1, 1, 1}, "layerNormalization": {1, 1, 1, 1},
}

// countOK is validateInputCount's test: exact when min == max > 0, else each
// positive bound applies.
func countOK(n, lo, hi int) bool {
	switch {
	case hi > 0 && hi == lo:
		return n == hi
	case lo > 0 && n < lo:
		return false
	case hi > 0 && n > hi:
		return false
	}
	return true
}

// layer checks one layer, then records its outputs and their shapes.
func (c *ruleChecker) layer(l pbLayer) {
	where := fmt.Sprintf("layer %q (%s)", l.name, l.kind)
	in := make([][]int, len(l.inputs))
	known := true
	for i, b := range l.inputs {
		_, ok := c.producer[b]
		c.rule("blob-defined", ok, where, "input %q is not defined before this layer", b)
		s, ok := c.shapes[b]
		in[i], known = s, known && ok
	}
	io := layerIO[l.kind]
	c.rule("io-count", countOK(len(l.inputs), io[0], io[1]) && countOK(len(l.outputs), io[2], io[3]), where,
		"%d inputs and %d outputs; the type takes inputs %d..%d and outputs %d..%d (<= 0: unbounded)",
		len(l.inputs), len(l.outputs), io[0], io[1], io[2], io[3])
	var out [][]int
	if known || len(l.inputs) == 0 {
		out = c.layerShapes(l, where, in)
	} else {
		c.layerShapes(l, where, nil) // parameter rules only
	}
	for i, b := range l.outputs {
		prev, dup := c.producer[b]
		c.rule("blob-single-producer", !dup, where, "output %q is already produced by %q (\"\" is a model input)", b, prev)
		c.producer[b] = l.name
		delete(c.shapes, b)
		if i < len(out) && out[i] != nil {
			c.shapes[b] = out[i]
		}
	}
}

// layerShapes applies the rules of l's type. With in nil (an input's shape
// is unknown) only the parameter rules apply; otherwise it returns the
// output shapes (a nil entry where the checker's shape model stops).
func (c *ruleChecker) layerShapes(l pbLayer, where string, in [][]int) [][]int {
	p := l.params
	shape := in != nil
	var x []int
	if shape && len(in) > 0 {
		x = in[0]
	}
	same := func() [][]int {
		if !shape {
			return nil
		}
		return [][]int{x}
	}
	switch l.kind {
	case "convolution":
		return c.convolution(l, where, in)
	case "pooling":
		return c.pooling(l, where, x, shape)
	case "activation":
		members := []protowire.Number{5, 10, 15, 20, 25, 30, 31, 40, 41, 50, 60, 70, 71}
		n := 0
		for _, f := range members {
			if p.has(f) {
				n++
			}
		}
		c.rule("activation.type", n == 1 && len(p.f) == 1, where, "activation sets %d known non-linearities (fields %v)", n, keys(p.f))
		return same()
	case "batchnorm":
		return c.batchnorm(l, where, x, shape)
	case "lrn":
		c.rule("lrn.k", p.float(4) >= 0, where, "k = %v", p.float(4))
		if shape {
			c.rule("rank", len(x) >= 3, where, "LRN input rank %d, want >= 3", len(x))
		}
		return same()
	case "padding":
		return c.padding(l, where, x, shape)
	case "unary":
		c.rule("unary.type", p.uint(1) <= 7, where, "operation %d", p.uint(1))
		if shape {
			c.rule("rank", true, where, "")
		}
		return same()
	case "clip":
		c.rule("clip.range", p.float(1) <= p.float(2), where, "minval %v > maxval %v", p.float(1), p.float(2))
		return same()
	case "gelu":
		c.rule("gelu.mode", p.uint(1) <= 2, where, "mode %d", p.uint(1))
		return same()
	case "erf", "floor", "ceil", "sign":
		return same()
	case "softmaxND":
		if shape {
			c.axis(where, int(int64(p.uint(1))), len(x))
		}
		return same()
	case "minBroadcastable", "maxBroadcastable", "addBroadcastable", "powBroadcastable", "divideBroadcastable",
		"multiplyBroadcastable", "subtractBroadcastable":
		if !shape || len(in) != 2 {
			return nil
		}
		s, ok := broadcastShapes(in[0], in[1])
		if !c.rule("broadcast.shape", ok, where, "shapes %v and %v do not broadcast", in[0], in[1]) {
			return nil
		}
		return [][]int{s}
	case "tile":
		reps := p.ints(1)
		if !shape {
			return nil
		}
		ok := len(reps) >= 1 && len(reps) <= len(x) && !slices.ContainsFunc(reps, func(r int) bool { return r < 1 })
		if !c.rule("tile.reps", ok, where, "reps %v for rank %d", reps, len(x)) {
			return nil
		}
		out := slices.Clone(x)
		for i, r := range reps {
			out[len(x)-len(reps)+i] *= r
		}
		return [][]int{out}
	case "concatND":
		return c.concat(l, where, in, shape)
	case "splitND":
		return c.split(l, where, x, shape)
	case "transpose":
		axes := p.ints(1)
		c.rule("transpose.axes", len(axes) > 0, where, "no axes")
		if !shape {
			return nil
		}
		sorted := slices.Sorted(slices.Values(axes))
		perm := len(axes) == len(x)
		for i, a := range sorted {
			perm = perm && a == i
		}
		if !c.rule("transpose.axes", perm, where, "axes %v are not a permutation of rank %d", axes, len(x)) {
			return nil
		}
		out := make([]int, len(x))
		for i, a := range axes {
			out[i] = x[a]
		}
		return [][]int{out}
	case "sliceStatic":
		return c.slice(l, where, x, shape)
	case "batchedMatmul":
		return c.batchedMatmul(l, where, in, shape)
	case "loadConstantND":
		s := p.ints(1)
		c.rule("loadConstantND.params", len(s) >= 1 && len(s) <= 5, where, "shape %v, want length 1 to 5", s)
		w := readWeight(p, 2)
		c.weightType(where, w)
		c.rule("loadConstantND.params", w.count() == prod(s), where, "%d %s values for shape %v", w.count(), w.typ(), s)
		if slices.ContainsFunc(s, func(d int) bool { return d < 1 }) {
			return nil
		}
		return [][]int{s}
	case "reshapeStatic":
		s := p.ints(1)
		c.rule("target-shape", len(s) > 0, where, "no target shape")
		if !shape {
			return nil
		}
		if !c.rule("target-shape", prod(s) == prod(x) && !slices.ContainsFunc(s, func(d int) bool { return d < 1 }),
			where, "reshape of %v to %v", x, s) {
			return nil
		}
		return [][]int{s}
	case "broadcastToStatic":
		s := p.ints(1)
		c.rule("target-shape", len(s) > 0, where, "no target shape")
		if !shape {
			return nil
		}
		b, ok := broadcastShapes(x, s)
		if !c.rule("target-shape", ok && slices.Equal(b, s), where, "%v does not broadcast to %v", x, s) {
			return nil
		}
		return [][]int{s}
	case "squeeze", "expandDims":
		return c.squeezeExpand(l, where, x, shape)
	case "constantPad":
		return c.constantPad(l, where, x, shape)
	case "reduceMax", "reduceMin", "reduceSum", "reduceProd", "reduceMean":
		return c.reduce(l, where, x, shape)
	case "layerNormalization":
		return c.layerNorm(l, where, x, shape)
	}
	panic("rule checker: no rules for layer type " + l.kind)
}

// weightType applies the one-storage rule and notes float16 weights.
func (c *ruleChecker) weightType(where string, ws ...weightInfo) {
	for _, w := range ws {
		if !w.set {
			continue
		}
		c.rule("weights-one-type", w.typ() != "mixed", where, "a WeightParams holds more than one storage")
		if w.typ() == "float16" {
			c.halves = true
		}
	}
}

func (c *ruleChecker) axis(where string, ax, rank int) bool {
	return c.rule("axis", ax >= -rank && ax < rank, where, "axis %d for rank %d", ax, rank)
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// broadcastShapes is numpy's broadcast of two shapes.
func broadcastShapes(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// border reads a ValidPadding's BorderAmounts as [top, bottom, left, right]
// (all zero when absent) and whether it has the 0 or 2 entries it may have.
func validBorders(v pb) ([]int, bool) {
	if !v.has(1) {
		return []int{0, 0, 0, 0}, true
	}
	edges := v.msg(1).msgs(10)
	switch len(edges) {
	case 0:
		return []int{0, 0, 0, 0}, true
	case 2:
		return []int{int(edges[0].uint(1)), int(edges[0].uint(2)), int(edges[1].uint(1)), int(edges[1].uint(2))}, true
	}
	return nil, false
}

func orDefaults(v []int, def ...int) []int {
	if len(v) == 0 {
		return def
	}
	return v
}
