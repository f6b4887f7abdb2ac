package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Attention (opsets 23 and 24) and RotaryEmbedding (opset 23) composed of
// catalog ops, following ONNX's reference: Q and K are each scaled by
// sqrt(scale), the key/value caches are concatenated before the product,
// softcap (when set) applies to Q·Kᵀ before the mask, boolean masks become
// 0/−Inf biases, causal masking is bottom-right aligned (offset by the past
// length, or per batch by nonpad_kv_seqlen − q_len without a past), and
// grouped-query attention repeats each key/value head for its group.

func init() {
	register("Attention", attnMap)
	register("RotaryEmbedding", ropeMap)
}

// attnB holds the composition's state.
type attnB struct {
	c *converter
	d tensor.DType // Q's dtype
}

func (b attnB) call(op string, attrs ops.Attrs, in ...string) (string, error) {
	return cmpCall(b.c, op, attrs, in...)
}

// toBias turns a bool mask into a 0/−Inf bias of Q's dtype (a float mask is returned as is).
func (b attnB) toBias(m string) (string, error) {
	if b.c.typeOf(m).dtype != tensor.Bool {
		return m, nil
	}
	zero, err := cmpScalar(b.c, b.d, 0)
	if err != nil {
		return "", err
	}
	ninf, err := cmpScalar(b.c, b.d, math.Inf(-1))
	if err != nil {
		return "", err
	}
	return b.call("where", nil, m, zero, ninf)
}

// to4D returns v as [B, H, S, d]: 3-D inputs [B, S, H·d] are split into heads.
func (b attnB) to4D(v string, heads int) (string, error) {
	if len(b.c.typeOf(v).a) == 4 {
		return v, nil
	}
	if heads < 1 {
		return "", b.c.errorf(ErrInvalidModel, "3-D inputs need q_num_heads and kv_num_heads")
	}
	r, err := b.call("reshape", ops.Attrs{"shape": []int{0, 0, heads, -1}}, v)
	if err != nil {
		return "", err
	}
	return b.call("transpose", ops.Attrs{"perm": []int{0, 2, 1, 3}}, r)
}

func attnMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 23, 3, 7, 4); err != nil {
		return err
	}
	qT := c.typeOf(c.in(0))
	b := attnB{c: c, d: qT.dtype}
	if !b.d.IsFloat() {
		return c.inputErrorf(0, ErrInvalidModel, "Q is %v, want a float tensor", b.d)
	}
	causal, err := shapeFlag(c, "is_causal", 0)
	if err != nil {
		return err
	}
	qHeads, err := c.attrInt("q_num_heads", 0)
	if err != nil {
		return err
	}
	kvHeads, err := c.attrInt("kv_num_heads", 0)
	if err != nil {
		return err
	}
	mode, err := c.attrInt("qk_matmul_output_mode", 0)
	if err != nil {
		return err
	}
	softcap, err := c.attrFloat("softcap", 0)
	if err != nil {
		return err
	}
	precision := b.d
	if c.hasAttr("softmax_precision") {
		p, err := c.attrInt("softmax_precision", 0)
		if err != nil {
			return err
		}
		if precision, err = dtypeOf(onnxpb.DataType(p)); err != nil || !precision.IsFloat() {
			return c.errorf(ErrUnsupported, "attribute \"softmax_precision\" %d", p)
		}
	}
	rank3 := len(qT.a) == 3
	q, err := b.to4D(c.in(0), qHeads)
	if err != nil {
		return err
	}
	k, err := b.to4D(c.in(1), kvHeads)
	if err != nil {
		return err
	}
	v, err := b.to4D(c.in(2), kvHeads)
	if err != nil {
		return err
	}
	qs := c.typeOf(q)
	for _, i := range []int{1, 2, 3} {
		if qs.dynamic(i) {
			return c.inputErrorf(0, ErrUnsupported, "Attention with symbolic heads, sequence or head size")
		}
	}
	scale := 1 / math.Sqrt(float64(qs.a[3]))
	if c.hasAttr("scale") {
		if scale, err = c.attrFloat("scale", 0); err != nil {
			return err
		}
	}
	pastLen := 0
	if c.in(4) != "" {
		pastLen = c.typeOf(c.in(4)).a[2]
		if k, err = b.call("concat", ops.Attrs{"axis": 2}, c.in(4), k); err != nil {
			return err
		}
	}
	if c.in(5) != "" {
		if v, err = b.call("concat", ops.Attrs{"axis": 2}, c.in(5), v); err != nil {
			return err
		}
	}
	for i, val := range []string{k, v} {
		if out := c.out(1 + i); out != "" {
			if err := c.emit("identity", nil, []string{val}, out); err != nil {
				return err
			}
		}
	}
	kt := c.typeOf(k)
	if kt.dynamic(1) || kt.dynamic(2) {
		return c.inputErrorf(1, ErrUnsupported, "Attention with symbolic key heads or length")
	}
	qLen, total := qs.a[2], kt.a[2]

	// The bias: mask (padded with −Inf/false up to the total length), causal frontier, padding.
	bias := ""
	if m := c.in(3); m != "" {
		mt := c.typeOf(m)
		if pad := total - mt.a[len(mt.a)-1]; pad > 0 {
			pads := make([]int, 2*len(mt.a))
			pads[2*len(mt.a)-1] = pad
			val := math.Inf(-1)
			if mt.dtype == tensor.Bool {
				val = 0
			}
			if m, err = b.call("pad", ops.Attrs{"pads": pads, "value": val}, m); err != nil {
				return err
			}
		}
		if bias, err = b.toBias(m); err != nil {
			return err
		}
	}
	nonpad := c.in(6)
	if causal {
		var frontier string
		if pastLen == 0 && nonpad != "" {
			// allowed[b, i, j] = j <= i + nonpad[b] − q_len
			off, err := cmpCast(c, nonpad, tensor.Int64)
			if err != nil {
				return err
			}
			ql := c.addConst(tensor.Scalar(int64(qLen)))
			if off, err = b.call("sub", nil, off, ql); err != nil {
				return err
			}
			if off, err = b.call("reshape", ops.Attrs{"shape": []int{-1, 1, 1, 1}}, off); err != nil {
				return err
			}
			iv := make([]int64, qLen)
			for i := range iv {
				iv[i] = int64(i)
			}
			jv := make([]int64, total)
			for j := range jv {
				jv[j] = int64(j)
			}
			lim, err := b.call("add", nil, c.addConst(tensor.MustFromSlice(iv, 1, 1, qLen, 1)), off)
			if err != nil {
				return err
			}
			allowed, err := b.call("less_equal", nil, c.addConst(tensor.MustFromSlice(jv, 1, 1, 1, total)), lim)
			if err != nil {
				return err
			}
			if frontier, err = b.toBias(allowed); err != nil {
				return err
			}
		} else {
			// query i sees keys j <= past + i (compared from two iotas, so
			// no q×total constant is stored)
			iv := make([]int64, qLen)
			for i := range iv {
				iv[i] = int64(i + pastLen)
			}
			jv := make([]int64, total)
			for j := range jv {
				jv[j] = int64(j)
			}
			allowed, err := b.call("less_equal", nil, c.addConst(tensor.MustFromSlice(jv, 1, total)),
				c.addConst(tensor.MustFromSlice(iv, qLen, 1)))
			if err != nil {
				return err
			}
			if frontier, err = b.toBias(allowed); err != nil {
				return err
			}
		}
		if bias == "" {
			bias = frontier
		} else if bias, err = b.call("add", nil, bias, frontier); err != nil {
			return err
		}
	}
	if nonpad != "" {
		np, err := cmpCast(c, nonpad, tensor.Int64)
		if err != nil {
			return err
		}
		if np, err = b.call("reshape", ops.Attrs{"shape": []int{-1, 1, 1, 1}}, np); err != nil {
			return err
		}
		jv := make([]int64, total)
		for j := range jv {
			jv[j] = int64(j)
		}
		keep, err := b.call("less", nil, c.addConst(tensor.MustFromSlice(jv, 1, 1, 1, total)), np)
		if err != nil {
			return err
		}
		padBias, err := b.toBias(keep)
		if err != nil {
			return err
		}
		if bias == "" {
			bias = padBias
		} else if bias, err = b.call("add", nil, bias, padBias); err != nil {
			return err
		}
	}

	// Grouped-query attention: repeat each key/value head for its group.
	if kvH := kt.a[1]; qs.a[1] != kvH {
		if kvH == 0 || qs.a[1]%kvH != 0 {
			return c.errorf(ErrInvalidModel, "%d query heads are not a multiple of %d key/value heads", qs.a[1], kvH)
		}
		g := qs.a[1] / kvH
		for _, p := range []*string{&k, &v} {
			t := c.typeOf(*p)
			r, err := b.call("reshape", ops.Attrs{"shape": []int{0, kvH, 1, t.a[2], t.a[3]}}, *p)
			if err != nil {
				return err
			}
			if r, err = b.call("expand", ops.Attrs{"shape": []int{1, 1, g, 1, 1}}, r); err != nil {
				return err
			}
			if *p, err = b.call("reshape", ops.Attrs{"shape": []int{0, kvH * g, t.a[2], t.a[3]}}, r); err != nil {
				return err
			}
		}
	}

	sq, err := cmpScalar(c, b.d, math.Sqrt(scale))
	if err != nil {
		return err
	}
	if q, err = b.call("mul", nil, q, sq); err != nil {
		return err
	}
	if k, err = b.call("mul", nil, k, sq); err != nil {
		return err
	}
	kT, err := b.call("transpose", ops.Attrs{"perm": []int{0, 1, 3, 2}}, k)
	if err != nil {
		return err
	}
	qk, err := b.call("matmul", nil, q, kT)
	if err != nil {
		return err
	}
	if softcap > 0 {
		sc, err := cmpScalar(c, b.d, softcap)
		if err != nil {
			return err
		}
		if qk, err = b.call("div", nil, qk, sc); err != nil {
			return err
		}
		if qk, err = b.call("tanh", nil, qk); err != nil {
			return err
		}
		if qk, err = b.call("mul", nil, qk, sc); err != nil {
			return err
		}
	}
	withBias := qk
	if bias != "" {
		if bias, err = cmpCast(c, bias, b.d); err != nil {
			return err
		}
		if withBias, err = b.call("add", nil, qk, bias); err != nil {
			return err
		}
	}
	pre, err := cmpCast(c, withBias, precision)
	if err != nil {
		return err
	}
	sm, err := b.call("softmax", ops.Attrs{"axis": -1}, pre)
	if err != nil {
		return err
	}
	if bias != "" {
		// A row whose every key is masked attends to nothing: zeros, not
		// the NaN softmax gives for a row of −Inf.
		rowMax, err := b.call("reduce_max", ops.Attrs{"axes": []int{-1}, "keepdims": 1}, pre)
		if err != nil {
			return err
		}
		empty, err := b.call("is_inf", ops.Attrs{"detect_positive": 0}, rowMax)
		if err != nil {
			return err
		}
		zero, err := cmpScalar(c, precision, 0)
		if err != nil {
			return err
		}
		if sm, err = b.call("where", nil, empty, zero, sm); err != nil {
			return err
		}
	}
	if out := c.out(3); out != "" {
		src := qk
		switch mode {
		case 2:
			src = withBias
		case 3:
			if src, err = cmpCast(c, sm, b.d); err != nil {
				return err
			}
		}
		if err := c.emit("identity", nil, []string{src}, out); err != nil {
			return err
		}
	}
	vp, err := cmpCast(c, v, precision)
	if err != nil {
		return err
	}
	y, err := b.call("matmul", nil, sm, vp)
	if err != nil {
		return err
	}
	if y, err = cmpCast(c, y, b.d); err != nil {
		return err
	}
	if rank3 {
		if y, err = b.call("transpose", ops.Attrs{"perm": []int{0, 2, 1, 3}}, y); err != nil {
			return err
		}
		if y, err = b.call("reshape", ops.Attrs{"shape": []int{0, 0, -1}}, y); err != nil {
			return err
		}
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}
