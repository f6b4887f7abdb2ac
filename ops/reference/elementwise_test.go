package reference

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// ewOps lists the elementwise family, for the tests below that pick its cases.
var ewOps = map[string]bool{}

func init() {
	for _, n := range []string{
		"exp", "log", "sqrt", "reciprocal", "sigmoid", "tanh", "erf", "softplus", "softsign", "floor", "ceil",
		"gelu", "elu", "selu", "leaky_relu", "hard_sigmoid", "neg", "abs", "relu", "sign", "not",
		"add", "sub", "mul", "div", "pow", "max", "min", "prelu",
		"equal", "less", "less_equal", "greater", "greater_equal", "and", "or", "xor",
		"where", "clip", "cast", "identity",
	} {
		ewOps[n] = true
	}
}

// TestEwBroadcastMatchesIndexArithmetic checks the odometer loop against the
// definition: output multi-index i maps to input index i[d] (or 0 where the
// input's dimension is 1), dimensions aligned from the right.
func TestEwBroadcastMatchesIndexArithmetic(t *testing.T) {
	for _, tc := range []struct{ out, a, b tensor.Shape }{
		{tensor.Shape{2, 3}, tensor.Shape{2, 3}, tensor.Shape{3}},
		{tensor.Shape{2, 3}, tensor.Shape{2, 1}, tensor.Shape{1, 3}},
		{tensor.Shape{2, 3, 4}, tensor.Shape{}, tensor.Shape{3, 1}},
		{tensor.Shape{3, 1, 4, 2}, tensor.Shape{3, 1, 1, 2}, tensor.Shape{4, 1}},
		{tensor.Shape{}, tensor.Shape{}, tensor.Shape{}},
		{tensor.Shape{5}, tensor.Shape{5}, tensor.Shape{1}},
	} {
		seen := 0
		ewBroadcast(tc.out, []tensor.Shape{tc.a, tc.b}, func(o int, idx []int) {
			require.Equal(t, seen, o, "row-major order")
			seen++
			pos := ewUnravel(o, tc.out)
			for k, s := range []tensor.Shape{tc.a, tc.b} {
				want, st := 0, s.Strides()
				for d := range s {
					if s[d] != 1 {
						want += pos[len(tc.out)-len(s)+d] * st[d]
					}
				}
				require.Equal(t, want, idx[k], "out %v %v, input %d %v", tc.out, pos, k, s)
			}
		})
		require.Equal(t, tc.out.NumElements(), seen)
	}
	ewBroadcast(tensor.Shape{0, 3}, []tensor.Shape{{0, 3}, {1, 3}}, func(int, []int) { t.Fatal("visited an empty output") })
}

func ewUnravel(flat int, s tensor.Shape) []int {
	pos := make([]int, len(s))
	for d := len(s) - 1; d >= 0; d-- {
		pos[d] = flat % s[d]
		flat /= s[d]
	}
	return pos
}

func TestEwIntDivByZeroIsAnError(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Int8, tensor.Uint8, tensor.Int32, tensor.Int64} {
		a, err := tensor.FromInt64s(d, tensor.Shape{2, 2}, []int64{1, 2, 3, 4})
		require.NoError(t, err)
		b, err := tensor.FromInt64s(d, tensor.Shape{2}, []int64{1, 0})
		require.NoError(t, err)
		_, err = Eval("div", nil, a, b)
		require.ErrorContains(t, err, "op div")
		require.ErrorContains(t, err, "division by zero")
	}
}

// TestEwIntDivMostNegative checks that MinInt64 / −1 wraps like Go instead of trapping.
func TestEwIntDivMostNegative(t *testing.T) {
	got, err := Eval("div", nil, tensor.MustFromSlice([]int64{math.MinInt64}, 1), tensor.MustFromSlice([]int64{-1}, 1))
	require.NoError(t, err)
	require.Equal(t, []int64{math.MinInt64}, tensor.MustView[int64](got[0]))
}

// TestEwRandomCasesRun runs the family's randomized cases on ref with inputs
// drawn as the case describes, so a case whose inputs Infer rejects or whose
// kernel fails (say an integer division by zero) is caught here, before any
// backend comparison. The outputs must also be free of NaN where the ranges
// promise defined math.
func TestEwRandomCasesRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, c := range optest.RandomCases() {
		if !ewOps[c.Op] {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			in := make([]*tensor.Tensor, len(c.Inputs))
			for i, spec := range c.Inputs {
				in[i] = ewRandomInput(t, rng, spec)
			}
			out, err := Eval(c.Op, c.Attrs, in...)
			require.NoError(t, err)
			if out[0].DType().IsFloat() {
				for _, x := range out[0].Float64s() {
					require.False(t, math.IsNaN(x), "NaN in output")
				}
			}
		})
	}
	require.NotZero(t, n)
}

func ewRandomInput(t *testing.T, rng *rand.Rand, spec optest.Input) *tensor.Tensor {
	lo, hi := spec.Lo, spec.Hi
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	vals := make([]float64, spec.Shape.NumElements())
	for i := range vals {
		if spec.DType.IsFloat() {
			vals[i] = lo + rng.Float64()*(hi-lo)
		} else { // integer and bool bounds are inclusive
			vals[i] = math.Floor(lo + rng.Float64()*(hi-lo+1))
		}
	}
	x, err := tensor.FromFloat64s(spec.DType, spec.Shape, vals)
	require.NoError(t, err)
	return x
}

// TestEwLargeBroadcastIsQuick guards against a per-element allocation or a
// quadratic index computation in the broadcasting loop.
func TestEwLargeBroadcastIsQuick(t *testing.T) {
	x, err := tensor.New(tensor.Float32, 1, 3, 224, 224)
	require.NoError(t, err)
	b, err := tensor.New(tensor.Float32, 3, 1, 1)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1, func() {
		_, err := Eval("add", nil, x, b)
		require.NoError(t, err)
	})
	require.Less(t, allocs, 100.0)
}
