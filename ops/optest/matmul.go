package optest

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for matmul. Every expected value is worked out by hand in the comment
// next to it.

// mmT builds a tensor of dtype d and the given shape from float64 literals
// (exact for the small values used here).
func mmT(d tensor.DType, shape []int, vals ...float64) *tensor.Tensor {
	if vals == nil {
		vals = []float64{}
	}
	t, err := tensor.FromFloat64s(d, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

// mmF32 is mmT for float32.
func mmF32(shape []int, vals ...float64) *tensor.Tensor { return mmT(tensor.Float32, shape, vals...) }

// mmCase is a matmul of a and b expecting want.
func mmCase(name string, a, b, want *tensor.Tensor) Case {
	return Case{Name: "matmul/" + name, Op: "matmul", Inputs: []*tensor.Tensor{a, b}, Want: []*tensor.Tensor{want}}
}

func init() {
	a23 := []float64{1, 2, 3, 4, 5, 6}    // [[1 2 3] [4 5 6]]
	b32 := []float64{7, 8, 9, 10, 11, 12} // [[7 8] [9 10] [11 12]]
	Register(
		// [[1 2 3] [4 5 6]] · [[7 8] [9 10] [11 12]]:
		// row 0: 1·7+2·9+3·11 = 7+18+33 = 58, 1·8+2·10+3·12 = 8+20+36 = 64
		// row 1: 4·7+5·9+6·11 = 28+45+66 = 139, 4·8+5·10+6·12 = 32+50+72 = 154
		mmCase("2x3_3x2", mmF32([]int{2, 3}, a23...), mmF32([]int{3, 2}, b32...),
			mmF32([]int{2, 2}, 58, 64, 139, 154)),
		// 1-D a is a row [1, 3]: [1 2 3] · b = row 0 above = [58 64]; the 1 is dropped → [2]
		mmCase("1d_2d", mmF32([]int{3}, 1, 2, 3), mmF32([]int{3, 2}, b32...), mmF32([]int{2}, 58, 64)),
		// 1-D b is a column [3, 1]: [1 2 3]·[1 0 −1] = 1−3 = −2, [4 5 6]·[1 0 −1] = 4−6 = −2 → [2]
		mmCase("2d_1d", mmF32([]int{2, 3}, a23...), mmF32([]int{3}, 1, 0, -1), mmF32([]int{2}, -2, -2)),
		// both 1-D: a dot product, 1·4+2·5+3·6 = 4+10+18 = 32, a scalar
		mmCase("1d_1d", mmF32([]int{3}, 1, 2, 3), mmF32([]int{3}, 4, 5, 6), mmF32([]int{}, 32)),
		// [2,1,2,3] · [3,2] → [2,1,2,2], b = [[1 0] [0 1] [1 1]] maps a row [p q r] to [p+r, q+r]:
		// batch 0: [1 2 3] → [4 5], [4 5 6] → [10 11]
		// batch 1: [−1 0 2] → [1 2], [0 3 0] → [0 3]
		mmCase("batch_broadcast", mmF32([]int{2, 1, 2, 3}, 1, 2, 3, 4, 5, 6, -1, 0, 2, 0, 3, 0),
			mmF32([]int{3, 2}, 1, 0, 0, 1, 1, 1), mmF32([]int{2, 1, 2, 2}, 4, 5, 10, 11, 1, 2, 0, 3)),
		// both sides broadcast: a [2,1,1,2] (a0 = [1 2], a1 = [3 4]) · b [3,2,1]
		// (b0 = [1 1]ᵀ, b1 = [1 −1]ᵀ, b2 = [0 2]ᵀ) → [2,3,1,1], out[i][j] = ai·bj:
		// a0: 3, −1, 4; a1: 7, −1, 8
		mmCase("batch_broadcast_both", mmF32([]int{2, 1, 1, 2}, 1, 2, 3, 4), mmF32([]int{3, 2, 1}, 1, 1, 1, -1, 0, 2),
			mmF32([]int{2, 3, 1, 1}, 3, -1, 4, 7, -1, 8)),
		// 1-D a against a batched b: [1 1] · b [2,2,2] → [2,2], each batch's column sums
		// b0 = [[1 2] [3 4]] → [4 6]; b1 = [[5 6] [7 8]] → [12 14]
		mmCase("1d_batched", mmF32([]int{2}, 1, 1), mmF32([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8),
			mmF32([]int{2, 2}, 4, 6, 12, 14)),
		// [[1 −2] [3 4]] · [[5 6] [7 −8]]: 5−14 = −9, 6+16 = 22, 15+28 = 43, 18−32 = −14
		mmCase("int32", mmT(tensor.Int32, []int{2, 2}, 1, -2, 3, 4), mmT(tensor.Int32, []int{2, 2}, 5, 6, 7, -8),
			mmT(tensor.Int32, []int{2, 2}, -9, 22, 43, -14)),
		// int32 wraps at its width: 65536·65536 = 2^32 ≡ 0 (mod 2^32)
		mmCase("int32_wrap", mmT(tensor.Int32, []int{1, 1}, 65536), mmT(tensor.Int32, []int{1, 1}, 65536),
			mmT(tensor.Int32, []int{1, 1}, 0)),
		// int64 accumulates exactly beyond 2^53: 3037000499² + 1·5 = 9223372030926249001 + 5
		mmCase("int64", tensor.MustFromSlice([]int64{3037000499, 1}, 1, 2),
			tensor.MustFromSlice([]int64{3037000499, 5}, 2, 1),
			tensor.MustFromSlice([]int64{9223372030926249006}, 1, 1)),
		// K = 0: empty sums, so a [2,0] · b [0,3] is a [2,3] of zeros
		mmCase("k0", mmF32([]int{2, 0}), mmF32([]int{0, 3}), mmF32([]int{2, 3}, 0, 0, 0, 0, 0, 0)),
		// a zero batch dim: [0,2,3] · [3,2] → [0,2,2], nothing to compute
		mmCase("zero_batch", mmF32([]int{0, 2, 3}), mmF32([]int{3, 2}, b32...), mmF32([]int{0, 2, 2})),
		// float16: [[1 0.5] [2 0.25]] · [[2 4] [8 1]]: 2+4 = 6, 4+0.5 = 4.5, 4+2 = 6, 8+0.25 = 8.25 (all exact)
		mmCase("float16", mmT(tensor.Float16, []int{2, 2}, 1, 0.5, 2, 0.25), mmT(tensor.Float16, []int{2, 2}, 2, 4, 8, 1),
			mmT(tensor.Float16, []int{2, 2}, 6, 4.5, 6, 8.25)),
		// float16 rounds once: 2048+1+1 = 2050 is a float16 value, though summing in
		// float16 would round 2048+1 back to 2048 at each step
		mmCase("float16_round_once", mmT(tensor.Float16, []int{3}, 2048, 1, 1), mmT(tensor.Float16, []int{3}, 1, 1, 1),
			mmT(tensor.Float16, []int{}, 2050)),
		// bfloat16: [1 2] · [[3] [4]] = 3+8 = 11 (exact)
		mmCase("bfloat16", mmT(tensor.BFloat16, []int{1, 2}, 1, 2), mmT(tensor.BFloat16, []int{2, 1}, 3, 4),
			mmT(tensor.BFloat16, []int{1, 1}, 11)),
		// float64: 0.1·1 + 0.2·1 = 0.30000000000000004 in float64
		mmCase("float64", mmT(tensor.Float64, []int{1, 2}, 0.1, 0.2), mmT(tensor.Float64, []int{2, 1}, 1, 1),
			mmT(tensor.Float64, []int{1, 1}, 0.30000000000000004)),
	)

	f32, f64, f16 := tensor.Float32, tensor.Float64, tensor.Float16
	in := func(d tensor.DType, shape ...int) Input { return Input{DType: d, Shape: shape} }
	RegisterRandom(
		RandomCase{Name: "matmul/random_4x5_5x3", Op: "matmul", Inputs: []Input{in(f32, 4, 5), in(f32, 5, 3)}},
		RandomCase{Name: "matmul/random_batched", Op: "matmul", Inputs: []Input{in(f32, 2, 3, 4, 5), in(f32, 5, 6)}},
		RandomCase{Name: "matmul/random_batch_broadcast", Op: "matmul",
			Inputs: []Input{in(f32, 2, 1, 4, 5), in(f32, 3, 5, 6)}},
		RandomCase{Name: "matmul/random_1d_2d", Op: "matmul", Inputs: []Input{in(f32, 7), in(f32, 7, 3)}},
		RandomCase{Name: "matmul/random_float64", Op: "matmul", Inputs: []Input{in(f64, 2, 4, 5), in(f64, 2, 5, 3)}},
		RandomCase{Name: "matmul/random_float16", Op: "matmul", Inputs: []Input{in(f16, 4, 8), in(f16, 8, 3)}},
		RandomCase{Name: "matmul/random_int32", Op: "matmul",
			Inputs: []Input{{DType: tensor.Int32, Shape: []int{3, 4}, Lo: -5, Hi: 5},
				{DType: tensor.Int32, Shape: []int{4, 2}, Lo: -5, Hi: 5}}},
	)
}
