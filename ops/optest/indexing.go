package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for gather_elements, scatter_elements, gather_nd, scatter_nd,
// cumsum and topk, worked out by hand.

func ixCase(name, op string, a ops.Attrs, in []*tensor.Tensor, want ...*tensor.Tensor) Case {
	return Case{Name: name, Op: op, Attrs: a, Inputs: in, Want: want}
}

func init() {
	f := ewF32
	i64 := func(shape []int, v ...int64) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }
	nan := math.NaN()
	row := f([]int{1, 5}, 1, 2, 3, 4, 5)
	Register(
		// out[i][j] = data[i][idx[i][j]]
		ixCase("gather_elements/axis1", "gather_elements", ops.Attrs{"axis": 1},
			ewIn(f([]int{2, 2}, 1, 2, 3, 4), i64([]int{2, 2}, 0, 0, 1, 0)), f([]int{2, 2}, 1, 1, 4, 3)),
		// out[0][j] = data[idx[0][j]][j]; −1 is the last row
		ixCase("gather_elements/axis0_negative", "gather_elements", nil,
			ewIn(f([]int{3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), ewI32([]int{1, 3}, -1, 0, 1)), f([]int{1, 3}, 7, 2, 6)),
		ixCase("scatter_elements/replace", "scatter_elements", ops.Attrs{"axis": 1},
			ewIn(row, i64([]int{1, 2}, 1, 3), f([]int{1, 2}, 1.5, 2.5)), f([]int{1, 5}, 1, 1.5, 3, 2.5, 5)),
		// both updates land on entry 1: 2 + 1.5 + 2.5, 2·1.5·2.5, max(2, 1.5, 2.5)
		ixCase("scatter_elements/add_duplicates", "scatter_elements", ops.Attrs{"axis": 1, "reduction": "add"},
			ewIn(row, i64([]int{1, 2}, 1, 1), f([]int{1, 2}, 1.5, 2.5)), f([]int{1, 5}, 1, 6, 3, 4, 5)),
		ixCase("scatter_elements/mul", "scatter_elements", ops.Attrs{"axis": 1, "reduction": "mul"},
			ewIn(row, i64([]int{1, 2}, 1, 1), f([]int{1, 2}, 1.5, 2.5)), f([]int{1, 5}, 1, 7.5, 3, 4, 5)),
		ixCase("scatter_elements/max", "scatter_elements", ops.Attrs{"axis": 1, "reduction": "max"},
			ewIn(row, i64([]int{1, 2}, 1, -1), f([]int{1, 2}, 1.5, 9)), f([]int{1, 5}, 1, 2, 3, 4, 9)),
		ixCase("gather_nd/elements", "gather_nd", nil,
			ewIn(f([]int{2, 2}, 0, 1, 2, 3), i64([]int{2, 2}, 0, 0, 1, 1)), f([]int{2}, 0, 3)),
		ixCase("gather_nd/rows", "gather_nd", nil,
			ewIn(f([]int{2, 2}, 0, 1, 2, 3), i64([]int{2, 1}, 1, 0)), f([]int{2, 2}, 2, 3, 0, 1)),
		// batch 0 takes its row 1, batch 1 its row 0
		ixCase("gather_nd/batch_dims", "gather_nd", ops.Attrs{"batch_dims": 1},
			ewIn(f([]int{2, 2, 2}, 0, 1, 2, 3, 4, 5, 6, 7), i64([]int{2, 1}, 1, 0)), f([]int{2, 2}, 2, 3, 4, 5)),
		ixCase("scatter_nd/replace", "scatter_nd", nil,
			ewIn(f([]int{8}, 1, 2, 3, 4, 5, 6, 7, 8), i64([]int{4, 1}, 4, 3, 1, 7), f([]int{4}, 9, 10, 11, 12)),
			f([]int{8}, 1, 11, 3, 10, 9, 6, 7, 12)),
		ixCase("scatter_nd/add_rows", "scatter_nd", ops.Attrs{"reduction": "add"},
			ewIn(f([]int{3, 2}, 0, 0, 0, 0, 0, 0), i64([]int{3, 1}, 0, 0, 2), f([]int{3, 2}, 1, 2, 3, 4, 5, 6)),
			f([]int{3, 2}, 4, 6, 0, 0, 5, 6)),
		ixCase("cumsum/inclusive", "cumsum", nil, ewIn(f([]int{5}, 1, 2, 3, 4, 5)), f([]int{5}, 1, 3, 6, 10, 15)),
		ixCase("cumsum/exclusive", "cumsum", ops.Attrs{"exclusive": 1}, ewIn(f([]int{5}, 1, 2, 3, 4, 5)), f([]int{5}, 0, 1, 3, 6, 10)),
		ixCase("cumsum/reverse", "cumsum", ops.Attrs{"reverse": 1}, ewIn(f([]int{5}, 1, 2, 3, 4, 5)), f([]int{5}, 15, 14, 12, 9, 5)),
		ixCase("cumsum/reverse_exclusive", "cumsum", ops.Attrs{"reverse": 1, "exclusive": 1},
			ewIn(f([]int{5}, 1, 2, 3, 4, 5)), f([]int{5}, 14, 12, 9, 5, 0)),
		ixCase("cumsum/axis1_int32", "cumsum", ops.Attrs{"axis": 1},
			ewIn(ewI32([]int{2, 3}, 1, 2, 3, 4, 5, 6)), ewI32([]int{2, 3}, 1, 3, 6, 4, 9, 15)),
		ixCase("cumprod/inclusive", "cumprod", nil, ewIn(f([]int{4}, 1, 2, 3, 4)), f([]int{4}, 1, 2, 6, 24)),
		ixCase("cumprod/exclusive_reverse", "cumprod", ops.Attrs{"exclusive": 1, "reverse": 1},
			ewIn(f([]int{4}, 1, 2, 3, 4)), f([]int{4}, 24, 12, 4, 1)),
		ixCase("cumprod/axis0_int32", "cumprod", nil, ewIn(ewI32([]int{2, 2}, -2, 3, 5, 7)), ewI32([]int{2, 2}, -2, 3, -10, 21)),
		ixCase("topk/largest", "topk", ops.Attrs{"k": 3},
			ewIn(f([]int{3, 4}, 0, 1, 2, 3, 7, 6, 5, 4, 8, 11, 10, 9)),
			f([]int{3, 3}, 3, 2, 1, 7, 6, 5, 11, 10, 9), i64([]int{3, 3}, 3, 2, 1, 0, 1, 2, 1, 2, 3)),
		ixCase("topk/smallest", "topk", ops.Attrs{"k": 2, "largest": 0},
			ewIn(f([]int{3, 4}, 0, 1, 2, 3, 7, 6, 5, 4, 8, 11, 10, 9)),
			f([]int{3, 2}, 0, 1, 4, 5, 8, 9), i64([]int{3, 2}, 0, 1, 3, 2, 0, 3)),
		// equal values keep input order
		ixCase("topk/ties", "topk", ops.Attrs{"k": 3}, ewIn(ewI32([]int{4}, 3, 1, 3, 2)),
			ewI32([]int{3}, 3, 3, 2), i64([]int{3}, 0, 2, 3)),
		ixCase("topk/axis0_nan", "topk", ops.Attrs{"k": 2, "axis": 0}, ewIn(f([]int{3, 1}, 1, nan, 2)),
			f([]int{2, 1}, nan, 2), i64([]int{2, 1}, 1, 2)),
	)
	RegisterRandom(
		RandomCase{Name: "topk/random", Op: "topk", Attrs: ops.Attrs{"k": 4, "axis": 1},
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{3, 9, 2}}}},
		RandomCase{Name: "cumsum/random", Op: "cumsum", Attrs: ops.Attrs{"axis": -1, "reverse": 1},
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{4, 7}}}},
		RandomCase{Name: "gather_elements/random", Op: "gather_elements", Attrs: ops.Attrs{"axis": 1},
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{3, 5}},
				{Fixed: tensor.MustFromSlice([]int64{4, 0, -1, 2, 3, 3, 1, 0, 0, -5, 2, 2}, 3, 4)}}},
	)
}
