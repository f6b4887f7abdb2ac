package coreml

import "slices"

// The rule checker's N-d layers: ConcatND, SplitND, SliceStatic,
// BatchedMatMul, Squeeze and ExpandDims, ConstantPad, the reductions and
// LayerNormalization (NeuralNetworkLayerValidator.cpp for parameters,
// NeuralNetwork.proto for shapes).

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
