package ops

import (
	"math"

	"github.com/backplane-ml/backplane/tensor"
)

// resize: ONNX Resize (opsets 11 to 19) with every mode, coordinate
// transformation, nearest rounding, cubic coefficient, exclude_outside,
// antialias and extrapolation value. The importer resolves sizes, axes and
// keep_aspect_ratio_policy into full-rank scales and sizes attributes, so the
// output shape is known from attributes alone.
//
// Every mode ONNX defines is separable: the output is the input interpolated
// along each axis in turn. ResizeAxisPlan computes, for one axis, which input
// positions and weights make each output position; the reference kernel and
// the GoMLX lowering both apply these plans, so the two backends share the
// one place where ONNX's coordinate arithmetic lives, and the hand cases in
// ops/optest check it against values worked out by hand.

// The resize modes and coordinate transformations, spelled as in ONNX.
const (
	ResizeNearest = "nearest"
	ResizeLinear  = "linear"
	ResizeCubic   = "cubic"
)

// resizeTransforms lists the coordinate_transformation_mode values.
var resizeTransforms = []string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
	"asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"}

// resizeNearestModes lists the nearest_mode values.
var resizeNearestModes = []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}

// Attribute defaults of resize, as in ONNX.
const (
	// ResizeDefaultCubicCoeffA is cubic_coeff_a when absent.
	ResizeDefaultCubicCoeffA = -0.75
	// ResizeDefaultTransform is coordinate_transformation_mode when absent.
	ResizeDefaultTransform = "half_pixel"
	// ResizeDefaultNearestMode is nearest_mode when absent.
	ResizeDefaultNearestMode = "round_prefer_floor"
)

func init() {
	Register(&Op{
		Name: "resize",
		Doc: "Resizes x (ONNX Resize, opset 19 semantics) to the shape in attribute sizes, or floor(x.shape[i]·scales[i]) " +
			"(times roi's extent for tf_crop_and_resize) when sizes is absent. Each output coordinate is mapped back " +
			"to the input by coordinate_transformation_mode and interpolated by mode: nearest (rounded by nearest_mode), " +
			"linear or cubic (Keys kernel with cubic_coeff_a), separably along every axis whose size or scale changes. " +
			"Neighbours beyond the edge repeat the edge value, or with exclude_outside get weight 0 and the rest are " +
			"renormalized. antialias widens the linear/cubic kernel by 1/scale when downsampling. tf_crop_and_resize " +
			"samples the region roi and writes extrapolation_value outside the input. nearest takes any numeric " +
			"dtype; linear and cubic take float dtypes.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "scales", Kind: AttrFloats, Required: true, Doc: "one finite scale > 0 per axis of x"},
			{Name: "sizes", Kind: AttrInts, Doc: "one output size >= 0 per axis; absent: floor(size·scale)"},
			{Name: "roi", Kind: AttrFloats, Doc: "tf_crop_and_resize's region: all starts then all ends, normalized; default 0s and 1s"},
			{Name: "mode", Kind: AttrString, Doc: `"nearest" (default), "linear" or "cubic"`},
			{Name: "coordinate_transformation_mode", Kind: AttrString, Doc: "as ONNX; default half_pixel"},
			{Name: "nearest_mode", Kind: AttrString, Doc: "round_prefer_floor (default), round_prefer_ceil, floor or ceil"},
			{Name: "cubic_coeff_a", Kind: AttrFloat, Doc: "the cubic kernel's a; default -0.75; finite"},
			{Name: "exclude_outside", Kind: AttrInt, Doc: "0 (default) or 1"},
			{Name: "extrapolation_value", Kind: AttrFloat, Doc: "tf_crop_and_resize's value outside the input; default 0"},
			{Name: "antialias", Kind: AttrInt, Doc: "0 (default) or 1; linear and cubic only"},
		},
		Infer: resizeInfer,
	})
}

func resizeOneOf(a Attrs, name, def string, allowed []string) (string, error) {
	v := a.String(name, def)
	for _, s := range allowed {
		if v == s {
			return v, nil
		}
	}
	return "", AttrErrorf(name, "%q is not one of %v", v, allowed)
}

func resizeInfer(in []Type, a Attrs) ([]Type, error) {
	x := in[0]
	rank := len(x.Shape)
	mode, err := resizeOneOf(a, "mode", ResizeNearest, []string{ResizeNearest, ResizeLinear, ResizeCubic})
	if err != nil {
		return nil, err
	}
	if mode == ResizeNearest {
		if err := requireNumeric(in, 0); err != nil {
			return nil, err
		}
	} else if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	ctm, err := resizeOneOf(a, "coordinate_transformation_mode", ResizeDefaultTransform, resizeTransforms)
	if err != nil {
		return nil, err
	}
	if _, err := resizeOneOf(a, "nearest_mode", ResizeDefaultNearestMode, resizeNearestModes); err != nil {
		return nil, err
	}
	for _, name := range []string{"cubic_coeff_a", "extrapolation_value"} {
		if v := a.Float(name, 0); !finite(v) {
			return nil, AttrErrorf(name, "is %v, want a finite value", v)
		}
	}
	for _, name := range []string{"exclude_outside", "antialias"} {
		if v := a.Int(name, 0); v != 0 && v != 1 {
			return nil, AttrErrorf(name, "is %d, want 0 or 1", v)
		}
	}
	scales := a.Floats("scales", nil)
	if len(scales) != rank {
		return nil, AttrErrorf("scales", "has %d values, want one per axis of x (%d)", len(scales), rank)
	}
	for i, s := range scales {
		if !finite(s) || s <= 0 {
			return nil, AttrErrorf("scales", "value %v at axis %d, want a finite value > 0", s, i)
		}
	}
	roi, err := resizeROI(a, rank)
	if err != nil {
		return nil, err
	}
	out := make(tensor.Shape, rank)
	if a.Has("sizes") {
		sizes := a.Ints("sizes", nil)
		if len(sizes) != rank {
			return nil, AttrErrorf("sizes", "has %d values, want one per axis of x (%d)", len(sizes), rank)
		}
		for i, s := range sizes {
			if s < 0 || s > tensor.MaxElements {
				return nil, AttrErrorf("sizes", "value %d at axis %d is out of range", s, i)
			}
			out[i] = s
		}
	} else {
		for i, s := range scales {
			extent := 1.0
			if ctm == "tf_crop_and_resize" {
				extent = roi[rank+i] - roi[i]
			}
			f := math.Floor(float64(x.Shape[i]) * extent * s)
			if !(f >= 0) || f > tensor.MaxElements {
				return nil, AttrErrorf("scales", "size %d times scale %v at axis %d gives %v, out of range", x.Shape[i], s, i, f)
			}
			out[i] = int(f)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, AttrErrorf("sizes", "output shape %v: %v", out, err)
	}
	for i := range rank {
		if x.Shape[i] == 0 && out[i] > 0 {
			return nil, InputErrorf(0, "axis %d has size 0 and cannot be resized to %d", i, out[i])
		}
	}
	return one(Type{DType: x.DType, Shape: out}), nil
}

// resizeROI returns roi (2·rank values, starts then ends), defaulting to the
// whole input.
func resizeROI(a Attrs, rank int) ([]float64, error) {
	if !a.Has("roi") {
		roi := make([]float64, 2*rank)
		for i := range rank {
			roi[rank+i] = 1
		}
		return roi, nil
	}
	roi := a.Floats("roi", nil)
	if len(roi) != 2*rank {
		return nil, AttrErrorf("roi", "has %d values, want 2·%d (starts, then ends)", len(roi), rank)
	}
	for i, v := range roi {
		if !finite(v) {
			return nil, AttrErrorf("roi", "value %v at index %d is not finite", v, i)
		}
	}
	return roi, nil
}

// ResizeAxis says how one axis of resize's output is made from its input:
// output position o is Σ_k Weight[o·Taps+k] · x[Index[o·Taps+k]], or the
// extrapolation value when Outside[o] (tf_crop_and_resize only). Indices lie
// in [0, In). Identity reports an axis the op leaves as it is.
type ResizeAxis struct {
	In, Out  int
	Taps     int
	Index    []int
	Weight   []float64
	Outside  []bool
	Identity bool
}

// resizeMaxTaps bounds the taps of one output position: antialiased
// downsampling by a tiny scale would otherwise make a kernel as wide as the
// scale is small.
const resizeMaxTaps = 1 << 16

// resizeMaxPlan bounds the entries (output positions × taps) of one axis's plan.
const resizeMaxPlan = 1 << 28

// ResizePlan returns one ResizeAxis per axis for a resize node with these
// attributes (already checked by Infer) from shape in to shape out.
func ResizePlan(a Attrs, in, out tensor.Shape) ([]ResizeAxis, error) {
	rank := len(in)
	roi, err := resizeROI(a, rank)
	if err != nil {
		return nil, err
	}
	scales := a.Floats("scales", nil)
	plans := make([]ResizeAxis, rank)
	for i := range rank {
		p, err := resizeAxisPlan(a, in[i], out[i], scales[i], roi[i], roi[rank+i])
		if err != nil {
			return nil, AttrErrorf("scales", "axis %d: %v", i, err)
		}
		plans[i] = p
	}
	return plans, nil
}

// resizeCoordinate maps output position x back to the input axis (ONNX's
// coordinate_transformation_mode). Like ONNX's reference, pytorch_half_pixel
// and align_corners use the unrounded output length scale·in, and
// half_pixel_symmetric the ratio of the rounded to the unrounded one.
func resizeCoordinate(ctm string, x float64, in, out int, scale, start, end float64) float64 {
	switch ctm {
	case "half_pixel_symmetric":
		adjustment := float64(out) / (scale * float64(in))
		center := float64(in) / 2
		offset := center * (1 - adjustment)
		return offset + (x+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if out > 1 {
			return (x+0.5)/scale - 0.5
		}
		return 0
	case "align_corners":
		// ONNX divides by the unrounded output length, scale·in.
		if outF := scale * float64(in); outF != 1 {
			return x * float64(in-1) / (outF - 1)
		}
		return 0
	case "asymmetric":
		return x / scale
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale
	case "tf_crop_and_resize":
		if out > 1 {
			return start*float64(in-1) + x*(end-start)*float64(in-1)/float64(out-1)
		}
		return 0.5 * (start + end) * float64(in-1)
	}
	return (x+0.5)/scale - 0.5 // half_pixel
}

// resizeCubic is the Keys cubic convolution kernel with parameter a.
func resizeCubic(x, a float64) float64 {
	x = math.Abs(x)
	switch {
	case x <= 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return ((a*x-5*a)*x+8*a)*x - 4*a
	}
	return 0
}

func resizeAxisPlan(a Attrs, in, out int, scale, start, end float64) (ResizeAxis, error) {
	mode := a.String("mode", ResizeNearest)
	ctm := a.String("coordinate_transformation_mode", ResizeDefaultTransform)
	p := ResizeAxis{In: in, Out: out}
	if in == out && scale == 1 && ctm != "tf_crop_and_resize" && ctm != "tf_half_pixel_for_nn" {
		p.Identity = true
		return p, nil
	}
	// The kernel's support, widened by 1/scale when antialiasing a downsample.
	kscale := 1.0
	if a.Int("antialias", 0) == 1 && mode != ResizeNearest {
		kscale = math.Min(scale, 1)
	}
	radius := 1.0
	if mode == ResizeCubic {
		radius = 2
	}
	first := int(math.Floor(-radius/kscale)) + 1 // offset of the first tap from the base position
	taps := 2 - 2*first
	if mode == ResizeNearest {
		first, taps = 0, 1
	}
	if taps > resizeMaxTaps {
		return p, errorString("antialiasing at this scale needs more than 65536 taps per output")
	}
	if out > resizeMaxPlan/taps {
		return p, errorString("the output axis is too long for the interpolation plan")
	}
	p.Taps = taps
	p.Index = make([]int, out*taps)
	p.Weight = make([]float64, out*taps)
	p.Outside = make([]bool, out)
	cubicA := a.Float("cubic_coeff_a", ResizeDefaultCubicCoeffA)
	exclude := a.Int("exclude_outside", 0) == 1
	nearest := a.String("nearest_mode", ResizeDefaultNearestMode)
	for o := range out {
		x := resizeCoordinate(ctm, float64(o), in, out, scale, start, end)
		if ctm == "tf_crop_and_resize" && (x < 0 || x > float64(in-1)) {
			p.Outside[o] = true
			p.Index[o*taps] = 0
			continue
		}
		// A coordinate far outside the input only ever reads the edge (or,
		// with exclude_outside, nothing): clamp it, keeping its fraction, so
		// no conversion to int overflows.
		if lim := float64(in + taps + 2); math.Abs(x) > lim {
			x = math.Copysign(lim, x) + (x - math.Floor(x))
		}
		idx, w := p.Index[o*taps:(o+1)*taps], p.Weight[o*taps:(o+1)*taps]
		if mode == ResizeNearest {
			idx[0], w[0] = min(max(resizeRound(x, nearest), 0), in-1), 1
			continue
		}
		base := math.Floor(x)
		ratio := x - base
		if ratio == 0 { // ONNX prefers the neighbour on the left of x: x sits at base+1 with ratio 1
			base--
			ratio = 1
		}
		sum := 0.0
		for k := range taps {
			t := float64(first+k) - ratio
			var wk float64
			if mode == ResizeCubic {
				wk = resizeCubic(t*kscale, cubicA)
			} else {
				wk = math.Max(0, 1-math.Abs(t*kscale))
			}
			j := int(base) + first + k
			if exclude && (j < 0 || j >= in) {
				wk = 0
			}
			idx[k] = min(max(j, 0), in-1)
			w[k] = wk
			sum += wk
		}
		if kscale != 1 || exclude {
			if sum == 0 {
				continue
			}
			for k := range w {
				w[k] /= sum
			}
		}
	}
	return p, nil
}

// resizeRound rounds x by nearest_mode.
func resizeRound(x float64, mode string) int {
	switch mode {
	case "floor":
		return int(math.Floor(x))
	case "ceil":
		return int(math.Ceil(x))
	case "round_prefer_ceil":
		return int(math.Floor(x + 0.5))
	}
	return int(math.Ceil(x - 0.5)) // round_prefer_floor
}

// errorString is a constant error message.
type errorString string

func (e errorString) Error() string { return string(e) }
