package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Data movement ops: they rearrange, select or repeat elements without
// computing on them, so they accept every dtype (bool, float16 and bfloat16
// included) and a kernel must copy elements exactly, never round-trip them
// through float64. The shape-deciding parameters that ONNX passes as tensors
// (reshape targets, split sizes, slice bounds, pads, repeats, expand shapes)
// are attributes here.

func init() {
	Register(&Op{
		Name: "reshape",
		Doc: "Reshape returns x with a new shape and the same elements in row-major order. " +
			"In shape, 0 copies the input dimension at the same position and one -1 is inferred " +
			"from the element count (ONNX Reshape with allowzero=0). An empty shape makes a scalar.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "shape", Kind: AttrInts, Required: true, Doc: "target shape; 0 copies the input dim, at most one -1 is inferred"},
		},
		Infer: inferReshape,
	})
	Register(&Op{
		Name:   "transpose",
		Doc:    "Transpose permutes the axes of x: output axis i is input axis perm[i] (ONNX Transpose).",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "perm", Kind: AttrInts, Doc: "a permutation of 0..rank-1; default reverses the axes"},
		},
		Infer: inferTranspose,
	})
	Register(&Op{
		Name: "concat",
		Doc: "Concat joins its inputs along axis (ONNX Concat). Every input has the same dtype and rank and " +
			"the same dims except along axis; inputs with zero elements are allowed.",
		Inputs: []InputSpec{{Name: "inputs", Variadic: true}},
		Attrs: []AttrSpec{
			{Name: "axis", Kind: AttrInt, Required: true, Doc: "axis to join along; negative counts from the end"},
		},
		Infer: inferConcat,
	})
	Register(&Op{
		Name: "split",
		Doc: "Split cuts x along axis into consecutive pieces, one output per piece (ONNX Split, opset 18). " +
			"Give either split (the piece sizes) or num_outputs: then every piece has ceil(dim/num_outputs) " +
			"elements except the last, which takes what remains (possibly 0); when the earlier pieces already " +
			"exceed dim (5 into 4 would need 2,2,2,-1) it is an error.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "axis", Kind: AttrInt, Doc: "axis to split; negative counts from the end; default 0"},
			{Name: "split", Kind: AttrInts, Doc: "sizes of the pieces, each >= 0, summing to the axis dim"},
			{Name: "num_outputs", Kind: AttrInt, Doc: "number of pieces when split is absent"},
		},
		Infer: inferSplit,
	})
	Register(&Op{
		Name: "tile",
		Doc:  "Tile repeats x repeats[i] times along each axis i (ONNX Tile).",
		Inputs: []InputSpec{
			{Name: "x"},
		},
		Attrs: []AttrSpec{
			{Name: "repeats", Kind: AttrInts, Required: true, Doc: "one count >= 0 per axis of x"},
		},
		Infer: inferTile,
	})
	Register(&Op{
		Name: "expand",
		Doc: "Expand broadcasts x against shape (ONNX Expand): the output shape is the numpy broadcast " +
			"of x's shape and shape, so a 1 in shape keeps x's dim and shape may have fewer dims than x.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "shape", Kind: AttrInts, Required: true, Doc: "shape to broadcast x against; dims >= 0"},
		},
		Infer: inferExpand,
	})
}

func inferReshape(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	spec := a.Ints("shape", nil)
	out := make(tensor.Shape, len(spec))
	inferAt := -1
	for i, d := range spec {
		switch {
		case d == 0:
			if i >= len(x.Shape) {
				return nil, AttrErrorf("shape", "shape[%d] is 0 (copy the input dim) but input %v has rank %d",
					i, x.Shape, len(x.Shape))
			}
			out[i] = x.Shape[i]
		case d == -1:
			if inferAt >= 0 {
				return nil, AttrErrorf("shape", "more than one -1 (at %d and %d) in %v", inferAt, i, spec)
			}
			inferAt = i
			out[i] = 1 // placeholder so the product below covers the known dims only
		case d < 0:
			return nil, AttrErrorf("shape", "shape[%d] is %d; dims must be >= -1", i, d)
		default:
			out[i] = d
		}
	}
	if err := out.Validate(); err != nil {
		return nil, AttrErrorf("shape", "%v", err)
	}
	n := x.Shape.NumElements()
	if inferAt >= 0 {
		known := out.NumElements()
		if known == 0 {
			return nil, AttrErrorf("shape", "cannot infer the -1 in %v: the other dims hold no elements", spec)
		}
		if n%known != 0 {
			return nil, AttrErrorf("shape", "cannot reshape %v (%d elements) to %v", x.Shape, n, spec)
		}
		out[inferAt] = n / known
	}
	if m := out.NumElements(); m != n {
		return nil, AttrErrorf("shape", "shape %v has %d elements, input %v has %d", out, m, x.Shape, n)
	}
	return one(Type{DType: x.DType, Shape: out}), nil
}

// TransposePerm returns transpose's permutation for an input of the given
// rank: the perm attribute, or the reversed axes when it is absent. It does
// not validate perm; ops.Infer has done that before any kernel runs.
func TransposePerm(a Attrs, rank int) []int {
	if p := a.Ints("perm", nil); p != nil {
		return p
	}
	p := make([]int, rank)
	for i := range p {
		p[i] = rank - 1 - i
	}
	return p
}

func inferTranspose(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	rank := len(x.Shape)
	perm := TransposePerm(a, rank)
	if len(perm) != rank {
		return nil, AttrErrorf("perm", "has %d entries, input %v has rank %d", len(perm), x.Shape, rank)
	}
	seen := make([]bool, rank)
	out := make(tensor.Shape, rank)
	for i, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			return nil, AttrErrorf("perm", "%v is not a permutation of 0..%d", perm, rank-1)
		}
		seen[p] = true
		out[i] = x.Shape[p]
	}
	return one(Type{DType: x.DType, Shape: out}), nil
}

func inferConcat(in []Type, a Attrs) ([]Type, error) {
	if err := requireSameDType(in); err != nil {
		return nil, err
	}
	first := in[0]
	rank := len(first.Shape)
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), rank)
	if err != nil {
		return nil, AttrErrorf("axis", "%v (input 0 has shape %v)", err, first.Shape)
	}
	out := first.Shape.Clone()
	for i := 1; i < len(in); i++ {
		s := in[i].Shape
		if len(s) != rank {
			return nil, InputErrorf(i, "rank %d (shape %v) differs from input 0's rank %d (shape %v)",
				len(s), s, rank, first.Shape)
		}
		for d := range s {
			if d != axis && s[d] != first.Shape[d] {
				return nil, InputErrorf(i, "dim %d is %d (shape %v), input 0 has %d (shape %v); "+
					"only the concat axis %d may differ", d, s[d], s, first.Shape[d], first.Shape, axis)
			}
		}
		// Each dim is at most tensor.MaxElements, so the sum cannot overflow
		// before Validate sees it for any input count that fits in memory.
		out[axis] += s[axis]
	}
	if err := out.Validate(); err != nil {
		return nil, InputErrorf(len(in)-1, "concatenated shape: %v", err)
	}
	return one(Type{DType: first.DType, Shape: out}), nil
}

// movementMaxSplitOutputs bounds num_outputs, which comes from an untrusted
// file and would otherwise size the output list even when the axis is empty.
const movementMaxSplitOutputs = 1 << 16

func inferSplit(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, AttrErrorf("axis", "%v (input has shape %v)", err, x.Shape)
	}
	dim := x.Shape[axis]
	hasSplit, hasNum := a.Has("split"), a.Has("num_outputs")
	var sizes []int
	switch {
	case hasSplit && hasNum:
		return nil, AttrErrorf("num_outputs", "give either split or num_outputs, not both")
	case hasSplit:
		sizes = a.Ints("split", nil)
		if len(sizes) == 0 {
			return nil, AttrErrorf("split", "is empty; want at least one size")
		}
		sum := 0
		for i, s := range sizes {
			if s < 0 || s > dim {
				return nil, AttrErrorf("split", "split[%d] is %d; sizes must be in [0, %d] (dim %d of %v)",
					i, s, dim, axis, x.Shape)
			}
			sum += s // each term <= dim <= MaxElements, and we stop once sum passes dim
			if sum > dim {
				break
			}
		}
		if sum != dim {
			return nil, AttrErrorf("split", "sizes %v do not sum to %d (dim %d of %v)", sizes, dim, axis, x.Shape)
		}
	case hasNum:
		n := a.Int("num_outputs", 0)
		if n < 1 || n > movementMaxSplitOutputs {
			return nil, AttrErrorf("num_outputs", "is %d; want 1..%d", n, movementMaxSplitOutputs)
		}
		chunk := (dim + n - 1) / n
		last := dim - chunk*(n-1) // chunk*(n-1) <= dim+n-1, no overflow
		if last < 0 {
			return nil, AttrErrorf("num_outputs", "dim %d (axis %d of %v) cannot be split into %d pieces of %d and a smaller last one",
				dim, axis, x.Shape, n, chunk)
		}
		sizes = make([]int, n)
		for i := range sizes {
			sizes[i] = chunk
		}
		sizes[n-1] = last
	default:
		return nil, AttrErrorf("num_outputs", "give either split or num_outputs")
	}
	out := make([]Type, len(sizes))
	for i, s := range sizes {
		sh := x.Shape.Clone()
		sh[axis] = s
		out[i] = Type{DType: x.DType, Shape: sh}
	}
	return out, nil
}

func inferTile(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	reps := a.Ints("repeats", nil)
	if len(reps) != len(x.Shape) {
		return nil, AttrErrorf("repeats", "has %d entries, input %v has rank %d", len(reps), x.Shape, len(x.Shape))
	}
	out := make(tensor.Shape, len(reps))
	for i, r := range reps {
		d := x.Shape[i]
		if r < 0 {
			return nil, AttrErrorf("repeats", "repeats[%d] is %d; want >= 0", i, r)
		}
		if d != 0 && r > tensor.MaxElements/d {
			return nil, AttrErrorf("repeats", "repeats[%d]=%d times dim %d exceeds %d elements", i, r, d, tensor.MaxElements)
		}
		out[i] = d * r
	}
	if err := out.Validate(); err != nil {
		return nil, AttrErrorf("repeats", "%v", err)
	}
	return one(Type{DType: x.DType, Shape: out}), nil
}

func inferExpand(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	shape := tensor.Shape(a.Ints("shape", nil))
	if err := shape.Validate(); err != nil {
		return nil, AttrErrorf("shape", "%v", err)
	}
	out, err := tensor.BroadcastShapes(x.Shape, shape)
	if err != nil {
		return nil, AttrErrorf("shape", "cannot expand %v to %v: %v", x.Shape, shape, err)
	}
	if err := out.Validate(); err != nil {
		return nil, AttrErrorf("shape", "%v", err)
	}
	return one(Type{DType: x.DType, Shape: out}), nil
}

func init() {
	Register(&Op{
		Name: "slice",
		Doc: "Slice takes elements starts[i], starts[i]+steps[i], ... up to but excluding ends[i] along " +
			"axis axes[i] (ONNX Slice). Negative starts and ends count from the end; out-of-range values " +
			"are clamped (to [0, dim] for a positive step, to [-1, dim-1] for a negative one), so huge " +
			"values like math.MaxInt64 mean \"to the end\".",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "starts", Kind: AttrInts, Required: true, Doc: "first index per sliced axis"},
			{Name: "ends", Kind: AttrInts, Required: true, Doc: "end index (exclusive) per sliced axis; same length as starts"},
			{Name: "axes", Kind: AttrInts, Doc: "axes the entries refer to; default 0..len(starts)-1; negative allowed, no repeats"},
			{Name: "steps", Kind: AttrInts, Doc: "stride per sliced axis, never 0; default 1"},
		},
		Infer: inferSlice,
	})
	Register(&Op{
		Name: "gather",
		Doc: "Gather picks entries of data along axis at the given indices (ONNX Gather): the output shape is " +
			"data.shape[:axis] + indices.shape + data.shape[axis+1:]. Negative indices count from the end; " +
			"an index out of range is an error when the op runs.",
		Inputs: []InputSpec{{Name: "data"}, {Name: "indices"}},
		Attrs: []AttrSpec{
			{Name: "axis", Kind: AttrInt, Doc: "axis of data to index; negative counts from the end; default 0"},
		},
		Infer: inferGather,
	})
	Register(&Op{
		Name: "pad",
		Doc: "Pad adds pads[i] elements before and pads[rank+i] after axis i (ONNX Pad). A negative pad " +
			"removes elements; pads on the same axis act as if the positive ones were applied first. Mode " +
			"constant fills with value (converted to the dtype; for integer and bool inputs it must be exactly " +
			"representable), edge repeats the border element, and reflect mirrors without repeating the " +
			"border (numpy's reflect), which needs each positive pad to be smaller than its dim.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "pads", Kind: AttrInts, Required: true, Doc: "2*rank counts: all begins, then all ends; negative crops"},
			{Name: "mode", Kind: AttrString, Doc: `"constant" (default), "reflect" or "edge"`},
			{Name: "value", Kind: AttrFloat, Doc: "fill value in constant mode; default 0"},
		},
		Infer: inferPad,
	})
}

// ResolveSlice works out where slice reads for an input of the given shape:
// for every axis the first input index and the step (axes the attributes do
// not name get 0 and 1), and the output shape. Backends use it so that they
// all clamp exactly as Infer does.
func ResolveSlice(shape tensor.Shape, a Attrs) (starts, steps []int, out tensor.Shape, err error) {
	rank := len(shape)
	st, en := a.Ints("starts", nil), a.Ints("ends", nil)
	if len(en) != len(st) {
		return nil, nil, nil, AttrErrorf("ends", "has %d entries, starts has %d", len(en), len(st))
	}
	var axes []int
	if a.Has("axes") {
		raw := a.Ints("axes", nil)
		if len(raw) != len(st) {
			return nil, nil, nil, AttrErrorf("axes", "has %d entries, starts has %d", len(raw), len(st))
		}
		if axes, err = normalizeAxes(raw, rank, "axes"); err != nil {
			return nil, nil, nil, err
		}
	} else {
		if len(st) > rank {
			return nil, nil, nil, AttrErrorf("starts", "has %d entries, input %v has rank %d", len(st), shape, rank)
		}
		axes = make([]int, len(st))
		for i := range axes {
			axes[i] = i
		}
	}
	stepAttr := a.Ints("steps", nil)
	if a.Has("steps") && len(stepAttr) != len(st) {
		return nil, nil, nil, AttrErrorf("steps", "has %d entries, starts has %d", len(stepAttr), len(st))
	}
	starts, steps, out = make([]int, rank), make([]int, rank), shape.Clone()
	for i := range steps {
		steps[i] = 1
	}
	for i, ax := range axes {
		k := 1
		if stepAttr != nil {
			k = stepAttr[i]
		}
		if k == 0 {
			return nil, nil, nil, AttrErrorf("steps", "steps[%d] is 0", i)
		}
		starts[ax], out[ax] = movementSliceAxis(shape[ax], st[i], en[i], k)
		steps[ax] = k
	}
	return starts, steps, out, nil
}

// movementSliceAxis applies ONNX's clamping to one axis of size d and returns
// the first index read and how many elements are read. It never overflows:
// adding d >= 0 to a negative value cannot, and after clamping every
// difference is bounded by d+1.
func movementSliceAxis(d, s, e, k int) (start, n int) {
	if s < 0 {
		s += d
	}
	if e < 0 {
		e += d
	}
	if k > 0 {
		s, e = min(max(s, 0), d), min(max(e, 0), d)
		if e <= s {
			return s, 0
		}
		return s, 1 + (e-s-1)/k
	}
	if d == 0 {
		return 0, 0
	}
	s, e = min(max(s, 0), d-1), min(max(e, -1), d-1)
	if s <= e {
		return s, 0
	}
	// k < 0 and s-e-1 >= 0: Go's truncating division gives -floor((s-e-1)/|k|)
	// without negating k, which would overflow for math.MinInt.
	return s, 1 - (s-e-1)/k
}

func inferSlice(in []Type, a Attrs) ([]Type, error) {
	_, _, out, err := ResolveSlice(in[0].Shape, a)
	if err != nil {
		return nil, err
	}
	return one(Type{DType: in[0].DType, Shape: out}), nil
}

func inferGather(in []Type, a Attrs) ([]Type, error) {
	data, idx := in[0], in[1]
	if idx.DType != tensor.Int32 && idx.DType != tensor.Int64 {
		return nil, InputErrorf(1, "indices dtype %v, want int32 or int64", idx.DType)
	}
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(data.Shape))
	if err != nil {
		return nil, AttrErrorf("axis", "%v (data has shape %v)", err, data.Shape)
	}
	out := make(tensor.Shape, 0, len(data.Shape)-1+len(idx.Shape))
	out = append(out, data.Shape[:axis]...)
	out = append(out, idx.Shape...)
	out = append(out, data.Shape[axis+1:]...)
	if err := out.Validate(); err != nil {
		return nil, InputErrorf(1, "gathered shape: %v", err)
	}
	return one(Type{DType: data.DType, Shape: out}), nil
}

func inferPad(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	rank := len(x.Shape)
	pads := a.Ints("pads", nil)
	if len(pads) != 2*rank {
		return nil, AttrErrorf("pads", "has %d entries, want 2*rank = %d for input %v", len(pads), 2*rank, x.Shape)
	}
	mode := a.String("mode", "constant")
	if mode != "constant" && mode != "reflect" && mode != "edge" {
		return nil, AttrErrorf("mode", "is %q; want constant, reflect or edge", mode)
	}
	if mode == "constant" && !x.DType.IsFloat() {
		if err := movementCheckFill(a.Float("value", 0), x.DType); err != nil {
			return nil, err
		}
	}
	out := make(tensor.Shape, rank)
	for i, d := range x.Shape {
		b, e := pads[i], pads[rank+i]
		for _, p := range [2]int{b, e} {
			if p < -tensor.MaxElements || p > tensor.MaxElements {
				return nil, AttrErrorf("pads", "pad %d on axis %d is out of range", p, i)
			}
			switch {
			case mode == "edge" && d == 0 && p > 0:
				return nil, AttrErrorf("pads", "edge mode cannot pad axis %d of %v: it is empty", i, x.Shape)
			case mode == "reflect" && p > 0 && p >= d:
				return nil, AttrErrorf("pads", "reflect pad %d on axis %d must be smaller than the dim %d of %v",
					p, i, d, x.Shape)
			}
		}
		// All three terms are within ±MaxElements, so the sum cannot overflow.
		if out[i] = d + b + e; out[i] < 0 {
			return nil, AttrErrorf("pads", "pads %d and %d remove more than the %d elements of axis %d", b, e, d, i)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, AttrErrorf("pads", "%v", err)
	}
	return one(Type{DType: x.DType, Shape: out}), nil
}

// movementCheckFill rejects a pad value an integer or bool tensor cannot hold
// exactly, so that no backend has to pick a rounding or wrapping rule.
func movementCheckFill(v float64, d tensor.DType) error {
	lo, hi := 0.0, 1.0 // bool
	switch d {
	case tensor.Int8:
		lo, hi = -128, 127
	case tensor.Uint8:
		lo, hi = 0, 255
	case tensor.Int32:
		lo, hi = -(1 << 31), 1<<31-1
	case tensor.Int64:
		lo, hi = -(1 << 63), 1<<63-1024 // the largest float64 below 2^63
	}
	if v != v || v < lo || v > hi || v != float64(int64(v)) {
		return AttrErrorf("value", "%v is not representable as %v", v, d)
	}
	return nil
}
