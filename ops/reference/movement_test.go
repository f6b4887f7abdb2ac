package reference

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// movementRandom fills an optest.Input with seeded values (integers for
// integer dtypes) so the randomized cases can run here without a harness.
func movementRandom(t *testing.T, r *rand.Rand, in optest.Input) *tensor.Tensor {
	if in.Fixed != nil {
		return in.Fixed
	}
	lo, hi := in.Lo, in.Hi
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	vals := make([]float64, in.Shape.NumElements())
	for i := range vals {
		vals[i] = lo + r.Float64()*(hi-lo)
		if !in.DType.IsFloat() {
			vals[i] = math.Floor(vals[i])
		}
	}
	x, err := tensor.FromFloat64s(in.DType, in.Shape, vals)
	require.NoError(t, err)
	return x
}

func movementEval(t *testing.T, op string, a ops.Attrs, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := Eval(op, a, in...)
	require.NoError(t, err)
	return out
}

func movementRequireSame(t *testing.T, got, want *tensor.Tensor) {
	t.Helper()
	cmp := tensor.Compare(got, want, tensor.Tolerance{})
	require.True(t, cmp.Equal, "%v", cmp)
}

// TestMovementRandomCasesRun evaluates the family's randomized cases, so a
// case that ops.Infer accepts but the kernel rejects is caught here.
func TestMovementRandomCasesRun(t *testing.T) {
	family := map[string]bool{"reshape": true, "transpose": true, "concat": true, "split": true, "slice": true,
		"gather": true, "pad": true, "tile": true, "expand": true}
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, c := range optest.RandomCases() {
		if !family[c.Op] {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			in := make([]*tensor.Tensor, len(c.Inputs))
			for i, spec := range c.Inputs {
				in[i] = movementRandom(t, r, spec)
			}
			movementEval(t, c.Op, c.Attrs, in...)
		})
	}
	require.Positive(t, n)
}

// TestMovementIdentities checks the kernels against each other through exact
// identities on random data: each pair of ops must give back the input.
func TestMovementIdentities(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := movementRandom(t, r, optest.Input{DType: tensor.Float32, Shape: tensor.Shape{3, 4, 5, 6}})

	t.Run("transpose then inverse", func(t *testing.T) {
		y := movementEval(t, "transpose", ops.Attrs{"perm": []int{2, 0, 3, 1}}, x)[0]
		back := movementEval(t, "transpose", ops.Attrs{"perm": []int{1, 3, 0, 2}}, y)[0]
		movementRequireSame(t, back, x)
	})
	t.Run("split then concat", func(t *testing.T) {
		parts := movementEval(t, "split", ops.Attrs{"axis": 2, "split": []int{2, 0, 3}}, x)
		movementRequireSame(t, movementEval(t, "concat", ops.Attrs{"axis": -2}, parts...)[0], x)
	})
	t.Run("pad then crop", func(t *testing.T) {
		for _, mode := range []string{"constant", "reflect", "edge"} {
			y := movementEval(t, "pad", ops.Attrs{"pads": []int{1, 0, 2, 3, 2, 0, 1, 3}, "mode": mode}, x)[0]
			back := movementEval(t, "pad", ops.Attrs{"pads": []int{-1, 0, -2, -3, -2, 0, -1, -3}}, y)[0]
			movementRequireSame(t, back, x)
		}
	})
	t.Run("pad equals slice for crops", func(t *testing.T) {
		y := movementEval(t, "pad", ops.Attrs{"pads": []int{0, -1, 0, -2, 0, 0, 0, -1}}, x)[0]
		z := movementEval(t, "slice", ops.Attrs{"starts": []int{1, 2}, "ends": []int{4, -1}, "axes": []int{1, 3}}, x)[0]
		movementRequireSame(t, y, z)
	})
	t.Run("tile equals concat of copies", func(t *testing.T) {
		y := movementEval(t, "tile", ops.Attrs{"repeats": []int{1, 3, 1, 1}}, x)[0]
		movementRequireSame(t, y, movementEval(t, "concat", ops.Attrs{"axis": 1}, x, x, x)[0])
	})
	t.Run("expand equals tile", func(t *testing.T) {
		col := movementEval(t, "slice", ops.Attrs{"starts": []int{0}, "ends": []int{1}, "axes": []int{2}}, x)[0]
		movementRequireSame(t, movementEval(t, "expand", ops.Attrs{"shape": []int{3, 4, 5, 6}}, col)[0],
			movementEval(t, "tile", ops.Attrs{"repeats": []int{1, 1, 5, 1}}, col)[0])
	})
	t.Run("reverse twice", func(t *testing.T) {
		rev := ops.Attrs{"starts": []int{-1, -1}, "ends": []int{math.MinInt64, math.MinInt64}, "steps": []int{-1, -1},
			"axes": []int{0, 3}}
		y := movementEval(t, "slice", rev, x)[0]
		movementRequireSame(t, movementEval(t, "slice", rev, y)[0], x)
	})
	t.Run("gather with every index is identity", func(t *testing.T) {
		idx := tensor.MustFromSlice([]int32{-5, 1, 2, 3, -1})
		movementRequireSame(t, movementEval(t, "gather", ops.Attrs{"axis": 2}, x, idx)[0], x)
	})
}

func TestMovementGatherOutOfRange(t *testing.T) {
	data := tensor.MustFromSlice([]float32{1, 2, 3})
	for _, bad := range []int64{3, -4, math.MaxInt64, math.MinInt64} {
		_, err := Eval("gather", nil, data, tensor.MustFromSlice([]int64{0, bad}))
		require.Error(t, err)
		require.Contains(t, err.Error(), "index "+strconv.FormatInt(bad, 10))
	}
	_, err := Eval("gather", nil, tensor.MustFromSlice([]float32{}), tensor.Scalar[int32](0))
	require.Error(t, err)
}

// TestMovementLargeTranspose keeps the reference kernels usable on image-sized tensors.
func TestMovementLargeTranspose(t *testing.T) {
	x, err := tensor.New(tensor.Float32, 1, 3, 224, 224)
	require.NoError(t, err)
	out := movementEval(t, "transpose", ops.Attrs{"perm": []int{0, 2, 3, 1}}, x)
	require.Equal(t, tensor.Shape{1, 224, 224, 3}, out[0].Shape())
}
