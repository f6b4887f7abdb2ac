package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// ropeMap maps RotaryEmbedding (opset 23) as ONNX's reference computes it:
// the first rotary_embedding_dim entries of each head are split into pairs
// (the two halves, or even and odd entries when interleaved), rotated by the
// cos and sin caches (indexed by position_ids when given), and the rest of
// the head passes through.
func ropeMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 23, 3, 4, 1); err != nil {
		return err
	}
	interleaved, err := shapeFlag(c, "interleaved", 0)
	if err != nil {
		return err
	}
	heads, err := c.attrInt("num_heads", 0)
	if err != nil {
		return err
	}
	rotDim, err := c.attrInt("rotary_embedding_dim", 0)
	if err != nil {
		return err
	}
	call := func(op string, attrs ops.Attrs, in ...string) (string, error) { return cmpCall(c, op, attrs, in...) }
	x := c.in(0)
	xt := c.typeOf(x)
	rank4 := len(xt.a) == 4
	// x as [B, S, H, d]
	switch {
	case rank4:
		if x, err = call("transpose", ops.Attrs{"perm": []int{0, 2, 1, 3}}, x); err != nil {
			return err
		}
	case len(xt.a) == 3:
		if heads < 1 {
			return c.errorf(ErrInvalidModel, "3-D input needs attribute num_heads")
		}
		if x, err = call("reshape", ops.Attrs{"shape": []int{0, 0, heads, -1}}, x); err != nil {
			return err
		}
	default:
		return c.inputErrorf(0, ErrInvalidModel, "rank %d, want 3 or 4", len(xt.a))
	}
	t := c.typeOf(x)
	if t.dynamic(3) {
		return c.inputErrorf(0, ErrUnsupported, "RotaryEmbedding with a symbolic head size")
	}
	head := t.a[3]
	if rotDim == 0 {
		rotDim = head
	}
	if rotDim%2 != 0 || rotDim > head {
		return c.errorf(ErrInvalidModel, "rotary_embedding_dim %d for head size %d", rotDim, head)
	}
	half := rotDim / 2
	cos, sin := c.in(1), c.in(2)
	if pos := c.in(3); pos != "" {
		if cos, err = call("gather", ops.Attrs{"axis": 0}, cos, pos); err != nil {
			return err
		}
		if sin, err = call("gather", ops.Attrs{"axis": 0}, sin, pos); err != nil {
			return err
		}
	}
	// caches [B, S, half] → [B, S, 1, half]
	for _, p := range []*string{&cos, &sin} {
		ct := c.typeOf(*p)
		if len(ct.a) != 3 {
			return c.errorf(ErrInvalidModel, "cos/sin cache rank %d after position lookup, want 3", len(ct.a))
		}
		if *p, err = call("reshape", ops.Attrs{"shape": []int{0, 0, 1, ct.a[2]}}, *p); err != nil {
			return err
		}
		if *p, err = call("slice", ops.Attrs{"starts": []int{0}, "ends": []int{half}, "axes": []int{3}}, *p); err != nil {
			return err
		}
	}
	rot := x
	var rest string
	if rotDim < head {
		if rot, err = call("slice", ops.Attrs{"starts": []int{0}, "ends": []int{rotDim}, "axes": []int{3}}, x); err != nil {
			return err
		}
		if rest, err = call("slice", ops.Attrs{"starts": []int{rotDim}, "ends": []int{head}, "axes": []int{3}}, x); err != nil {
			return err
		}
	}
	var x1, x2 string
	if interleaved {
		if x1, err = call("slice", ops.Attrs{"starts": []int{0}, "ends": []int{rotDim}, "axes": []int{3}, "steps": []int{2}}, rot); err != nil {
			return err
		}
		if x2, err = call("slice", ops.Attrs{"starts": []int{1}, "ends": []int{rotDim}, "axes": []int{3}, "steps": []int{2}}, rot); err != nil {
			return err
		}
	} else {
		if x1, err = call("slice", ops.Attrs{"starts": []int{0}, "ends": []int{half}, "axes": []int{3}}, rot); err != nil {
			return err
		}
		if x2, err = call("slice", ops.Attrs{"starts": []int{half}, "ends": []int{rotDim}, "axes": []int{3}}, rot); err != nil {
			return err
		}
	}
	prod := func(a, b string) (string, error) { return call("mul", nil, a, b) }
	c1, err := prod(cos, x1)
	if err != nil {
		return err
	}
	s2, err := prod(sin, x2)
	if err != nil {
		return err
	}
	s1, err := prod(sin, x1)
	if err != nil {
		return err
	}
	c2, err := prod(cos, x2)
	if err != nil {
		return err
	}
	real, err := call("sub", nil, c1, s2)
	if err != nil {
		return err
	}
	imag, err := call("add", nil, s1, c2)
	if err != nil {
		return err
	}
	var out string
	if interleaved {
		shape := []int{0, 0, 0, half, 1}
		if real, err = call("reshape", ops.Attrs{"shape": shape}, real); err != nil {
			return err
		}
		if imag, err = call("reshape", ops.Attrs{"shape": shape}, imag); err != nil {
			return err
		}
		if out, err = call("concat", ops.Attrs{"axis": 4}, real, imag); err != nil {
			return err
		}
		if out, err = call("reshape", ops.Attrs{"shape": []int{0, 0, 0, rotDim}}, out); err != nil {
			return err
		}
	} else if out, err = call("concat", ops.Attrs{"axis": 3}, real, imag); err != nil {
		return err
	}
	if rest != "" {
		if out, err = call("concat", ops.Attrs{"axis": 3}, out, rest); err != nil {
			return err
		}
	}
	if rank4 {
		return c.emit("transpose", ops.Attrs{"perm": []int{0, 2, 1, 3}}, []string{out}, c.out(0))
	}
	return c.emit("reshape", ops.Attrs{"shape": []int{0, 0, -1}}, []string{out}, c.out(0))
}
