package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// PoolGeometry is the resolved window of a max_pool or avg_pool node: every
// attribute default applied and auto_pad turned into explicit pads, so that
// every backend slides exactly the same windows.
type PoolGeometry struct {
	Kernel    []int
	Strides   []int
	Dilations []int
	Pads      []int // all begins then all ends, as applied
	Out       []int // output spatial dims
	// CountIncludePad (avg_pool) divides by the window positions inside the
	// padded input instead of only those inside the input.
	CountIncludePad bool
}

var poolAttrs = []AttrSpec{
	{Name: "kernel_shape", Kind: AttrInts, Required: true, Doc: "window size per spatial dim, each >= 1"},
	{Name: "strides", Kind: AttrInts, Doc: "step per spatial dim; default 1"},
	{Name: "pads", Kind: AttrInts, Doc: "2k values, all begins then all ends; default 0; each below the dilated window"},
	{Name: "dilations", Kind: AttrInts, Doc: "spacing of window taps per spatial dim; default 1"},
	{Name: "ceil_mode", Kind: AttrInt, Doc: "1: output size rounds up (a window starting in the end padding is dropped); default 0"},
	{Name: "auto_pad", Kind: AttrString, Doc: "NOTSET (default), SAME_UPPER, SAME_LOWER or VALID"},
}

func init() {
	Register(&Op{
		Name: "max_pool",
		Doc: "Maximum over each window of the spatial dims of x (N, C, D1..Dk). Padding never wins: a window " +
			"holding no input element (possible only with dilation) gives -Inf (integer dtypes: their minimum). " +
			"A NaN in a window makes its result NaN. Single output (no indices).",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  poolAttrs,
		Infer:  poolInfer(false),
	})
	Register(&Op{
		Name: "avg_pool",
		Doc: "Mean over each window of the spatial dims of x (N, C, D1..Dk). The divisor counts the window's " +
			"positions inside the input, or with count_include_pad=1 those inside the padded input (positions " +
			"beyond the explicit end padding, reachable only in ceil mode, never count). A window with nothing " +
			"to count gives NaN.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: append(append([]AttrSpec(nil), poolAttrs...),
			AttrSpec{Name: "count_include_pad", Kind: AttrInt, Doc: "0 (default) or 1"}),
		Infer: poolInfer(true),
	})
	for _, name := range []string{"global_avg_pool", "global_max_pool"} {
		what := "mean"
		if name == "global_max_pool" {
			what = "maximum"
		}
		Register(&Op{
			Name: name,
			Doc: "The " + what + " over all spatial dims of x (N, C, D1..Dk), giving (N, C, 1, ..., 1). " +
				"Empty spatial dims give NaN (mean) or -Inf (maximum).",
			Inputs: []InputSpec{{Name: "x"}},
			Infer:  poolGlobalInfer,
		})
	}
}

// poolMaxDType is the dtype set max_pool accepts: floats, and the 8-bit
// integers ONNX allows.
func poolMaxDType(d tensor.DType) bool {
	return d.IsFloat() || d == tensor.Int8 || d == tensor.Uint8
}

func poolInfer(avg bool) func(in []Type, a Attrs) ([]Type, error) {
	return func(in []Type, a Attrs) ([]Type, error) {
		if avg {
			if err := requireFloat(in, 0); err != nil {
				return nil, err
			}
		} else if err := requireDType(in, 0, poolMaxDType, "a float dtype, int8 or uint8"); err != nil {
			return nil, err
		}
		g, err := ResolvePool(in[0].Shape, a, avg)
		if err != nil {
			return nil, err
		}
		out := append(in[0].Shape[:2:2], g.Out...)
		if err := out.Validate(); err != nil {
			return nil, InputErrorf(0, "output: %v", err)
		}
		return one(Type{DType: in[0].DType, Shape: out}), nil
	}
}

// ResolvePool checks the attributes of a max_pool (avg false) or avg_pool
// (avg true) node against the shape of its input and returns its geometry.
func ResolvePool(x tensor.Shape, a Attrs, avg bool) (PoolGeometry, error) {
	if len(x) < 3 {
		return PoolGeometry{}, InputErrorf(0, "rank %d (shape %v), want (N, C, D1, ...) with at least one spatial dim", len(x), x)
	}
	k := len(x) - 2
	kernel := a.Ints("kernel_shape", nil)
	if len(kernel) != k {
		return PoolGeometry{}, AttrErrorf("kernel_shape", "has %d entries, want one per spatial dim (%d)", len(kernel), k)
	}
	for i, v := range kernel {
		if v < 1 || v > spatialMaxValue {
			return PoolGeometry{}, AttrErrorf("kernel_shape", "entry %d is %d, want 1 to %d", i, v, spatialMaxValue)
		}
	}
	strides, err := spatialIntsAttr(a, "strides", k, 1, 1)
	if err != nil {
		return PoolGeometry{}, err
	}
	dilations, err := spatialIntsAttr(a, "dilations", k, 1, 1)
	if err != nil {
		return PoolGeometry{}, err
	}
	autoPad, err := spatialAutoPadAttr(a)
	if err != nil {
		return PoolGeometry{}, err
	}
	pads, err := spatialPadsAttr(a, k, autoPad)
	if err != nil {
		return PoolGeometry{}, err
	}
	ceil, err := poolFlag(a, "ceil_mode")
	if err != nil {
		return PoolGeometry{}, err
	}
	includePad := false
	if avg {
		if includePad, err = poolFlag(a, "count_include_pad"); err != nil {
			return PoolGeometry{}, err
		}
	}
	for i := range k {
		ek, err := spatialEffectiveKernel(kernel[i], dilations[i])
		if err != nil {
			return PoolGeometry{}, AttrErrorf("kernel_shape", "%v", err)
		}
		// A pad as wide as the window would allow windows made only of padding.
		if pads[i] >= ek || pads[k+i] >= ek {
			return PoolGeometry{}, AttrErrorf("pads", "pads %d and %d of spatial dim %d must be smaller than the window extent %d",
				pads[i], pads[k+i], i, ek)
		}
	}
	out, applied, err := spatialOutputDims(x[2:], kernel, strides, dilations, pads, autoPad, ceil)
	if err != nil {
		return PoolGeometry{}, err
	}
	return PoolGeometry{Kernel: kernel, Strides: strides, Dilations: dilations, Pads: applied, Out: out,
		CountIncludePad: includePad}, nil
}

// poolFlag reads a 0/1 attribute (default 0).
func poolFlag(a Attrs, name string) (bool, error) {
	switch v := a.Int(name, 0); v {
	case 0, 1:
		return v == 1, nil
	default:
		return false, AttrErrorf(name, "is %d, want 0 or 1", v)
	}
}

func poolGlobalInfer(in []Type, _ Attrs) ([]Type, error) {
	if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	x := in[0].Shape
	if len(x) < 3 {
		return nil, InputErrorf(0, "rank %d (shape %v), want (N, C, D1, ...) with at least one spatial dim", len(x), x)
	}
	out := x.Clone()
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	return one(Type{DType: in[0].DType, Shape: out}), nil
}
