package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Indexing and ordering: gather_elements, scatter_elements, gather_nd,
// scatter_nd (ONNX's ops of those names), cumsum and topk.

// The scatter reductions, spelled as ONNX spells them.
const (
	ScatterNone = "none"
	ScatterAdd  = "add"
	ScatterMul  = "mul"
	ScatterMax  = "max"
	ScatterMin  = "min"
)

// topkMaxK bounds topk's k (the output is at most the input anyway).
const topkMaxK = tensor.MaxElements

func init() {
	reduction := AttrSpec{Name: "reduction", Kind: AttrString,
		Doc: "none (default: the update replaces the entry; with repeated indices the last one wins), add, mul, max or min"}
	Register(&Op{
		Name: "gather_elements",
		Doc: "out[i0…] = data[i0…, indices[i0…], …] with the index replacing coordinate axis (ONNX " +
			"GatherElements). indices is int32 or int64 with data's rank; its shape is the output's and may not " +
			"exceed data's on any other axis. Negative indices count from the end; one out of range is an error " +
			"when the op runs.",
		Inputs: []InputSpec{{Name: "data"}, {Name: "indices"}},
		Attrs:  []AttrSpec{{Name: "axis", Kind: AttrInt, Doc: "default 0; negative counts from the end"}},
		Infer:  gatherElementsInfer,
	})
	Register(&Op{
		Name: "scatter_elements",
		Doc: "A copy of data where, for each position p of indices, the entry p with coordinate axis replaced " +
			"by indices[p] is combined with updates[p] by reduction (ONNX ScatterElements). indices and updates " +
			"share one shape, of data's rank and within data's on every other axis. Negative indices count from " +
			"the end; one out of range is an error when the op runs.",
		Inputs: []InputSpec{{Name: "data"}, {Name: "indices"}, {Name: "updates"}},
		Attrs:  []AttrSpec{{Name: "axis", Kind: AttrInt, Doc: "default 0; negative counts from the end"}, reduction},
		Infer:  scatterElementsInfer,
	})
	Register(&Op{
		Name: "gather_nd",
		Doc: "Gathers slices of data addressed by the last axis of indices (ONNX GatherND): with b = batch_dims " +
			"and m = indices.shape[-1] (1 <= m <= rank(data) − b), the output shape is indices.shape[:-1] + " +
			"data.shape[b+m:]. The first b axes of data and indices are batch axes and must agree.",
		Inputs: []InputSpec{{Name: "data"}, {Name: "indices"}},
		Attrs:  []AttrSpec{{Name: "batch_dims", Kind: AttrInt, Doc: "default 0"}},
		Infer:  gatherNDInfer,
	})
	Register(&Op{
		Name: "scatter_nd",
		Doc: "A copy of data where the slices addressed by the last axis of indices (m entries) are combined " +
			"with updates (shape indices.shape[:-1] + data.shape[m:]) by reduction (ONNX ScatterND).",
		Inputs: []InputSpec{{Name: "data"}, {Name: "indices"}, {Name: "updates"}},
		Attrs:  []AttrSpec{reduction},
		Infer:  scatterNDInfer,
	})
	cumulativeAttrs := []AttrSpec{
		{Name: "axis", Kind: AttrInt, Doc: "default 0; negative counts from the end"},
		{Name: "exclusive", Kind: AttrInt, Doc: "0 (default) or 1"},
		{Name: "reverse", Kind: AttrInt, Doc: "0 (default) or 1"},
	}
	Register(&Op{
		Name: "cumsum",
		Doc: "Cumulative sum along axis (ONNX CumSum); exclusive leaves each element out of its own sum, " +
			"reverse sums from the end. Numeric dtypes; integers wrap.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  cumulativeAttrs,
		Infer:  cumsumInfer,
	})
	Register(&Op{
		Name: "cumprod",
		Doc: "Cumulative product along axis (ONNX CumProd); exclusive leaves each element out of its own " +
			"product (the first is 1), reverse multiplies from the end. Numeric dtypes; integers wrap.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  cumulativeAttrs,
		Infer:  cumsumInfer,
	})
	Register(&Op{
		Name: "topk",
		Doc: "The k largest (or with largest=0 smallest) entries along axis and their int64 indices (ONNX TopK), " +
			"in order from the most extreme; equal values keep their input order. NaN ranks above every number. " +
			"Numeric dtypes; 0 <= k <= the axis size.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "k", Kind: AttrInt, Required: true, Doc: "number of entries kept"},
			{Name: "axis", Kind: AttrInt, Doc: "default -1"},
			{Name: "largest", Kind: AttrInt, Doc: "1 (default) or 0"},
			{Name: "sorted", Kind: AttrInt, Doc: "1 (default) or 0; the output is sorted either way"},
		},
		Infer: topkInfer,
	})
}

func requireIndices(in []Type, i int) error {
	return requireDType(in, i, func(d tensor.DType) bool { return d == tensor.Int32 || d == tensor.Int64 }, "int32 or int64")
}

func scatterReduction(a Attrs) error {
	switch r := a.String("reduction", ScatterNone); r {
	case ScatterNone, ScatterAdd, ScatterMul, ScatterMax, ScatterMin:
		return nil
	default:
		return AttrErrorf("reduction", "%q is not one of none, add, mul, max, min", r)
	}
}

func gatherElementsInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireIndices(in, 1); err != nil {
		return nil, err
	}
	data, idx := in[0].Shape, in[1].Shape
	if len(data) == 0 || len(idx) != len(data) {
		return nil, InputErrorf(1, "rank %d, want data's rank %d (>= 1)", len(idx), len(data))
	}
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(data))
	if err != nil {
		return nil, AttrErrorf("axis", "%v", err)
	}
	for i := range data {
		if i != axis && idx[i] > data[i] {
			return nil, InputErrorf(1, "shape %v exceeds data's %v on axis %d", idx, data, i)
		}
	}
	if data[axis] == 0 && idx.NumElements() > 0 {
		return nil, InputErrorf(0, "axis %d is empty, so no index is valid", axis)
	}
	return one(Type{DType: in[0].DType, Shape: idx.Clone()}), nil
}

func scatterElementsInfer(in []Type, a Attrs) ([]Type, error) {
	if err := scatterReduction(a); err != nil {
		return nil, err
	}
	if err := requireSameDType(in, 0, 2); err != nil {
		return nil, err
	}
	if _, err := gatherElementsInfer(in[:2], a); err != nil {
		return nil, err
	}
	if !in[2].Shape.Equal(in[1].Shape) {
		return nil, InputErrorf(2, "shape %v differs from indices' %v", in[2].Shape, in[1].Shape)
	}
	if in[0].DType == tensor.Bool && a.String("reduction", ScatterNone) != ScatterNone {
		return nil, InputErrorf(0, "bool data takes reduction none only")
	}
	return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
}

// gatherNDSplit checks gather_nd/scatter_nd operands and returns b and m.
func gatherNDSplit(in []Type, b int) (int, error) {
	if err := requireIndices(in, 1); err != nil {
		return 0, err
	}
	data, idx := in[0].Shape, in[1].Shape
	if len(idx) < 1 {
		return 0, InputErrorf(1, "rank 0; indices need a last axis of coordinates")
	}
	m := idx[len(idx)-1]
	if b < 0 || b >= len(idx) || b > len(data) {
		return 0, AttrErrorf("batch_dims", "is %d, want 0 <= batch_dims < rank(indices) = %d", b, len(idx))
	}
	if m < 1 || m > len(data)-b {
		return 0, InputErrorf(1, "last axis has %d coordinates, want 1 to %d", m, len(data)-b)
	}
	for i := range b {
		if data[i] != idx[i] {
			return 0, InputErrorf(1, "batch axis %d is %d, data's is %d", i, idx[i], data[i])
		}
	}
	return m, nil
}

func gatherNDInfer(in []Type, a Attrs) ([]Type, error) {
	b := a.Int("batch_dims", 0)
	m, err := gatherNDSplit(in, b)
	if err != nil {
		return nil, err
	}
	idx := in[1].Shape
	out := append(idx[:len(idx)-1].Clone(), in[0].Shape[b+m:]...)
	if err := out.Validate(); err != nil {
		return nil, InputErrorf(1, "output shape %v: %v", out, err)
	}
	return one(Type{DType: in[0].DType, Shape: out}), nil
}

func scatterNDInfer(in []Type, a Attrs) ([]Type, error) {
	if err := scatterReduction(a); err != nil {
		return nil, err
	}
	if err := requireSameDType(in, 0, 2); err != nil {
		return nil, err
	}
	m, err := gatherNDSplit(in, 0)
	if err != nil {
		return nil, err
	}
	idx := in[1].Shape
	want := append(idx[:len(idx)-1].Clone(), in[0].Shape[m:]...)
	if !in[2].Shape.Equal(want) {
		return nil, InputErrorf(2, "shape %v, want %v (indices' shape without its last axis, then data's after %d)", in[2].Shape, want, m)
	}
	if in[0].DType == tensor.Bool && a.String("reduction", ScatterNone) != ScatterNone {
		return nil, InputErrorf(0, "bool data takes reduction none only")
	}
	return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
}

func cumsumInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireNumeric(in, 0); err != nil {
		return nil, err
	}
	if len(in[0].Shape) == 0 {
		return nil, InputErrorf(0, "rank 0; cumsum needs an axis")
	}
	if _, err := tensor.NormalizeAxis(a.Int("axis", 0), len(in[0].Shape)); err != nil {
		return nil, AttrErrorf("axis", "%v", err)
	}
	for _, name := range []string{"exclusive", "reverse"} {
		if v := a.Int(name, 0); v != 0 && v != 1 {
			return nil, AttrErrorf(name, "is %d, want 0 or 1", v)
		}
	}
	return one(in[0]), nil
}

func topkInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireNumeric(in, 0); err != nil {
		return nil, err
	}
	x := in[0].Shape
	if len(x) == 0 {
		return nil, InputErrorf(0, "rank 0; topk needs an axis")
	}
	axis, err := tensor.NormalizeAxis(a.Int("axis", -1), len(x))
	if err != nil {
		return nil, AttrErrorf("axis", "%v", err)
	}
	k := a.Int("k", -1)
	if k < 0 || k > x[axis] || k > topkMaxK {
		return nil, AttrErrorf("k", "is %d, want 0 to the axis size %d", k, x[axis])
	}
	for _, name := range []string{"largest", "sorted"} {
		if v := a.Int(name, 1); v != 0 && v != 1 {
			return nil, AttrErrorf(name, "is %d, want 0 or 1", v)
		}
	}
	out := x.Clone()
	out[axis] = k
	return []Type{{DType: in[0].DType, Shape: out}, {DType: tensor.Int64, Shape: out.Clone()}}, nil
}
