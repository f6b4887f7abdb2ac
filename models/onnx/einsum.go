package onnx

import (
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Einsum composed of catalog ops: each operand's repeated letters take the
// diagonal (a product with an identity mask, then a sum over one copy), its
// axes are ordered by one global letter order with size-1 axes for letters
// it lacks, the operands are multiplied with broadcasting, the letters
// missing from the output are summed away and the rest transposed into the
// output's order. Ellipses become letters of their own. This materializes
// the broadcast product, so it suits the modest sizes Einsum is used at.

func init() { register("Einsum", einsumMap) }

// einsumMaxProduct bounds the materialized broadcast product.
const einsumMaxProduct = 1 << 28

func einsumMap(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 12); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	eq, err := c.attrString("equation", "")
	if err != nil {
		return err
	}
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(c.node.Inputs) {
		return c.errorf(ErrInvalidModel, "equation %q has %d operands, the node %d inputs", eq, len(terms), len(c.node.Inputs))
	}
	// Ellipsis letters: uppercase letters not used elsewhere, one per broadcast dim.
	maxEll := 0
	for i, t := range terms {
		if strings.Contains(t, "...") {
			r := len(c.typeOf(c.in(i)).a) - (len(t) - 3)
			if r < 0 {
				return c.errorf(ErrInvalidModel, "term %q does not fit input rank %d", t, len(c.typeOf(c.in(i)).a))
			}
			maxEll = max(maxEll, r)
		}
	}
	ellLetters := ""
	for ch := 'A'; ch <= 'Z' && len(ellLetters) < maxEll; ch++ {
		if !strings.ContainsRune(eq, ch) {
			ellLetters += string(ch)
		}
	}
	if len(ellLetters) < maxEll {
		return c.errorf(ErrUnsupported, "equation %q has too many broadcast dims", eq)
	}
	expand := func(t string, rank int) string {
		if !strings.Contains(t, "...") {
			return t
		}
		k := rank - (len(t) - 3)
		return strings.Replace(t, "...", ellLetters[maxEll-k:], 1)
	}
	for i := range terms {
		terms[i] = expand(terms[i], len(c.typeOf(c.in(i)).a))
	}
	var out string
	if explicit {
		out = strings.Replace(rhs, "...", ellLetters, 1)
	} else {
		count := map[rune]int{}
		for _, t := range terms {
			for _, ch := range t {
				count[ch]++
			}
		}
		var once []rune
		for ch, k := range count {
			if k == 1 && !strings.ContainsRune(ellLetters, ch) {
				once = append(once, ch)
			}
		}
		slices.Sort(once)
		out = ellLetters + string(once)
	}
	// Global letter order: the output's letters, then the summed ones.
	order := []rune(out)
	sizes := map[rune]int{}
	for i, t := range terms {
		shape := c.typeOf(c.in(i)).a
		if len(shape) != len(t) {
			return c.errorf(ErrInvalidModel, "term %q does not match input %d of rank %d", t, i, len(shape))
		}
		for k, ch := range t {
			if !slices.Contains(order, ch) {
				order = append(order, ch)
			}
			if s, ok := sizes[ch]; !ok || s == 1 {
				sizes[ch] = shape[k]
			}
		}
	}
	total := 1
	for _, ch := range order {
		total *= max(sizes[ch], 1)
		if total > einsumMaxProduct {
			return c.errorf(ErrUnsupported, "equation %q: its broadcast product has more than %d elements", eq, einsumMaxProduct)
		}
	}
	var prod string
	for i, t := range terms {
		v, letters, err := einsumPrepare(c, c.in(i), []rune(t))
		if err != nil {
			return err
		}
		// transpose to the global order, then reshape with 1s for absent letters
		var perm []int
		for _, ch := range order {
			if k := slices.Index(letters, ch); k >= 0 {
				perm = append(perm, k)
			}
		}
		if !slices.Equal(perm, einsumIota(len(perm))) {
			if v, err = cmpCall(c, "transpose", ops.Attrs{"perm": perm}, v); err != nil {
				return err
			}
		}
		shape := make([]int, len(order))
		vt := c.typeOf(v)
		k := 0
		for j, ch := range order {
			shape[j] = 1
			if slices.Contains(letters, ch) {
				shape[j] = vt.a[k]
				k++
			}
		}
		if v, err = cmpCall(c, "reshape", ops.Attrs{"shape": shape}, v); err != nil {
			return err
		}
		if prod == "" {
			prod = v
		} else if prod, err = cmpCall(c, "mul", nil, prod, v); err != nil {
			return err
		}
	}
	if len(order) > len(out) {
		var axes []int
		for j := len(out); j < len(order); j++ {
			axes = append(axes, j)
		}
		if prod, err = cmpCall(c, "reduce_sum", ops.Attrs{"axes": axes, "keepdims": 0}, prod); err != nil {
			return err
		}
	}
	// A letter of the output every operand lacks keeps size 1; expand it.
	want := make([]int, len(out))
	for j, ch := range out {
		want[j] = sizes[ch]
	}
	if !c.typeOf(prod).a.Equal(want) {
		if prod, err = cmpCall(c, "expand", ops.Attrs{"shape": want}, prod); err != nil {
			return err
		}
	}
	return c.emit("identity", nil, []string{prod}, c.out(0))
}

func einsumIota(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// einsumPrepare takes the diagonal over each repeated letter of one operand
// and returns the value with its (now distinct) letters.
func einsumPrepare(c *converter, v string, letters []rune) (string, []rune, error) {
	for {
		i, j := -1, -1
		for a := range letters {
			for b := a + 1; b < len(letters); b++ {
				if letters[a] == letters[b] {
					i, j = a, b
					break
				}
			}
			if i >= 0 {
				break
			}
		}
		if i < 0 {
			return v, letters, nil
		}
		vt := c.typeOf(v)
		n := vt.a[i]
		if vt.a[j] != n || vt.dynamic(i) {
			return "", nil, c.errorf(ErrInvalidModel, "repeated letter %q over axes of sizes %d and %d", letters[i], vt.a[i], vt.a[j])
		}
		// identity mask over axes i and j, broadcast against v
		shape := make([]int, len(letters))
		for k := range shape {
			shape[k] = 1
		}
		shape[i], shape[j] = n, n
		eye := make([]float64, n*n)
		for k := range n {
			eye[k*n+k] = 1
		}
		et, err := tensor.FromFloat64s(vt.dtype, tensor.Shape(shape), eye)
		if err != nil {
			return "", nil, err
		}
		m, err := cmpCall(c, "mul", nil, v, c.addConst(et))
		if err != nil {
			return "", nil, err
		}
		if v, err = cmpCall(c, "reduce_sum", ops.Attrs{"axes": []int{j}, "keepdims": 0}, m); err != nil {
			return "", nil, err
		}
		letters = append(slices.Clone(letters[:j]), letters[j+1:]...)
	}
}
