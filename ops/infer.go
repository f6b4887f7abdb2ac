package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Helpers shared by the Infer functions of the catalog.

// requireDType checks that input i has a dtype accepted by ok; what names the
// accepted set in the error ("a float dtype").
func requireDType(in []Type, i int, ok func(tensor.DType) bool, what string) error {
	if i < len(in) && !in[i].Absent() && !ok(in[i].DType) {
		return InputErrorf(i, "dtype %v, want %s", in[i].DType, what)
	}
	return nil
}

// requireFloat checks that each listed input (all inputs if none listed) has a float dtype.
func requireFloat(in []Type, idx ...int) error {
	return requireAll(in, idx, tensor.DType.IsFloat, "a float dtype")
}

// requireNumeric checks that each listed input (all if none listed) is not bool.
func requireNumeric(in []Type, idx ...int) error {
	return requireAll(in, idx, tensor.DType.IsNumeric, "a numeric dtype")
}

func requireAll(in []Type, idx []int, ok func(tensor.DType) bool, what string) error {
	if len(idx) == 0 {
		for i := range in {
			if err := requireDType(in, i, ok, what); err != nil {
				return err
			}
		}
		return nil
	}
	for _, i := range idx {
		if err := requireDType(in, i, ok, what); err != nil {
			return err
		}
	}
	return nil
}

// requireSameDType checks that every present input listed (all if none listed)
// has the dtype of the first listed present one.
func requireSameDType(in []Type, idx ...int) error {
	if len(idx) == 0 {
		for i := range in {
			idx = append(idx, i)
		}
	}
	first := -1
	for _, i := range idx {
		if i >= len(in) || in[i].Absent() {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if in[i].DType != in[first].DType {
			return InputErrorf(i, "dtype %v differs from input %d's %v", in[i].DType, first, in[first].DType)
		}
	}
	return nil
}

// requireRank checks that input i has exactly rank dims.
func requireRank(in []Type, i, rank int) error {
	if r := len(in[i].Shape); r != rank {
		return InputErrorf(i, "rank %d (shape %v), want rank %d", r, in[i].Shape, rank)
	}
	return nil
}

// normalizeAxes maps possibly negative axes into [0, rank) and rejects
// out-of-range or repeated axes; attr names the attribute for errors.
func normalizeAxes(axes []int, rank int, attr string) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, ax := range axes {
		a, err := tensor.NormalizeAxis(ax, rank)
		if err != nil {
			return nil, AttrErrorf(attr, "%v", err)
		}
		if seen[a] {
			return nil, AttrErrorf(attr, "axis %d repeated", ax)
		}
		seen[a] = true
		out[i] = a
	}
	return out, nil
}

// one wraps a single output type.
func one(t Type) []Type { return []Type{t} }
