package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for softmax, log_softmax, batch_norm, layer_norm, instance_norm and lrn.

// Constants for the hand computations, to float64 precision.
const (
	normLn2 = 0.6931471805599453
	normLn3 = 1.0986122886681098
	normLn6 = 1.791759469228055 // ln 2 + ln 3
	// normK is 1/sqrt(1 + 1e-5): a unit variance under the default epsilon.
	// Series: 1 − e/2 + 3e²/8 − … with e = 1e-5 gives 0.99999500003749969.
	normK = 0.9999950000374997
)

// normTensors builds one tensor of dtype d per (shape, values) pair.
func normTensors(d tensor.DType, specs ...normSpec) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(specs))
	for i, s := range specs {
		out[i] = reduceOf(d, s.shape, s.vals...)
	}
	return out
}

// normSpec is a tensor literal: its shape and its values.
type normSpec struct {
	shape []int
	vals  []float64
}

// normT is shorthand for a normSpec.
func normT(shape []int, vals ...float64) normSpec { return normSpec{shape, vals} }

func init() {
	inf := math.Inf(1)

	// softmax / log_softmax. Rows [0 ln2 ln3] exponentiate to [1 2 3] (sum 6)
	// and [0 0 0] to [1 1 1] (sum 3).
	sm := normT([]int{2, 3}, 0, normLn2, normLn3, 0, 0, 0)
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		suffix := "_" + d.String()
		if d == tensor.Float32 {
			suffix = ""
		}
		Register(
			Case{Name: "softmax/rows" + suffix, Op: "softmax", // default axis −1
				Inputs: normTensors(d, sm),
				Want:   normTensors(d, normT([]int{2, 3}, 1.0/6, 2.0/6, 3.0/6, 1.0/3, 1.0/3, 1.0/3))},
			// log(k/6) = ln k − ln 6; log(1/3) = −ln 3
			Case{Name: "log_softmax/rows" + suffix, Op: "log_softmax",
				Inputs: normTensors(d, sm),
				Want: normTensors(d, normT([]int{2, 3}, -normLn6, normLn2-normLn6, normLn3-normLn6,
					-normLn3, -normLn3, -normLn3))},
		)
	}
	Register(
		Case{Name: "softmax/axis_neg1", Op: "softmax", Attrs: ops.Attrs{"axis": -1},
			Inputs: normTensors(tensor.Float32, sm),
			Want:   normTensors(tensor.Float32, normT([]int{2, 3}, 1.0/6, 2.0/6, 3.0/6, 1.0/3, 1.0/3, 1.0/3))},
		// columns (0,0)→[1/2 1/2], (ln2,0)→[2/3 1/3], (ln3,0)→[3/4 1/4]
		Case{Name: "softmax/axis0", Op: "softmax", Attrs: ops.Attrs{"axis": 0},
			Inputs: normTensors(tensor.Float32, sm),
			Want:   normTensors(tensor.Float32, normT([]int{2, 3}, 0.5, 2.0/3, 0.75, 0.5, 1.0/3, 0.25))},
		// along axis 1 of [[[0 ln3] [ln3 0]]]: (0,ln3)→[1/4 3/4], (ln3,0)→[3/4 1/4]
		Case{Name: "softmax/middle_axis", Op: "softmax", Attrs: ops.Attrs{"axis": 1},
			Inputs: normTensors(tensor.Float32, normT([]int{1, 2, 2}, 0, normLn3, normLn3, 0)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 2, 2}, 0.25, 0.75, 0.75, 0.25))},
		// exp(1000) overflows; subtracting the max makes every term exp(0) = 1
		Case{Name: "softmax/large_values", Op: "softmax",
			Inputs: normTensors(tensor.Float32, normT([]int{1, 3}, 1000, 1000, 1000)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 3}, 1.0/3, 1.0/3, 1.0/3))},
		Case{Name: "softmax/neg_inf_entry", Op: "softmax", // exp(−inf) = 0
			Inputs: normTensors(tensor.Float32, normT([]int{2}, -inf, 0)),
			Want:   normTensors(tensor.Float32, normT([]int{2}, 0, 1))},
		Case{Name: "softmax/zero_size_axis", Op: "softmax",
			Inputs: normTensors(tensor.Float32, normT([]int{2, 0})),
			Want:   normTensors(tensor.Float32, normT([]int{2, 0}))},
		Case{Name: "log_softmax/axis_neg1", Op: "log_softmax", Attrs: ops.Attrs{"axis": -1},
			Inputs: normTensors(tensor.Float32, sm),
			Want: normTensors(tensor.Float32, normT([]int{2, 3}, -normLn6, normLn2-normLn6, normLn3-normLn6,
				-normLn3, -normLn3, -normLn3))},
		// log of [1/2 2/3 3/4; 1/2 1/3 1/4] = [−ln2, ln2−ln3, ln3−2ln2; −ln2, −ln3, −2ln2]
		Case{Name: "log_softmax/axis0", Op: "log_softmax", Attrs: ops.Attrs{"axis": 0},
			Inputs: normTensors(tensor.Float32, sm),
			Want: normTensors(tensor.Float32, normT([]int{2, 3}, -normLn2, normLn2-normLn3, normLn3-2*normLn2,
				-normLn2, -normLn3, -2*normLn2))},
		Case{Name: "log_softmax/large_values", Op: "log_softmax", // log(1/3) each
			Inputs: normTensors(tensor.Float32, normT([]int{1, 3}, 1000, 1000, 1000)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 3}, -normLn3, -normLn3, -normLn3))},
		Case{Name: "log_softmax/neg_inf_entry", Op: "log_softmax", // log 0 = −inf, log 1 = 0
			Inputs: normTensors(tensor.Float32, normT([]int{2}, -inf, 0)),
			Want:   normTensors(tensor.Float32, normT([]int{2}, -inf, 0))},
		Case{Name: "log_softmax/zero_size_axis", Op: "log_softmax", Attrs: ops.Attrs{"axis": 0},
			Inputs: normTensors(tensor.Float32, normT([]int{0, 3})),
			Want:   normTensors(tensor.Float32, normT([]int{0, 3}))},
	)

	// batch_norm with C=2: scale [2 0.5], bias [1 −1], mean [1 2], var [3 15],
	// epsilon 1, so sqrt(var+eps) = [2 4]:
	//   channel 0: 2·(x−1)/2 + 1 = x;  channel 1: 0.5·(x−2)/4 − 1 = (x−2)/8 − 1.
	bnParams := []normSpec{normT([]int{2}, 2, 0.5), normT([]int{2}, 1, -1), normT([]int{2}, 1, 2), normT([]int{2}, 3, 15)}
	bnIn := func(d tensor.DType, x normSpec) []*tensor.Tensor {
		return normTensors(d, append([]normSpec{x}, bnParams...)...)
	}
	eps1 := ops.Attrs{"epsilon": 1.0}
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		suffix := "_" + d.String()
		if d == tensor.Float32 {
			suffix = ""
		}
		Register(
			// channel 0 [1 3] → [1 3]; channel 1 [2 10] → [−1 0]
			Case{Name: "batch_norm/hand" + suffix, Op: "batch_norm", Attrs: eps1,
				Inputs: bnIn(d, normT([]int{1, 2, 2}, 1, 3, 2, 10)),
				Want:   normTensors(d, normT([]int{1, 2, 2}, 1, 3, -1, 0))},
		)
	}
	Register(
		// N=2, spatial 1×2: n0 as above; n1 channel 0 [5 −1] → [5 −1], channel 1 [18 −6] → [1 −2]
		Case{Name: "batch_norm/nchw", Op: "batch_norm", Attrs: eps1,
			Inputs: bnIn(tensor.Float32, normT([]int{2, 2, 1, 2}, 1, 3, 2, 10, 5, -1, 18, -6)),
			Want:   normTensors(tensor.Float32, normT([]int{2, 2, 1, 2}, 1, 3, -1, 0, 5, -1, 1, -2))},
		// rank 2 (N, C); scale 1, bias 0, mean [1 2], var 1, default epsilon: y = (x − mean)·normK
		Case{Name: "batch_norm/default_epsilon", Op: "batch_norm",
			Inputs: normTensors(tensor.Float32, normT([]int{2, 2}, 3, 4, -1, 6), normT([]int{2}, 1, 1),
				normT([]int{2}, 0, 0), normT([]int{2}, 1, 2), normT([]int{2}, 1, 1)),
			Want: normTensors(tensor.Float32, normT([]int{2, 2}, 2*normK, 2*normK, -2*normK, 4*normK))},
		Case{Name: "batch_norm/zero_batch", Op: "batch_norm", Attrs: eps1,
			Inputs: bnIn(tensor.Float32, normT([]int{0, 2, 3})),
			Want:   normTensors(tensor.Float32, normT([]int{0, 2, 3}))},
	)

	// layer_norm. Rows [1 2 3 4] and [4 3 2 1] have mean 2.5 and variance
	// (2.25+0.25+0.25+2.25)/4 = 1.25; epsilon 2.75 makes sqrt(var+eps) = 2, so
	// they normalize to ±[−0.75 −0.25 0.25 0.75].
	eps275 := ops.Attrs{"epsilon": 2.75}
	lnX := normT([]int{2, 4}, 1, 2, 3, 4, 4, 3, 2, 1)
	lnScale := normT([]int{4}, 1, 2, 3, 4)
	lnBias := normT([]int{4}, 0.5, 0, 0, -1)
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		suffix := "_" + d.String()
		if d == tensor.Float32 {
			suffix = ""
		}
		Register(
			// normalized·[1 2 3 4] + [0.5 0 0 −1]
			Case{Name: "layer_norm/last_axis" + suffix, Op: "layer_norm", Attrs: eps275,
				Inputs: normTensors(d, lnX, lnScale, lnBias),
				Want:   normTensors(d, normT([]int{2, 4}, -0.25, -0.5, 0.75, 2, 1.25, 0.5, -0.75, -4))},
		)
	}
	lnNoBias := normT([]int{2, 4}, -0.75, -0.5, 0.75, 3, 0.75, 0.5, -0.75, -3)
	// The same rows as [2 2 2] groups normalized over the last two axes, scale
	// [[1 2] [3 4]], bias [0.5 −1] broadcast along the rows.
	ln3 := normT([]int{2, 2, 2}, 1, 2, 3, 4, 4, 3, 2, 1)
	ln3Scale := normT([]int{2, 2}, 1, 2, 3, 4)
	Register(
		Case{Name: "layer_norm/last_axis_no_bias", Op: "layer_norm", Attrs: eps275,
			Inputs: normTensors(tensor.Float32, lnX, lnScale),
			Want:   normTensors(tensor.Float32, lnNoBias)},
		Case{Name: "layer_norm/last_axis_nil_bias", Op: "layer_norm", Attrs: eps275,
			Inputs: append(normTensors(tensor.Float32, lnX, lnScale), nil),
			Want:   normTensors(tensor.Float32, lnNoBias)},
		// [−0.75 −0.25 0.25 0.75]·[1 2 3 4] + [0.5 −1 0.5 −1] = [−0.25 −1.5 1.25 2];
		// [0.75 0.25 −0.25 −0.75]·[1 2 3 4] + [0.5 −1 0.5 −1] = [1.25 −0.5 −0.25 −4]
		Case{Name: "layer_norm/last_two_axes", Op: "layer_norm", Attrs: ops.Attrs{"axis": -2, "epsilon": 2.75},
			Inputs: normTensors(tensor.Float32, ln3, ln3Scale, normT([]int{2}, 0.5, -1)),
			Want:   normTensors(tensor.Float32, normT([]int{2, 2, 2}, -0.25, -1.5, 1.25, 2, 1.25, -0.5, -0.25, -4))},
		Case{Name: "layer_norm/last_two_axes_no_bias", Op: "layer_norm", Attrs: ops.Attrs{"axis": 1, "epsilon": 2.75},
			Inputs: normTensors(tensor.Float32, ln3, ln3Scale),
			Want:   normTensors(tensor.Float32, normT([]int{2, 2, 2}, -0.75, -0.5, 0.75, 3, 0.75, 0.5, -0.75, -3))},
		// [0 2 0 2]: mean 1, variance 1, default epsilon → ±normK; scale [2] broadcasts to [4]
		Case{Name: "layer_norm/default_epsilon", Op: "layer_norm",
			Inputs: normTensors(tensor.Float32, normT([]int{1, 4}, 0, 2, 0, 2), normT([]int{1}, 2)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 4}, -2*normK, 2*normK, -2*normK, 2*normK))},
		Case{Name: "layer_norm/zero_rows", Op: "layer_norm",
			Inputs: normTensors(tensor.Float32, normT([]int{0, 4}), lnScale, lnBias),
			Want:   normTensors(tensor.Float32, normT([]int{0, 4}))},
	)

	// instance_norm, epsilon 2.75, x [2 2 4], scale [2 1], bias [0 1]:
	//   n0 c0 [1 2 3 4] → [−0.75 −0.25 0.25 0.75]·2 = [−1.5 −0.5 0.5 1.5]
	//   n0 c1 [5 5 5 5] → variance 0, all 0 → bias 1
	//   n1 c0 [4 3 2 1] → [1.5 0.5 −0.5 −1.5]
	//   n1 c1 [7 6 5 4] → mean 5.5, variance 1.25 → [0.75 0.25 −0.25 −0.75] + 1
	inX := normT([]int{2, 2, 4}, 1, 2, 3, 4, 5, 5, 5, 5, 4, 3, 2, 1, 7, 6, 5, 4)
	inWant := normT([]int{2, 2, 4}, -1.5, -0.5, 0.5, 1.5, 1, 1, 1, 1, 1.5, 0.5, -0.5, -1.5, 1.75, 1.25, 0.75, 0.25)
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		suffix := "_" + d.String()
		if d == tensor.Float32 {
			suffix = ""
		}
		Register(Case{Name: "instance_norm/hand" + suffix, Op: "instance_norm", Attrs: eps275,
			Inputs: normTensors(d, inX, normT([]int{2}, 2, 1), normT([]int{2}, 0, 1)),
			Want:   normTensors(d, inWant)})
	}
	Register(
		// [[0 2] [2 0]]: mean 1, variance 1, default epsilon → ∓normK; ·3 + 1
		Case{Name: "instance_norm/default_epsilon_2d", Op: "instance_norm",
			Inputs: normTensors(tensor.Float32, normT([]int{1, 1, 2, 2}, 0, 2, 2, 0), normT([]int{1}, 3), normT([]int{1}, 1)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 1, 2, 2}, 1-3*normK, 1+3*normK, 1+3*normK, 1-3*normK))},
		Case{Name: "instance_norm/zero_spatial", Op: "instance_norm",
			Inputs: normTensors(tensor.Float32, normT([]int{1, 2, 0}), normT([]int{2}, 1, 1), normT([]int{2}, 0, 0)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 2, 0}))},
	)

	// lrn. x = channels [1 2 3] at one position, size 3: the window of c is
	// [c−1, c+1] clipped, so square sums are c0: 1+4 = 5, c1: 1+4+9 = 14, c2: 4+9 = 13.
	// alpha 3 makes alpha/size = 1; with bias 1, beta 1: y = x/(1 + ss) = [1/6 2/15 3/14].
	lrnX := normT([]int{1, 3, 1, 1}, 1, 2, 3)
	lrnAttrs := ops.Attrs{"size": 3, "alpha": 3.0, "beta": 1.0, "bias": 1.0}
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16} {
		suffix := "_" + d.String()
		if d == tensor.Float32 {
			suffix = ""
		}
		Register(Case{Name: "lrn/size3" + suffix, Op: "lrn", Attrs: lrnAttrs,
			Inputs: normTensors(d, lrnX),
			Want:   normTensors(d, normT([]int{1, 3, 1, 1}, 1.0/6, 2.0/15, 3.0/14))})
	}
	Register(
		// size 2: window [c, c+1] (floor(1/2) = 0 below, ceil(1/2) = 1 above); alpha/size = 1.
		// x channels c0 [1 2], c1 [3 0] over two positions:
		//   p0: c0 ss 1+9 = 10 → 1/11; c1 ss 9 → 3/10.  p1: c0 ss 4+0 → 2/5; c1 ss 0 → 0/1.
		Case{Name: "lrn/size2_asymmetric", Op: "lrn", Attrs: ops.Attrs{"size": 2, "alpha": 2.0, "beta": 1.0, "bias": 1.0},
			Inputs: normTensors(tensor.Float32, normT([]int{1, 2, 1, 2}, 1, 2, 3, 0)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 2, 1, 2}, 1.0/11, 2.0/5, 3.0/10, 0))},
		// size 1 (own channel only), alpha 1, beta 0.5, bias 16, rank 3:
		// 3/sqrt(16+9) = 0.6, −3/5 = −0.6, 0/4 = 0
		Case{Name: "lrn/size1_sqrt", Op: "lrn", Attrs: ops.Attrs{"size": 1, "alpha": 1.0, "beta": 0.5, "bias": 16.0},
			Inputs: normTensors(tensor.Float32, normT([]int{1, 3, 1}, 3, -3, 0)),
			Want:   normTensors(tensor.Float32, normT([]int{1, 3, 1}, 0.6, -0.6, 0))},
		// defaults alpha 1e-4, beta 0.75, bias 1: y = x·(1 + 1e-4/3·ss)^−0.75 with ss = [5 14 13];
		// (1+u)^−0.75 ≈ 1 − 0.75u + 0.65625u²: c0 u=1.6667e-4 → 0.99987501823,
		// c1 u=4.6667e-4 → 2·0.99965014286, c2 u=4.3333e-4 → 3·0.99967512318
		Case{Name: "lrn/default_attrs", Op: "lrn", Attrs: ops.Attrs{"size": 3},
			Inputs: normTensors(tensor.Float32, lrnX),
			Want:   normTensors(tensor.Float32, normT([]int{1, 3, 1, 1}, 0.999875018226382, 1.999300285711114, 2.999025369540712))},
		Case{Name: "lrn/zero_batch", Op: "lrn", Attrs: ops.Attrs{"size": 3},
			Inputs: normTensors(tensor.Float32, normT([]int{0, 3, 2})),
			Want:   normTensors(tensor.Float32, normT([]int{0, 3, 2}))},
	)

	normRandom()
}

// normRandom registers the randomized parity cases of this family.
func normRandom() {
	f32 := func(shape ...int) Input { return Input{DType: tensor.Float32, Shape: shape, Lo: -5, Hi: 5} }
	RegisterRandom(
		RandomCase{Name: "softmax/rand_4x10", Op: "softmax", Inputs: []Input{f32(4, 10)}},
		RandomCase{Name: "softmax/rand_4x10_axis0", Op: "softmax", Attrs: ops.Attrs{"axis": 0}, Inputs: []Input{f32(4, 10)}},
		RandomCase{Name: "softmax/rand_nchw_axis1", Op: "softmax", Attrs: ops.Attrs{"axis": 1}, Inputs: []Input{f32(2, 3, 4, 5)}},
		RandomCase{Name: "softmax/rand_float16", Op: "softmax", Inputs: []Input{{DType: tensor.Float16, Shape: tensor.Shape{4, 10}}}},
		RandomCase{Name: "log_softmax/rand_4x10", Op: "log_softmax", Inputs: []Input{f32(4, 10)}},
		RandomCase{Name: "log_softmax/rand_4x10_axis0", Op: "log_softmax", Attrs: ops.Attrs{"axis": 0}, Inputs: []Input{f32(4, 10)}},
		RandomCase{Name: "log_softmax/rand_nchw_axis1", Op: "log_softmax", Attrs: ops.Attrs{"axis": 1}, Inputs: []Input{f32(2, 3, 4, 5)}},
		RandomCase{Name: "batch_norm/rand_nchw", Op: "batch_norm", Inputs: []Input{
			{DType: tensor.Float32, Shape: tensor.Shape{2, 3, 4, 4}},
			{DType: tensor.Float32, Shape: tensor.Shape{3}, Lo: 0.5, Hi: 2},
			{DType: tensor.Float32, Shape: tensor.Shape{3}},
			{DType: tensor.Float32, Shape: tensor.Shape{3}},
			{DType: tensor.Float32, Shape: tensor.Shape{3}, Lo: 0.5, Hi: 2}, // variances must be positive
		}},
		RandomCase{Name: "layer_norm/rand_last_axis", Op: "layer_norm", Inputs: []Input{
			{DType: tensor.Float32, Shape: tensor.Shape{2, 8, 16}},
			{DType: tensor.Float32, Shape: tensor.Shape{16}},
			{DType: tensor.Float32, Shape: tensor.Shape{16}},
		}},
		RandomCase{Name: "layer_norm/rand_last_two_axes_no_bias", Op: "layer_norm", Attrs: ops.Attrs{"axis": -2}, Inputs: []Input{
			{DType: tensor.Float32, Shape: tensor.Shape{2, 8, 16}},
			{DType: tensor.Float32, Shape: tensor.Shape{8, 16}},
			{Omit: true},
		}},
		RandomCase{Name: "layer_norm/rand_float64", Op: "layer_norm", Attrs: ops.Attrs{"epsilon": 1e-3}, Inputs: []Input{
			{DType: tensor.Float64, Shape: tensor.Shape{3, 10}},
			{DType: tensor.Float64, Shape: tensor.Shape{10}},
			{DType: tensor.Float64, Shape: tensor.Shape{1}},
		}},
		RandomCase{Name: "instance_norm/rand_nchw", Op: "instance_norm", Inputs: []Input{
			{DType: tensor.Float32, Shape: tensor.Shape{2, 3, 5, 5}},
			{DType: tensor.Float32, Shape: tensor.Shape{3}},
			{DType: tensor.Float32, Shape: tensor.Shape{3}},
		}},
		RandomCase{Name: "lrn/rand_size5", Op: "lrn", Attrs: ops.Attrs{"size": 5}, Inputs: []Input{f32(1, 8, 4, 4)}},
		RandomCase{Name: "lrn/rand_size5_strong", Op: "lrn", Attrs: ops.Attrs{"size": 5, "alpha": 1.0, "beta": 0.5, "bias": 2.0},
			Inputs: []Input{f32(1, 8, 4, 4)}},
	)
}
