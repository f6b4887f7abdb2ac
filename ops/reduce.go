package ops

import (
	"slices"

	"github.com/backplane-ml/backplane/tensor"
)

// Reductions: reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_mean,
// and the index reductions argmax and argmin.

// reduceAttrs is the attribute schema shared by the reduce_* ops.
var reduceAttrs = []AttrSpec{
	{Name: "axes", Kind: AttrInts, Doc: "axes to reduce, negative counting from the end; absent or empty reduces every axis; an axis may not repeat"},
	{Name: "keepdims", Kind: AttrInt, Doc: "1 (default) keeps each reduced axis as a dimension of size 1, 0 drops it"},
}

// argAttrs is the attribute schema shared by argmax and argmin.
var argAttrs = []AttrSpec{
	{Name: "axis", Kind: AttrInt, Doc: "the axis to search, negative counting from the end; default 0"},
	{Name: "keepdims", Kind: AttrInt, Doc: "1 (default) keeps the searched axis as a dimension of size 1, 0 drops it"},
	{Name: "select_last_index", Kind: AttrInt, Doc: "0 (default) returns the first index among ties, 1 the last"},
}

func init() {
	const reduceCommon = " over the axes in attribute axes (every axis when absent or empty), " +
		"accumulating in float64 for float dtypes and int64 for integer dtypes, then rounding or " +
		"narrowing once to the input dtype. A rank-0 input with no axes yields the scalar itself."
	reductions := []struct {
		name, doc string
		floatOnly bool
	}{
		{"reduce_sum", "Sums x" + reduceCommon +
			" Reducing a zero-size axis gives 0. Integer sums wrap like two's-complement arithmetic.", false},
		{"reduce_prod", "Multiplies the elements of x" + reduceCommon +
			" Reducing a zero-size axis gives 1. Integer products wrap like int64 arithmetic, then are narrowed.", false},
		{"reduce_max", "Takes the maximum of x" + reduceCommon +
			" Reducing a zero-size axis gives -inf (integers: the dtype's minimum), as in ONNX opset 18. " +
			"A NaN anywhere in the reduced elements makes the result NaN (numpy's max).", false},
		{"reduce_min", "Takes the minimum of x" + reduceCommon +
			" Reducing a zero-size axis gives +inf (integers: the dtype's maximum), as in ONNX opset 18. " +
			"A NaN anywhere in the reduced elements makes the result NaN (numpy's min).", false},
		{"reduce_mean", "Averages x" + reduceCommon +
			" Float dtypes only. Reducing a zero-size axis gives NaN (0/0).", true},
	}
	for _, r := range reductions {
		Register(&Op{
			Name:   r.name,
			Doc:    r.doc,
			Inputs: []InputSpec{{Name: "x"}},
			Attrs:  reduceAttrs,
			Infer:  reduceInfer(r.floatOnly),
		})
	}

	const argCommon = " of x along attribute axis as int64. " +
		"A NaN ranks beyond every number and NaNs tie with each other, so without select_last_index the " +
		"first NaN wins, as in numpy (ONNX does not say); with select_last_index=1 the last NaN wins, as " +
		"ONNX's reference implementation (numpy on the flipped axis) gives. A zero-size searched axis is an error."
	Register(&Op{
		Name:   "argmax",
		Doc:    "Returns the index of the largest element" + argCommon,
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  argAttrs,
		Infer:  argInfer,
	})
	Register(&Op{
		Name:   "argmin",
		Doc:    "Returns the index of the smallest element" + argCommon,
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  argAttrs,
		Infer:  argInfer,
	})
}

// ReduceAxes returns the axes a reduce_* op with attributes a reduces over an
// input of the given rank: normalized into [0, rank), sorted ascending, and
// every axis when the axes attribute is absent or empty. Backends call it so
// they read the attribute exactly as inference does.
func ReduceAxes(a Attrs, rank int) ([]int, error) {
	axes := a.Ints("axes", nil)
	if len(axes) == 0 {
		all := make([]int, rank)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	if len(axes) > rank {
		// Some axis must repeat or be out of range; say so without sizing
		// anything by the untrusted list length.
		return nil, AttrErrorf("axes", "%d axes for an input of rank %d", len(axes), rank)
	}
	out, err := normalizeAxes(axes, rank, "axes")
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// reduceFlag reads a 0/1 flag attribute, def when absent, rejecting other values.
func reduceFlag(a Attrs, name string, def int) (bool, error) {
	v := a.Int(name, def)
	if v != 0 && v != 1 {
		return false, AttrErrorf(name, "is %d, want 0 or 1", v)
	}
	return v == 1, nil
}

// reduceShape is the shape of x reduced over the sorted axes.
func reduceShape(x tensor.Shape, axes []int, keepdims bool) tensor.Shape {
	out := make(tensor.Shape, 0, len(x))
	for d, n := range x {
		if _, reduced := slices.BinarySearch(axes, d); reduced {
			if keepdims {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

func reduceInfer(floatOnly bool) func(in []Type, a Attrs) ([]Type, error) {
	return func(in []Type, a Attrs) ([]Type, error) {
		check := requireNumeric
		if floatOnly {
			check = requireFloat
		}
		if err := check(in, 0); err != nil {
			return nil, err
		}
		keep, err := reduceFlag(a, "keepdims", 1)
		if err != nil {
			return nil, err
		}
		axes, err := ReduceAxes(a, len(in[0].Shape))
		if err != nil {
			return nil, err
		}
		return one(Type{DType: in[0].DType, Shape: reduceShape(in[0].Shape, axes, keep)}), nil
	}
}

func argInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireNumeric(in, 0); err != nil {
		return nil, err
	}
	x := in[0].Shape
	if len(x) == 0 {
		return nil, InputErrorf(0, "rank 0; argmax and argmin need an axis to search")
	}
	keep, err := reduceFlag(a, "keepdims", 1)
	if err != nil {
		return nil, err
	}
	if _, err := reduceFlag(a, "select_last_index", 0); err != nil {
		return nil, err
	}
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(x))
	if err != nil {
		return nil, AttrErrorf("axis", "%v", err)
	}
	if x[axis] == 0 {
		return nil, InputErrorf(0, "shape %v has no elements along axis %d to search", x, axis)
	}
	return one(Type{DType: tensor.Int64, Shape: reduceShape(x, []int{axis}, keep)}), nil
}
