package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Export rule of resize: ONNX Resize with roi and either sizes (when every
// scale is the output size over the input size, which is how Resize derives
// its scales from sizes) or scales (when float32 holds them exactly and
// floor(size·scale) gives the output shape).

func init() {
	registerExport("resize", "Resize", tsNumeric, exportResize)
}

func exportResize(c *exportCtx) error {
	a := c.n.Attrs
	var attrs []onnxpb.Attribute
	for _, name := range []string{"mode", "coordinate_transformation_mode", "nearest_mode"} {
		if a.Has(name) {
			attrs = append(attrs, xString(name, a.String(name, "")))
		}
	}
	if a.String("coordinate_transformation_mode", "") == "half_pixel_symmetric" && c.opset < 19 {
		return c.needs(19, "coordinate_transformation_mode half_pixel_symmetric arrived in opset 19")
	}
	if a.Int("antialias", 0) != 0 {
		if c.opset < 18 {
			return c.needs(18, "antialias arrived in opset 18")
		}
		attrs = append(attrs, xInt("antialias", 1))
	}
	if a.Has("exclude_outside") {
		attrs = append(attrs, xInt("exclude_outside", int64(a.Int("exclude_outside", 0))))
	}
	for _, name := range []string{"cubic_coeff_a", "extrapolation_value"} {
		if a.Has(name) {
			f, err := c.xFloat(name, a.Float(name, 0))
			if err != nil {
				return err
			}
			attrs = append(attrs, f)
		}
	}
	roi := ""
	if a.Has("roi") {
		t, err := tensor.FromFloat64s(tensor.Float32, tensor.Shape{len(a.Floats("roi", nil))}, a.Floats("roi", nil))
		if err != nil {
			return c.unsupported("roi: %v", err)
		}
		if roi, err = c.constant("roi", t); err != nil {
			return err
		}
	}
	scales := a.Floats("scales", nil)
	in, static := c.static(0)
	if sizes := a.Ints("sizes", nil); sizes != nil {
		bySizes := true
		for i, s := range sizes {
			if in[i] == sizes[i] && scales[i] == 1 {
				continue
			}
			if !static || in[i] == 0 || scales[i] != float64(s)/float64(in[i]) {
				bySizes = false
			}
		}
		if bySizes {
			v, err := c.ints("sizes", sizes)
			if err != nil {
				return err
			}
			c.emit("Resize", []string{c.in[0], roi, "", v}, c.out, attrs...)
			return nil
		}
		for i, s := range scales {
			if !static || int(math.Floor(float64(in[i])*s)) != sizes[i] {
				return c.unsupported("the output size %d of axis %d is neither floor(size·scale) nor gives scale %v as size/input", sizes[i], i, s)
			}
		}
	}
	for i, s := range scales {
		if float64(float32(s)) != s {
			return c.unsupported("scale %v of axis %d is not a float32; ONNX Resize's scales are float32", s, i)
		}
	}
	t, err := tensor.FromFloat64s(tensor.Float32, tensor.Shape{len(scales)}, scales)
	if err != nil {
		return c.unsupported("scales: %v", err)
	}
	sc, err := c.constant("scales", t)
	if err != nil {
		return err
	}
	c.emit("Resize", []string{c.in[0], roi, sc}, c.out, attrs...)
	return nil
}
