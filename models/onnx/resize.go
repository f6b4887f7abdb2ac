package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// Mappers of Resize (opsets 10 to 19) and the legacy Upsample (7 to 9) onto
// the catalog's resize. ONNX passes scales, sizes and roi as inputs; they
// decide the output shape, so they must be known at import time, and are
// resolved here, with axes and keep_aspect_ratio_policy, into resize's
// full-rank scales and sizes attributes.

func init() {
	register("Resize", resizeMap)
	register("Upsample", upsampleMap)
}

// resizeConstFloats returns input i as float64s; it must be known at import time.
func resizeConstFloats(c *converter, i int) ([]float64, bool, error) {
	if c.in(i) == "" {
		return nil, false, nil
	}
	t, ok := c.constant(c.in(i))
	if !ok {
		return nil, false, c.notKnown(i, "must be known at import time (a constant or an initializer)")
	}
	if !t.DType().IsFloat() {
		return nil, false, c.inputErrorf(i, ErrInvalidModel, "is %v, want a float tensor", t.DType())
	}
	return t.Float64s(), true, nil
}

func resizeMap(c *converter, _ *onnxpb.Node) error {
	if c.opset < 10 {
		return c.errorf(ErrInvalidModel, "Resize does not exist before opset 10 (model opset %d)", c.opset)
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	rank := len(x.a)
	attrs := ops.Attrs{}
	mode, err := c.attrString("mode", ops.ResizeNearest)
	if err != nil {
		return err
	}
	attrs["mode"] = mode
	if c.opset < 11 { // Resize-10 is Upsample-9: asymmetric coordinates, nearest rounds down
		if err := c.requireInputs(2, 2); err != nil {
			return err
		}
		scales, _, err := resizeConstFloats(c, 1)
		if err != nil {
			return err
		}
		attrs["coordinate_transformation_mode"] = "asymmetric"
		attrs["nearest_mode"] = "floor"
		return resizeEmit(c, attrs, scales, nil, nil, rank)
	}
	if err := c.requireInputs(1, 4); err != nil {
		return err
	}
	for _, name := range []string{"coordinate_transformation_mode", "nearest_mode"} {
		if c.hasAttr(name) {
			v, err := c.attrString(name, "")
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	}
	for _, name := range []string{"cubic_coeff_a", "extrapolation_value"} {
		if c.hasAttr(name) {
			v, err := c.attrFloat(name, 0)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	}
	if err := nnSince(c, 18, "antialias", "axes", "keep_aspect_ratio_policy"); err != nil {
		return err
	}
	for _, name := range []string{"exclude_outside", "antialias"} {
		if c.hasAttr(name) {
			v, err := c.attrInt(name, 0)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	}
	axes, err := c.attrInts("axes", nil)
	if err != nil {
		return err
	}
	if axes == nil {
		for i := range rank {
			axes = append(axes, i)
		}
	}
	for i, ax := range axes {
		if ax < -rank || ax >= rank {
			return c.errorf(ErrInvalidModel, "attribute \"axes\" value %d out of range for rank %d", ax, rank)
		}
		if ax < 0 {
			axes[i] = ax + rank
		}
		for _, prev := range axes[:i] {
			if prev == axes[i] {
				return c.errorf(ErrInvalidModel, "attribute \"axes\" repeats axis %d", ax)
			}
		}
	}
	policy, err := c.attrString("keep_aspect_ratio_policy", "stretch")
	if err != nil {
		return err
	}
	roiIn, hasROI, err := resizeConstFloats(c, 1)
	if err != nil {
		return err
	}
	scalesIn, hasScales, err := resizeConstFloats(c, 2)
	if err != nil {
		return err
	}
	if hasScales && len(scalesIn) == 0 {
		hasScales = false // an empty scales tensor stands for "use sizes"
	}
	var sizesIn []int
	if c.in(3) != "" {
		if sizesIn, err = c.constInts(3); err != nil {
			return err
		}
	}
	if hasScales == (sizesIn != nil) {
		return c.errorf(ErrInvalidModel, "exactly one of scales and sizes must be given")
	}
	var roi []float64
	if hasROI && len(roiIn) > 0 {
		if len(roiIn) != 2*len(axes) {
			return c.inputErrorf(1, ErrInvalidModel, "roi has %d values, want %d (starts and ends of %d axes)", len(roiIn), 2*len(axes), len(axes))
		}
		roi = make([]float64, 2*rank)
		for i := range rank {
			roi[rank+i] = 1
		}
		for k, ax := range axes {
			roi[ax], roi[rank+ax] = roiIn[k], roiIn[len(axes)+k]
		}
	}
	if hasScales {
		if len(scalesIn) != len(axes) {
			return c.inputErrorf(2, ErrInvalidModel, "scales has %d values, want %d", len(scalesIn), len(axes))
		}
		full := resizeOnes(rank)
		for k, ax := range axes {
			full[ax] = scalesIn[k]
		}
		return resizeEmit(c, attrs, full, nil, roi, rank)
	}
	if len(sizesIn) != len(axes) {
		return c.inputErrorf(3, ErrInvalidModel, "sizes has %d values, want %d", len(sizesIn), len(axes))
	}
	if !x.static() {
		for _, ax := range axes {
			if x.dynamic(ax) {
				return c.inputErrorf(0, ErrUnsupported, "Resize by sizes of axis %d, whose size is symbolic", ax)
			}
		}
	}
	scales := resizeOnes(rank)
	sizes := make([]int, rank)
	copy(sizes, x.a)
	switch policy {
	case "stretch":
		for k, ax := range axes {
			sizes[ax] = sizesIn[k]
			if x.a[ax] > 0 {
				scales[ax] = float64(sizesIn[k]) / float64(x.a[ax])
			}
		}
	case "not_larger", "not_smaller":
		scale := math.Inf(1)
		if policy == "not_smaller" {
			scale = math.Inf(-1)
		}
		for k, ax := range axes {
			if x.a[ax] == 0 {
				return c.inputErrorf(0, ErrInvalidModel, "axis %d has size 0", ax)
			}
			r := float64(sizesIn[k]) / float64(x.a[ax])
			if policy == "not_larger" {
				scale = math.Min(scale, r)
			} else {
				scale = math.Max(scale, r)
			}
		}
		for _, ax := range axes {
			scales[ax] = scale
			sizes[ax] = int(math.Floor(scale*float64(x.a[ax]) + 0.5))
		}
	default:
		return c.errorf(ErrInvalidModel, "attribute \"keep_aspect_ratio_policy\" is %q, want stretch, not_larger or not_smaller", policy)
	}
	for i, s := range scales {
		if !(s > 0) {
			scales[i] = 1 // a zero-size output axis: the scale is never used
		}
	}
	return resizeEmit(c, attrs, scales, sizes, roi, rank)
}

func resizeOnes(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func resizeEmit(c *converter, attrs ops.Attrs, scales []float64, sizes []int, roi []float64, rank int) error {
	if len(scales) != rank {
		return c.inputErrorf(1, ErrInvalidModel, "scales has %d values, want %d (the rank of X)", len(scales), rank)
	}
	attrs["scales"] = scales
	if sizes != nil {
		attrs["sizes"] = sizes
	}
	if roi != nil {
		attrs["roi"] = roi
	}
	return c.emit("resize", attrs, []string{c.in(0)}, c.out(0))
}

// upsampleMap maps Upsample (deprecated in opset 10): scales as an attribute
// (opset 7) or an input (opset 9), modes nearest or linear, with asymmetric
// coordinates and nearest rounding down.
func upsampleMap(c *converter, _ *onnxpb.Node) error {
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	if c.opset >= 10 {
		return c.errorf(ErrInvalidModel, "Upsample was removed in opset 10 (model opset %d)", c.opset)
	}
	mode, err := c.attrString("mode", ops.ResizeNearest)
	if err != nil {
		return err
	}
	if mode == "bilinear" {
		mode = ops.ResizeLinear
	}
	if mode != ops.ResizeNearest && mode != ops.ResizeLinear {
		return c.errorf(ErrInvalidModel, "attribute \"mode\" is %q, want nearest or linear", mode)
	}
	attrs := ops.Attrs{"mode": mode, "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
	rank := len(c.typeOf(c.in(0)).a)
	var scales []float64
	if c.opset >= 9 {
		if err := c.requireInputs(2, 2); err != nil {
			return err
		}
		if scales, _, err = resizeConstFloats(c, 1); err != nil {
			return err
		}
	} else {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		if scales, err = c.attrFloats("scales", nil); err != nil {
			return err
		}
	}
	return resizeEmit(c, attrs, scales, nil, nil, rank)
}
