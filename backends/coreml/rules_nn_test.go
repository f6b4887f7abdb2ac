package coreml

import (
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// The rule checker's spatial and normalization layers: Convolution, Pooling,
// Batchnorm and Padding (NeuralNetworkLayerValidator.cpp for parameters,
// NeuralNetwork.proto for shapes).

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
