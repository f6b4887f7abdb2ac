package optest

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for resize, worked out by hand from ONNX's definitions: the output
// position o maps to the input coordinate x (per coordinate transformation),
// then nearest rounds x, linear weighs floor(x) and floor(x)+1 by 1−r and r
// (r = x − floor(x)), cubic weighs floor(x)−1 … floor(x)+2 by the Keys
// kernel; neighbours past the edge repeat the edge value. With a = −0.75 the
// Keys kernel is c(0.5) = 0.59375 and c(1.5) = −0.09375 (so r = 0.5 weighs
// the four neighbours −0.09375, 0.59375, 0.59375, −0.09375).

func resizeCase(name string, a ops.Attrs, x, want *tensor.Tensor) Case {
	return Case{Name: "resize/" + name, Op: "resize", Attrs: a, Inputs: []*tensor.Tensor{x}, Want: []*tensor.Tensor{want}}
}

func init() {
	f := ewF32
	ramp := f([]int{4}, 0, 1, 2, 3)
	Register(
		// x = o/2 = 0, 0.5, 1, 1.5; round_prefer_floor rounds 0.5 down.
		resizeCase("nearest_asymmetric", ops.Attrs{"scales": []float64{2}, "coordinate_transformation_mode": "asymmetric"},
			f([]int{2}, 1, 2), f([]int{4}, 1, 1, 2, 2)),
		// ceil: 0, 1, 1, 2 → clamped to the last index 1.
		resizeCase("nearest_ceil", ops.Attrs{"scales": []float64{2}, "coordinate_transformation_mode": "asymmetric",
			"nearest_mode": "ceil"}, f([]int{2}, 1, 2), f([]int{4}, 1, 2, 2, 2)),
		// half_pixel: x = (o+0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → rounded 0, 0, 1, 1 (uint8, exact).
		resizeCase("nearest_half_pixel_uint8", ops.Attrs{"scales": []float64{2}},
			tensor.MustFromSlice([]uint8{1, 2}, 2), tensor.MustFromSlice([]uint8{1, 1, 2, 2}, 4)),
		// round_prefer_ceil at x = 0.5 (asymmetric, o = 1) picks index 1.
		resizeCase("nearest_round_prefer_ceil", ops.Attrs{"scales": []float64{2}, "coordinate_transformation_mode": "asymmetric",
			"nearest_mode": "round_prefer_ceil"}, f([]int{2}, 1, 2), f([]int{4}, 1, 2, 2, 2)),
		// half_pixel linear: −0.25 → edge 1; 0.25 → 0.75·1+0.25·3; 0.75 → 0.25·1+0.75·3; 1.25 → edge 3.
		resizeCase("linear_half_pixel", ops.Attrs{"scales": []float64{1, 2}, "mode": "linear"},
			f([]int{1, 2}, 1, 3), f([]int{1, 4}, 1, 1.5, 2.5, 3)),
		// align_corners 3 → 5: x = o·2/4; linear data stays linear.
		resizeCase("linear_align_corners_sizes", ops.Attrs{"scales": []float64{5.0 / 3}, "sizes": []int{5}, "mode": "linear",
			"coordinate_transformation_mode": "align_corners"}, f([]int{3}, 0, 4, 8), f([]int{5}, 0, 2, 4, 6, 8)),
		// Bilinear 2×2 → 4×4, asymmetric: rows [1 1.5 2 2] and [3 3.5 4 4], then their mean between them.
		resizeCase("bilinear_asymmetric", ops.Attrs{"scales": []float64{2, 2}, "mode": "linear",
			"coordinate_transformation_mode": "asymmetric"}, f([]int{2, 2}, 1, 2, 3, 4),
			f([]int{4, 4}, 1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4)),
		// Cubic, asymmetric, x = o/2. x = 0.5: neighbours [0 0 1 2] → 0.59375 − 2·0.09375 = 0.40625;
		// interior 1.5 reproduces the line; 2.5: [1 2 3 3] → 2.59375; 3.5: [2 3 3 3] → 3.09375.
		resizeCase("cubic_asymmetric", ops.Attrs{"scales": []float64{2}, "mode": "cubic",
			"coordinate_transformation_mode": "asymmetric"}, ramp,
			f([]int{8}, 0, 0.40625, 1, 1.5, 2, 2.59375, 3, 3.09375)),
		// exclude_outside drops neighbours past the edge and renormalizes: x = 0.5 keeps
		// weights 0.59375, 0.59375, −0.09375 (sum 35/32) on [0 1 2] → (13/32)/(35/32) = 13/35;
		// 2.5 keeps [1 2 3] → (92/32)/(35/32) = 92/35; 3.5 keeps [2 3] with sum 1/2 → 3.1875.
		resizeCase("cubic_exclude_outside", ops.Attrs{"scales": []float64{2}, "mode": "cubic", "exclude_outside": 1,
			"coordinate_transformation_mode": "asymmetric"}, ramp,
			f([]int{8}, 0, 13.0/35, 1, 1.5, 2, 92.0/35, 3, 3.1875)),
		// tf_crop_and_resize of roi [0.5, 1.5] to 3: x = 1.5, 3, 4.5; 4.5 > 3 is outside → 7.
		resizeCase("tf_crop_and_resize", ops.Attrs{"scales": []float64{0.75}, "sizes": []int{3}, "mode": "linear",
			"coordinate_transformation_mode": "tf_crop_and_resize", "roi": []float64{0.5, 1.5}, "extrapolation_value": 7.0},
			f([]int{4}, 0, 10, 20, 30), f([]int{3}, 15, 30, 7)),
		// Antialiased halving: the triangle widens to 4 taps with weights 1/8, 3/8, 3/8, 1/8
		// around x = 0.5, 2.5, 4.5, 6.5 (edges repeat: [0 0 1 2] → 0.625, [5 6 7 7] → 6.375).
		resizeCase("linear_antialias", ops.Attrs{"scales": []float64{0.5}, "mode": "linear", "antialias": 1},
			f([]int{8}, 0, 1, 2, 3, 4, 5, 6, 7), f([]int{4}, 0.625, 2.5, 4.5, 6.375)),
		// half_pixel_symmetric with an exact output size is half_pixel: x = 2o + 0.5.
		resizeCase("linear_half_pixel_symmetric", ops.Attrs{"scales": []float64{0.5}, "mode": "linear",
			"coordinate_transformation_mode": "half_pixel_symmetric"}, f([]int{4}, 0, 1, 2, 3), f([]int{2}, 0.5, 2.5)),
	)
	RegisterRandom(
		RandomCase{Name: "resize/linear_2d", Op: "resize", Attrs: ops.Attrs{"scales": []float64{1, 1, 1.5, 0.75}, "mode": "linear"},
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{1, 2, 4, 8}}}},
		RandomCase{Name: "resize/cubic_antialias", Op: "resize", Attrs: ops.Attrs{"scales": []float64{1, 0.625, 0.625}, "mode": "cubic", "antialias": 1},
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{2, 5, 5}}}},
		RandomCase{Name: "resize/nearest_int32", Op: "resize", Attrs: ops.Attrs{"scales": []float64{3, 0.5}, "coordinate_transformation_mode": "align_corners"},
			Inputs: []Input{{DType: tensor.Int32, Shape: tensor.Shape{3, 6}, Lo: -100, Hi: 100}}},
	)
}
