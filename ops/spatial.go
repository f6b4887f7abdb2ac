package ops

import (
	"fmt"

	"github.com/backplane-ml/backplane/tensor"
)

// Window arithmetic shared by the ops that slide a kernel over the spatial
// dims of an (N, C, D1..Dk) tensor: conv, conv_transpose and the pools.
//
// Attribute values come from untrusted model files, so every reader bounds
// them: a stride, dilation or pad above spatialMaxValue is rejected before
// any arithmetic, which keeps every intermediate (at most a few times 2^42)
// far from int overflow.

// The auto_pad modes, spelled as in ONNX.
const (
	spatialAutoPadNotSet    = "NOTSET"
	spatialAutoPadSameUpper = "SAME_UPPER"
	spatialAutoPadSameLower = "SAME_LOWER"
	spatialAutoPadValid     = "VALID"
)

// spatialMaxValue bounds strides, dilations, pads and output_shape entries.
// No valid tensor dimension exceeds it (tensor.MaxElements), so a larger
// value can only describe a shape nobody can allocate.
const spatialMaxValue = tensor.MaxElements

// spatialAutoPadAttr reads and validates auto_pad (default NOTSET; the empty
// string, which some exporters write, also means NOTSET).
func spatialAutoPadAttr(a Attrs) (string, error) {
	switch p := a.String("auto_pad", spatialAutoPadNotSet); p {
	case spatialAutoPadNotSet, "":
		return spatialAutoPadNotSet, nil
	case spatialAutoPadSameUpper, spatialAutoPadSameLower, spatialAutoPadValid:
		return p, nil
	default:
		return "", AttrErrorf("auto_pad", "%q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", p)
	}
}

// spatialIntsAttr reads an ints attribute with one entry per spatial dim
// (strides, dilations, output_padding, ...). Absent, it is k copies of def.
// Each entry must lie in [minVal, spatialMaxValue]. The result is a fresh
// slice the caller may modify.
func spatialIntsAttr(a Attrs, name string, k, def, minVal int) ([]int, error) {
	out := make([]int, k)
	if !a.Has(name) {
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	v := a.Ints(name, nil)
	if len(v) != k {
		return nil, AttrErrorf(name, "has %d values %v, want one per spatial dim (%d)", len(v), v, k)
	}
	for i, x := range v {
		if x < minVal {
			return nil, AttrErrorf(name, "value %d at index %d must be >= %d", x, i, minVal)
		}
		if x > spatialMaxValue {
			return nil, AttrErrorf(name, "value %d at index %d is too large", x, i)
		}
		out[i] = x
	}
	return out, nil
}

// spatialPadsAttr reads pads: 2k non-negative values, all begins then all
// ends (ONNX order); absent, all zeros. Setting pads together with an
// auto_pad other than NOTSET is an error, since the two would disagree.
func spatialPadsAttr(a Attrs, k int, autoPad string) ([]int, error) {
	if a.Has("pads") && autoPad != spatialAutoPadNotSet {
		return nil, AttrErrorf("pads", "cannot be set together with auto_pad %s", autoPad)
	}
	if v := a.Ints("pads", nil); a.Has("pads") && len(v) != 2*k {
		return nil, AttrErrorf("pads", "has %d values %v, want 2·%d (all begins, then all ends)", len(v), v, k)
	}
	return spatialIntsAttr(a, "pads", 2*k, 0, 0)
}

// spatialKernelAttr checks an optional kernel_shape attribute against the
// kernel dims taken from the weight tensor (k spatial dims).
func spatialKernelAttr(a Attrs, kernel []int) error {
	if !a.Has("kernel_shape") {
		return nil
	}
	ks := a.Ints("kernel_shape", nil)
	if !tensor.Shape(ks).Equal(kernel) {
		return AttrErrorf("kernel_shape", "%v does not match the weight's spatial dims %v", ks, tensor.Shape(kernel))
	}
	return nil
}

// spatialEffectiveKernel returns the extent of a dilated kernel,
// (k−1)·dilation + 1, or an error if it exceeds spatialMaxValue·2 (no padded
// input can be that large). k must be >= 1, dilation in [1, spatialMaxValue].
func spatialEffectiveKernel(k, dilation int) (int, error) {
	if k-1 > 0 && dilation > 2*spatialMaxValue/(k-1) {
		return 0, fmt.Errorf("kernel %d with dilation %d spans more than any input", k, dilation)
	}
	return (k-1)*dilation + 1, nil
}

// spatialFloorDiv is floor(a/b) for b > 0 (Go's / truncates toward zero).
func spatialFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// spatialCeilDiv is ceil(a/b) for b > 0.
func spatialCeilDiv(a, b int) int { return -spatialFloorDiv(-a, b) }

// spatialOutputDims computes the output spatial dims of a window sliding over
// the spatial dims in, and the pads actually applied (2k values, begins then
// ends). Arguments have one entry per spatial dim (pads: 2k, or nil for
// zeros) and must come from the readers above (strides, dilations >= 1,
// pads >= 0, all bounded); kernel dims must be >= 1.
//
//   - NOTSET: the given pads; out = floor((D + pb + pe − ek) / s) + 1 with
//     ek = (k−1)·dilation + 1. In ceil mode the division rounds up instead,
//     but a window that would start inside the end padding is dropped, so
//     every window overlaps the input or the begin padding (ONNX pool rule,
//     same as PyTorch).
//   - VALID: as NOTSET with zero pads.
//   - SAME_UPPER / SAME_LOWER: out = ceil(D / s) whatever ceil mode says; the
//     total padding max(0, (out−1)·s + ek − D) is split evenly, the odd unit
//     going to the end for SAME_UPPER and to the beginning for SAME_LOWER.
//
// An output dim below 1 (the dilated kernel does not fit in the padded input)
// is an error about input 0.
func spatialOutputDims(in, kernel, strides, dilations, pads []int, autoPad string, ceilMode bool) ([]int, []int, error) {
	k := len(in)
	out := make([]int, k)
	eff := make([]int, 2*k)
	if autoPad == spatialAutoPadNotSet && pads != nil {
		copy(eff, pads)
	}
	for i := range k {
		ek, err := spatialEffectiveKernel(kernel[i], dilations[i])
		if err != nil {
			return nil, nil, InputErrorf(0, "spatial dim %d: %v", i, err)
		}
		s := strides[i]
		switch autoPad {
		case spatialAutoPadSameUpper, spatialAutoPadSameLower:
			out[i] = spatialCeilDiv(in[i], s)
			total := max(0, (out[i]-1)*s+ek-in[i])
			small, big := total/2, total-total/2
			if autoPad == spatialAutoPadSameUpper {
				eff[i], eff[k+i] = small, big
			} else {
				eff[i], eff[k+i] = big, small
			}
		default:
			span := in[i] + eff[i] + eff[k+i] - ek
			if span < 0 {
				return nil, nil, InputErrorf(0, "spatial dim %d: size %d with pads %d+%d is smaller than the kernel extent %d",
					i, in[i], eff[i], eff[k+i], ek)
			}
			if ceilMode {
				out[i] = spatialCeilDiv(span, s) + 1
				if (out[i]-1)*s >= in[i]+eff[i] {
					out[i]-- // the last window would start in the end padding
				}
			} else {
				out[i] = span/s + 1
			}
		}
		if out[i] < 1 {
			return nil, nil, InputErrorf(0, "spatial dim %d: size %d gives an empty output", i, in[i])
		}
	}
	return out, eff, nil
}
