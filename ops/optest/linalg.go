package optest

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for det. Expected values come from identities: the determinant of a
// triangular matrix is the product of its diagonal, of a row swap -1, of a
// product L·U the product of det(L) = 1 (unit lower triangular) and det(U),
// and swapping two rows negates it.

func init() {
	f := ewF32
	f64 := func(shape []int, v ...float64) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }
	// L = [[1,0,0],[2,1,0],[-1,3,1]], U = [[2,1,1],[0,-1,2],[0,0,4]]:
	// L·U = [[2,1,1],[4,1,4],[-2,-4,9]], det = 2·(-1)·4 = -8; with rows 0
	// and 2 swapped, 8. Elimination must pivot: the first column's largest
	// entry is in row 1.
	lu := f([]int{3, 3}, 2, 1, 1, 4, 1, 4, -2, -4, 9)
	luSwapped := f([]int{3, 3}, -2, -4, 9, 4, 1, 4, 2, 1, 1)
	Register(
		ixCase("det/upper_triangular", "det", nil, ewIn(f([]int{3, 3}, 2, 1, 3, 0, -3, 5, 0, 0, 0.5)), f([]int{}, -3)),
		ixCase("det/lower_triangular_float64", "det", nil,
			ewIn(f64([]int{3, 3}, 1.5, 0, 0, 7, -2, 0, 9, 4, 3)), f64([]int{}, -9)),
		ixCase("det/row_swap", "det", nil, ewIn(f([]int{2, 2}, 0, 1, 1, 0)), f([]int{}, -1)),
		ixCase("det/lu_product", "det", nil, ewIn(lu), f([]int{}, -8)),
		ixCase("det/lu_product_rows_swapped", "det", nil, ewIn(luSwapped), f([]int{}, 8)),
		// rows 2·r0 = r1: singular
		ixCase("det/singular", "det", nil, ewIn(f([]int{2, 2}, 1, 2, 2, 4)), f([]int{}, 0)),
		ixCase("det/zero_column", "det", nil, ewIn(f([]int{3, 3}, 0, 1, 2, 0, 3, 4, 0, 5, 6)), f([]int{}, 0)),
		// a batch: [[1,2],[3,4]] is 1·4 − 2·3 by the 2×2 formula; 2·I is 4
		ixCase("det/batch", "det", nil, ewIn(f([]int{2, 1, 2, 2}, 1, 2, 3, 4, 2, 0, 0, 2)), f([]int{2, 1}, -2, 4)),
		ixCase("det/1x1", "det", nil, ewIn(f([]int{1, 1}, 5)), f([]int{}, 5)),
		ixCase("det/empty_matrix", "det", nil, ewIn(f([]int{2, 0, 0})), f([]int{2}, 1, 1)),
	)
	RegisterRandom(
		RandomCase{Name: "det/random", Op: "det", Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{3, 5, 5}, Lo: -2, Hi: 2}}},
		RandomCase{Name: "det/random_float64", Op: "det", Inputs: []Input{{DType: tensor.Float64, Shape: tensor.Shape{2, 6, 6}, Lo: -1, Hi: 1}}},
	)
}
