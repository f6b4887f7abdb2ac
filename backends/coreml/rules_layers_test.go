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

func (c *ruleChecker) convolution(l pbLayer, where string, in [][]int) [][]int {
	p := l.params
	c.rule("conv.padding-type", p.has(50) || p.has(51), where, "no padding type")
	deconv := p.bool(60)
	outC, kc, g := int(p.uint(1)), int(p.uint(2)), max(1, int(p.uint(10)))
	k, s, d := orDefaults(p.ints(20), 3, 3), orDefaults(p.ints(30), 1, 1), orDefaults(p.ints(40), 1, 1)
	c.rule("conv.dynamic-weights", len(l.inputs) == 1 || (!deconv && !p.bool(70) && !slices.ContainsFunc(d, func(v int) bool { return v > 1 })),
		where, "weights as an input with deconvolution, a static bias or dilation %v", d)
	if len(k) != 2 || len(s) != 2 || len(d) != 2 {
		c.rule("conv.shape", false, where, "kernelSize %v, stride %v, dilationFactor %v: want [H, W] each", k, s, d)
		return nil
	}
	if len(l.inputs) == 1 {
		w, b := readWeight(p, 90), readWeight(p, 91)
		c.weightType(where, w, b)
		want := outC * kc * k[0] * k[1]
		if deconv {
			want = kc * (outC / g) * k[0] * k[1]
		}
		c.rule("conv.weights", (w.typ() == "float32" || w.typ() == "float16") && w.count() == want, where,
			"%d %s weights, want %d", w.count(), w.typ(), want)
		if p.bool(70) {
			c.rule("conv.bias", b.count() == outC && b.typ() == w.typ(), where,
				"%d %s bias values with %s weights, want %d", b.count(), b.typ(), w.typ(), outC)
		} else {
			c.rule("conv.bias", b.typ() == "empty", where, "a bias without hasBias")
		}
	}
	if in == nil || len(in) != 1 || !p.has(50) {
		return nil // weights as an input, or same padding: not in the checker's shape model
	}
	x := in[0]
	if !c.rule("rank", len(x) >= 4, where, "Convolution input rank %d, want >= 4", len(x)) {
		return nil
	}
	r := len(x)
	cin := x[r-3]
	chOK := kc*g == cin && outC%g == 0
	if deconv {
		chOK = kc == cin && outC%g == 0
	}
	pads, ok := validBorders(p.msg(50))
	if !c.rule("conv.shape", chOK && ok, where, "input channels %d, kernelChannels %d, nGroups %d, outputChannels %d, borders %v",
		cin, kc, g, outC, pads) {
		return nil
	}
	out := append(slices.Clone(x[:r-3]), outC, 0, 0)
	for i := range 2 {
		if deconv {
			out[r-2+i] = (x[r-2+i]-1)*s[i] + k[i] - pads[2*i] - pads[2*i+1]
		} else {
			eff := (k[i]-1)*d[i] + 1
			out[r-2+i] = (x[r-2+i]+pads[2*i]+pads[2*i+1]-eff)/s[i] + 1
			if x[r-2+i]+pads[2*i]+pads[2*i+1] < eff {
				out[r-2+i] = 0
			}
		}
	}
	if !c.rule("conv.shape", out[r-2] >= 1 && out[r-1] >= 1, where, "output %v from input %v", out, x) {
		return nil
	}
	return [][]int{out}
}

func (c *ruleChecker) pooling(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	c.rule("pooling.padding-type", p.has(30) || p.has(31) || p.has(32), where, "no padding type")
	c.rule("pooling.shape", p.uint(1) <= 2, where, "pooling type %d", p.uint(1))
	if !shape || !c.rule("rank", len(x) >= 4, where, "Pooling input rank %d, want >= 4", len(x)) {
		return nil
	}
	r := len(x)
	if p.bool(60) {
		return [][]int{append(slices.Clone(x[:r-2]), 1, 1)}
	}
	if !p.has(30) {
		return nil // same / includeLastPixel: not in the checker's shape model
	}
	k, s := orDefaults(p.ints(10), 3, 3), orDefaults(p.ints(20), 1, 1)
	pads, ok := validBorders(p.msg(30))
	if !c.rule("pooling.shape", ok && len(k) == 2 && len(s) == 2, where, "kernel %v, stride %v, borders %v", k, s, pads) {
		return nil
	}
	out := slices.Clone(x)
	for i := range 2 {
		span := x[r-2+i] + pads[2*i] + pads[2*i+1]
		out[r-2+i] = 0
		if span >= k[i] && s[i] > 0 {
			out[r-2+i] = (span-k[i])/s[i] + 1
		}
	}
	if !c.rule("pooling.shape", out[r-2] >= 1 && out[r-1] >= 1, where, "output %v from input %v", out, x) {
		return nil
	}
	return [][]int{out}
}

func (c *ruleChecker) batchnorm(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	ch := int(p.uint(1))
	var ws [4]weightInfo
	f32, f16 := false, false
	for i, f := range []protowire.Number{15, 16, 17, 18} {
		ws[i] = readWeight(p, f)
		f32 = f32 || ws[i].typ() == "float32"
		f16 = f16 || ws[i].typ() == "float16"
	}
	c.weightType(where, ws[:]...)
	c.rule("batchnorm.params", !(f32 && f16), where, "parameters mix float32 and float16")
	n := 2
	if !p.bool(5) { // computeMeanVar unset: mean and variance are parameters
		n = 4
	}
	for i, name := range []string{"gamma", "beta", "mean", "variance"}[:n] {
		c.rule("batchnorm.params", (ws[i].typ() == "float32" || ws[i].typ() == "float16") && ws[i].count() == ch, where,
			"%s holds %d %s values, want %d", name, ws[i].count(), ws[i].typ(), ch)
	}
	if !shape || !c.rule("rank", len(x) >= 3, where, "Batchnorm input rank %d, want >= 3", len(x)) {
		return nil
	}
	c.rule("batchnorm.shape", x[len(x)-3] == ch, where, "channels %d, input %v", ch, x)
	return [][]int{x}
}

func (c *ruleChecker) padding(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	c.rule("padding.params", p.has(1) || p.has(2) || p.has(3), where, "no padding type")
	var b []int
	ok := true
	if p.has(10) {
		b, ok = validBorders(pbWrap(p, 10))
	} else {
		b = []int{0, 0, 0, 0}
	}
	c.rule("padding.params", ok, where, "border amounts are neither 0 nor 2")
	if !shape || !ok || !c.rule("rank", len(x) >= 2, where, "Padding input rank %d, want >= 2", len(x)) {
		return nil
	}
	out := slices.Clone(x)
	r := len(x)
	out[r-2] += b[0] + b[1]
	out[r-1] += b[2] + b[3]
	return [][]int{out}
}

// pbWrap presents message field num of p as the field 1 of a message, the
// place validBorders reads BorderAmounts from.
func pbWrap(p pb, num protowire.Number) pb {
	return pb{t: p.t, f: map[protowire.Number][]pbField{1: p.f[num]}}
}

func (c *ruleChecker) concat(l pbLayer, where string, in [][]int, shape bool) [][]int {
	if !shape || len(in) < 1 {
		return nil
	}
	ax := int(int64(l.params.uint(1)))
	r := len(in[0])
	if !c.axis(where, ax, r) {
		return nil
	}
	if ax < 0 {
		ax += r
	}
	out := slices.Clone(in[0])
	for _, s := range in[1:] {
		ok := len(s) == r
		for i := 0; ok && i < r; i++ {
			ok = i == ax || s[i] == in[0][i]
		}
		if !c.rule("concatND.shape", ok, where, "inputs %v on axis %d", in, ax) {
			return nil
		}
		out[ax] += s[ax]
	}
	c.rule("concatND.shape", true, where, "")
	return [][]int{out}
}

func (c *ruleChecker) split(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	sizes := p.ints(3)
	n := len(sizes)
	if n == 0 {
		n = int(p.uint(2))
	}
	c.rule("splitND.params", n > 0 && n == len(l.outputs), where, "%d splits for %d outputs", n, len(l.outputs))
	if !shape || n == 0 {
		return nil
	}
	ax := int(int64(p.uint(1)))
	if !c.axis(where, ax, len(x)) {
		return nil
	}
	if ax < 0 {
		ax += len(x)
	}
	if len(sizes) == 0 {
		if !c.rule("splitND.params", x[ax]%n == 0, where, "dim %d does not split in %d", x[ax], n) {
			return nil
		}
		for range n {
			sizes = append(sizes, x[ax]/n)
		}
	}
	if !c.rule("splitND.params", sum(sizes) == x[ax] && !slices.ContainsFunc(sizes, func(s int) bool { return s < 1 }),
		where, "sizes %v for dim %d", sizes, x[ax]) {
		return nil
	}
	out := make([][]int, len(sizes))
	for i, s := range sizes {
		out[i] = slices.Clone(x)
		out[i][ax] = s
	}
	return out
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}

// slice works SliceStatic's shape out with the strided-slice meaning the
// schema describes: a masked begin starts at the first element in the
// stride's direction, a masked end runs to the last.
func (c *ruleChecker) slice(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	begin, end, strides := p.ints(1), p.ints(3), p.ints(5)
	bm, em := p.bools(2), p.bools(4)
	c.rule("sliceStatic.params", len(begin) > 0 && len(end) > 0 && len(strides) > 0 && len(bm) > 0 && len(em) > 0, where,
		"beginIds %v, endIds %v, strides %v, beginMasks %v, endMasks %v: each is required", begin, end, strides, bm, em)
	if !shape {
		return nil
	}
	r := len(x)
	if !c.rule("sliceStatic.params", len(begin) == r && len(end) == r && len(strides) == r && len(bm) == r && len(em) == r &&
		!p.has(6), where, "parameters for rank %d: %v %v %v %v %v (squeezeMasks is not modelled)", r, begin, end, strides, bm, em) {
		return nil
	}
	out := make([]int, r)
	for i, d := range x {
		st := strides[i]
		if !c.rule("sliceStatic.params", st != 0, where, "stride 0 on axis %d", i) {
			return nil
		}
		norm := func(v, lo, hi int) int {
			if v < 0 {
				v += d
			}
			return min(max(v, lo), hi)
		}
		var b, e int
		if st > 0 {
			b, e = norm(begin[i], 0, d), norm(end[i], 0, d)
			if bm[i] {
				b = 0
			}
			if em[i] {
				e = d
			}
			out[i] = max(0, (e-b+st-1)/st)
		} else {
			b, e = norm(begin[i], -1, d-1), norm(end[i], -1, d-1)
			if bm[i] {
				b = d - 1
			}
			if em[i] {
				e = -1
			}
			out[i] = max(0, (b-e-st-1)/(-st))
		}
	}
	if !c.rule("sliceStatic.params", !slices.Contains(out, 0), where, "empty slice %v of %v", out, x) {
		return nil
	}
	return [][]int{out}
}

func (c *ruleChecker) batchedMatmul(l pbLayer, where string, in [][]int, shape bool) [][]int {
	p := l.params
	if len(l.inputs) == 2 {
		c.rule("batchedMatmul.params", !p.bool(7) && !p.bool(10), where, "two inputs with hasBias or int8DynamicQuantize")
		if !shape {
			return nil
		}
		a, b := slices.Clone(in[0]), slices.Clone(in[1])
		if len(a) == 1 {
			a = []int{1, a[0]}
		}
		if len(b) == 1 {
			b = []int{b[0], 1}
		}
		if p.bool(1) {
			a[len(a)-1], a[len(a)-2] = a[len(a)-2], a[len(a)-1]
		}
		if p.bool(2) {
			b[len(b)-1], b[len(b)-2] = b[len(b)-2], b[len(b)-1]
		}
		batch, ok := broadcastShapes(a[:len(a)-2], b[:len(b)-2])
		if !c.rule("batchedMatmul.shape", ok && a[len(a)-1] == b[len(b)-2], where, "operands %v and %v", in[0], in[1]) {
			return nil
		}
		return [][]int{append(batch, a[len(a)-2], b[len(b)-1])}
	}
	rows, cols := int(p.uint(5)), int(p.uint(6))
	w, bias := readWeight(p, 8), readWeight(p, 9)
	c.weightType(where, w, bias)
	c.rule("batchedMatmul.params", (w.typ() == "float32" || w.typ() == "float16") && w.count() == rows*cols, where,
		"%d %s weights for a %d x %d matrix", w.count(), w.typ(), rows, cols)
	if p.bool(7) {
		c.rule("batchedMatmul.params", bias.count() == cols && bias.typ() == w.typ(), where,
			"%d %s bias values with %s weights, want %d", bias.count(), bias.typ(), w.typ(), cols)
	} else {
		c.rule("batchedMatmul.params", bias.typ() == "empty", where, "a bias without hasBias")
	}
	if !shape {
		return nil
	}
	x := in[0]
	if !c.rule("batchedMatmul.shape", len(x) >= 1 && x[len(x)-1] == rows && cols >= 1, where,
		"input %v against weightMatrixFirstDimension %d", x, rows) {
		return nil
	}
	return [][]int{append(slices.Clone(x[:len(x)-1]), cols)}
}

func (c *ruleChecker) squeezeExpand(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	axes := p.ints(1)
	squeeze := l.kind == "squeeze"
	if squeeze && p.bool(2) { // squeezeAll
		if !shape {
			return nil
		}
		var out []int
		for _, d := range x {
			if d != 1 {
				out = append(out, d)
			}
		}
		if len(out) == 0 {
			out = []int{1}
		}
		return [][]int{out}
	}
	unique := len(axes) > 0 && len(slices.Compact(slices.Sorted(slices.Values(axes)))) == len(axes)
	c.rule("squeeze-expand.axes", unique, where, "axes %v must be non-empty and unique", axes)
	if !shape || !unique {
		return nil
	}
	r := len(x)
	outRank := r + len(axes)
	if squeeze {
		outRank = max(1, r-len(axes))
	}
	norm := make([]int, len(axes))
	ok := true
	for i, a := range axes {
		ref := outRank
		if squeeze {
			ref = r
		}
		if a < 0 {
			a += ref
		}
		norm[i] = a
		ok = ok && a >= 0 && a < ref && (!squeeze || x[a] == 1)
	}
	ok = ok && len(slices.Compact(slices.Sorted(slices.Values(norm)))) == len(norm)
	if !c.rule("squeeze-expand.axes", ok, where, "axes %v for input %v", axes, x) {
		return nil
	}
	var out []int
	if squeeze {
		for i, d := range x {
			if !slices.Contains(norm, i) {
				out = append(out, d)
			}
		}
		if len(out) == 0 {
			out = []int{1}
		}
	} else {
		j := 0
		for i := range outRank {
			if slices.Contains(norm, i) {
				out = append(out, 1)
			} else {
				out = append(out, x[j])
				j++
			}
		}
	}
	return [][]int{out}
}

func (c *ruleChecker) constantPad(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	amounts := p.ints(2)
	if len(l.inputs) == 1 {
		c.rule("constantPad.params", len(amounts) > 0 && len(amounts)%2 == 0, where, "padAmounts %v", amounts)
		if p.bool(3) {
			for i := 0; i+1 < len(amounts); i += 2 {
				c.rule("constantPad.params", amounts[i] == 0 || amounts[i+1] == 0, where,
					"padToGivenOutputSizeMode with two non-zero amounts for axis %d", i/2)
			}
		}
	}
	if !shape || len(l.inputs) != 1 {
		return nil
	}
	c.rule("rank", true, where, "")
	if !c.rule("constantPad.params", len(amounts) == 2*len(x), where, "padAmounts %v for rank %d", amounts, len(x)) {
		return nil
	}
	out := slices.Clone(x)
	for i := range x {
		if p.bool(3) {
			out[i] = max(x[i], amounts[2*i]+amounts[2*i+1])
		} else {
			out[i] += amounts[2*i] + amounts[2*i+1]
		}
	}
	return [][]int{out}
}

func (c *ruleChecker) reduce(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	if !shape {
		return nil
	}
	axes := p.ints(1)
	if p.bool(3) { // reduceAll
		axes = nil
		for i := range x {
			axes = append(axes, i)
		}
	}
	if len(axes) == 0 {
		return nil // not in the checker's shape model
	}
	keep := p.bool(2)
	reduced := map[int]bool{}
	for _, a := range axes {
		if !c.axis(where, a, len(x)) {
			return nil
		}
		if a < 0 {
			a += len(x)
		}
		reduced[a] = true
	}
	var out []int
	for i, d := range x {
		switch {
		case !reduced[i]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	if len(out) == 0 {
		out = []int{1}
	}
	return [][]int{out}
}

func (c *ruleChecker) layerNorm(l pbLayer, where string, x []int, shape bool) [][]int {
	p := l.params
	norm := p.ints(1)
	g, b := readWeight(p, 3), readWeight(p, 4)
	c.weightType(where, g, b)
	c.rule("layerNorm.params", len(norm) > 0 && g.set && b.set && !g.quantOK && !b.quantOK, where,
		"normalizedShape %v, gamma set %v, beta set %v, quantized %v", norm, g.set, b.set, g.quantOK || b.quantOK)
	// The validator counts floatValue only: float16 bytes count as none.
	c.rule("layerNorm.params", g.floats == prod(norm) && b.floats == prod(norm), where,
		"gamma holds %d and beta %d float32 values (and %d, %d float16 bytes), want prod(normalizedShape %v) = %d",
		g.floats, b.floats, g.halfBytes, b.halfBytes, norm, prod(norm))
	if !shape {
		return nil
	}
	ok := len(norm) > 0 && len(norm) <= len(x) && slices.Equal(norm, x[len(x)-len(norm):])
	c.rule("layerNorm.shape", ok, where, "normalizedShape %v for input %v", norm, x)
	return [][]int{x}
}
