package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// GridSample (opsets 16 to 22, any number of spatial dims) composed of
// catalog ops, following ONNX's reference: grid coordinates (last spatial
// dim first) are denormalized (align_corners maps ±1 to the corner pixels'
// centres, otherwise to their outer edges), coordinates beyond the border
// are clamped (border) or reflected (reflection), then each output value is
// the weighted sum of its taps (nearest: 1, linear: 2, cubic: 4 per dim,
// Keys a = −0.75), each tap fetched with gather_nd from the channel-last
// input; a tap outside the input reads 0 (zeros), the edge (border) or its
// reflection.

func init() { register("GridSample", gsMap) }

// gsMaxCombos bounds the taps per output point (each is one gather_nd):
// cubic over 3 spatial dims is 64.
const gsMaxCombos = 64

// gsB builds float expressions of the grid's dtype.
type gsB struct {
	c   *converter
	d   tensor.DType
	err error
}

func (b *gsB) op(op string, attrs ops.Attrs, in ...string) string {
	if b.err != nil {
		return ""
	}
	v, err := cmpCall(b.c, op, attrs, in...)
	b.err = err
	return v
}

func (b *gsB) k(v float64) string {
	if b.err != nil {
		return ""
	}
	s, err := cmpScalar(b.c, b.d, v)
	b.err = err
	return s
}

func (b *gsB) add(x, y string) string { return b.op("add", nil, x, y) }
func (b *gsB) sub(x, y string) string { return b.op("sub", nil, x, y) }
func (b *gsB) mul(x, y string) string { return b.op("mul", nil, x, y) }

// reflect folds x into [lo, hi] as ONNX's reference does.
func (b *gsB) reflect(x string, lo, hi float64) string {
	rng := hi - lo
	if rng <= 0 {
		return b.op("where", nil, b.op("is_nan", nil, x), x, b.mul(x, b.k(0)))
	}
	below := b.op("less", nil, x, b.k(lo))
	above := b.op("greater", nil, x, b.k(hi))
	dx := b.op("where", nil, below, b.sub(b.k(lo), x), b.sub(x, b.k(hi)))
	n := b.op("floor", nil, b.mul(dx, b.k(1/rng))) // dx >= 0 where used: trunc is floor
	r := b.sub(dx, b.mul(n, b.k(rng)))
	odd := b.op("equal", nil, b.op("mod", ops.Attrs{"fmod": 1}, n, b.k(2)), b.k(1))
	fromLo, fromHi := b.add(b.k(lo), r), b.sub(b.k(hi), r)
	lowSide := b.op("where", nil, odd, fromHi, fromLo)
	highSide := b.op("where", nil, odd, fromLo, fromHi)
	return b.op("where", nil, below, lowSide, b.op("where", nil, above, highSide, x))
}

// cubic returns the Keys weight of distance t (|t| < 2), a = −0.75.
func (b *gsB) cubic(t string) string {
	const a = -0.75
	x := b.op("abs", nil, t)
	x2 := b.mul(x, x)
	x3 := b.mul(x2, x)
	near := b.add(b.sub(b.mul(b.k(a+2), x3), b.mul(b.k(a+3), x2)), b.k(1))
	far := b.add(b.sub(b.add(b.mul(b.k(a), x3), b.mul(b.k(8*a), x)), b.mul(b.k(5*a), x2)), b.k(-4*a))
	return b.op("where", nil, b.op("less_equal", nil, x, b.k(1)), near, far)
}

func gsMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 16, 2, 2, 1); err != nil {
		return err
	}
	mode, err := c.attrString("mode", "linear")
	if err != nil {
		return err
	}
	switch mode {
	case "bilinear":
		mode = "linear"
	case "bicubic":
		mode = "cubic"
	case "linear", "nearest", "cubic":
	default:
		return c.errorf(ErrInvalidModel, "attribute \"mode\" is %q", mode)
	}
	padding, err := c.attrString("padding_mode", "zeros")
	if err != nil {
		return err
	}
	if padding != "zeros" && padding != "border" && padding != "reflection" {
		return c.errorf(ErrInvalidModel, "attribute \"padding_mode\" is %q", padding)
	}
	align, err := shapeFlag(c, "align_corners", 0)
	if err != nil {
		return err
	}
	xt, gt := c.typeOf(c.in(0)), c.typeOf(c.in(1))
	r := len(xt.a) - 2
	if r < 1 || len(gt.a) != r+2 || gt.a[r+1] != r {
		return c.inputErrorf(1, ErrInvalidModel, "grid shape %v for input shape %v", gt.a, xt.a)
	}
	for i := 2; i < len(xt.a); i++ {
		if xt.dynamic(i) {
			return c.inputErrorf(0, ErrUnsupported, "GridSample over symbolic spatial dims")
		}
	}
	if !gt.dtype.IsFloat() || !xt.dtype.IsFloat() {
		return c.errorf(ErrUnsupported, "GridSample of %v with a %v grid", xt.dtype, gt.dtype)
	}
	perDim := map[string]int{"nearest": 1, "linear": 2, "cubic": 4}[mode]
	combos := 1
	for range r {
		combos *= perDim
		if combos > gsMaxCombos {
			return c.errorf(ErrUnsupported, "GridSample %s over %d spatial dims gathers more than %d taps per point", mode, r, gsMaxCombos)
		}
	}
	b := &gsB{c: c, d: xt.dtype}
	dims := xt.a[2:]
	grid, err := cmpCast(c, c.in(1), xt.dtype)
	if err != nil {
		return err
	}
	outSpatial := gt.a[1 : r+1]
	coordShape := append([]int{0}, outSpatial...) // [N, O...]
	// Per spatial dim i: taps (index, weight) lists.
	type tap struct{ idx, w string }
	taps := make([][]tap, r)
	for i := range r {
		g := b.op("slice", ops.Attrs{"starts": []int{r - 1 - i}, "ends": []int{r - i}, "axes": []int{r + 1}}, grid)
		g = b.op("reshape", ops.Attrs{"shape": coordShape}, g)
		size := float64(dims[i])
		var x string
		lo, hi := -0.5, size-0.5
		if align {
			x = b.mul(b.add(g, b.k(1)), b.k((size-1)/2))
			lo, hi = 0, size-1
		} else {
			x = b.mul(b.sub(b.mul(b.add(g, b.k(1)), b.k(size)), b.k(1)), b.k(0.5))
		}
		if mode == "nearest" {
			x = b.op("round", nil, x) // half to even
		}
		outside := b.op("or", nil, b.op("less", nil, x, b.k(lo)), b.op("greater", nil, x, b.k(hi)))
		switch padding {
		case "border":
			x = b.op("where", nil, outside, b.op("clip", ops.Attrs{"min": 0.0, "max": size - 1}, x), x)
		case "reflection":
			x = b.reflect(x, lo, hi)
		}
		switch mode {
		case "nearest":
			taps[i] = []tap{{idx: x, w: ""}}
		case "linear":
			f := b.op("floor", nil, x)
			t := b.sub(x, f)
			taps[i] = []tap{{f, b.sub(b.k(1), t)}, {b.add(f, b.k(1)), t}}
		case "cubic":
			f := b.op("floor", nil, x)
			t := b.sub(x, f)
			for off := -1; off <= 2; off++ {
				taps[i] = append(taps[i], tap{b.add(f, b.k(float64(off))), b.cubic(b.sub(t, b.k(float64(off))))})
			}
		}
		// Tap indices: zeros reads 0 outside; border clamps; reflection reflects (then truncates).
		for k := range taps[i] {
			idx := taps[i][k].idx
			valid := ""
			switch padding {
			case "zeros":
				valid = b.op("and", nil, b.op("greater_equal", nil, idx, b.k(0)), b.op("less_equal", nil, idx, b.k(size-1)))
				idx = b.op("clip", ops.Attrs{"min": 0.0, "max": size - 1}, idx)
			case "border":
				idx = b.op("clip", ops.Attrs{"min": 0.0, "max": size - 1}, idx)
			case "reflection":
				idx = b.op("clip", ops.Attrs{"min": 0.0, "max": size - 1}, b.reflect(idx, lo, hi))
			}
			if valid != "" {
				vw := b.op("cast", ops.Attrs{"to": xt.dtype.String()}, valid)
				if taps[i][k].w == "" {
					taps[i][k].w = vw
				} else {
					taps[i][k].w = b.mul(taps[i][k].w, vw)
				}
			}
			idx = b.op("cast", ops.Attrs{"to": "int64"}, idx) // non-negative: truncation is floor
			taps[i][k].idx = b.op("reshape", ops.Attrs{"shape": append(append([]int{}, coordShape...), 1)}, idx)
		}
	}
	// channel-last input [N, S..., C]
	perm := []int{0}
	for i := range r {
		perm = append(perm, 2+i)
	}
	perm = append(perm, 1)
	xl := b.op("transpose", ops.Attrs{"perm": perm}, c.in(0))
	var sum string
	combo := make([]int, r)
	for {
		var idxParts []string
		w := ""
		for i := range r {
			t := taps[i][combo[i]]
			idxParts = append(idxParts, t.idx)
			if t.w != "" {
				if w == "" {
					w = t.w
				} else {
					w = b.mul(w, t.w)
				}
			}
		}
		coords := idxParts[0]
		if r > 1 {
			coords = b.op("concat", ops.Attrs{"axis": r + 1}, idxParts...)
		}
		v := b.op("gather_nd", ops.Attrs{"batch_dims": 1}, xl, coords) // [N, O..., C]
		if w != "" {
			w = b.op("reshape", ops.Attrs{"shape": append(append([]int{}, coordShape...), 1)}, w)
			v = b.mul(v, w)
		}
		if sum == "" {
			sum = v
		} else {
			sum = b.add(sum, v)
		}
		k := r - 1
		for k >= 0 {
			combo[k]++
			if combo[k] < len(taps[k]) {
				break
			}
			combo[k] = 0
			k--
		}
		if k < 0 {
			break
		}
	}
	back := []int{0, r + 1}
	for i := range r {
		back = append(back, 1+i)
	}
	y := b.op("transpose", ops.Attrs{"perm": back}, sum)
	if b.err != nil {
		return b.err
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}
