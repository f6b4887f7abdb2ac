package ops

// The linear-algebra op: det (ONNX Det).

func init() {
	Register(&Op{
		Name: "det",
		Doc: "Determinant of each square matrix in the last two axes of x (ONNX Det): x [..., M, M] gives " +
			"[...]. Float dtypes; the determinant of a 0×0 matrix is 1.",
		Inputs: []InputSpec{{Name: "x"}},
		Infer:  detInfer,
	})
}

func detInfer(in []Type, _ Attrs) ([]Type, error) {
	if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	x := in[0].Shape
	r := len(x)
	if r < 2 {
		return nil, InputErrorf(0, "rank %d; det needs [..., M, M]", r)
	}
	if x[r-1] != x[r-2] {
		return nil, InputErrorf(0, "shape %v: the last two axes, %d and %d, are not a square matrix", x, x[r-2], x[r-1])
	}
	// The output has fewer elements than x, whose size inference has
	// already bounded: no new overflow to check.
	return one(Type{DType: in[0].DType, Shape: x[:r-2].Clone()}), nil
}
