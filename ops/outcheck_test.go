package ops

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// extremeDims are dimension sizes at and around the edges of what a tensor
// may have: zero, one, small, and sizes whose products overflow int64.
var extremeDims = []int{0, 1, 2, 3, 7, 1 << 20, 1<<31 - 1, 1<<40 - 1, tensor.MaxElements}

// extremeInts are attribute integers (axes, perms, pads, repeats, kernel
// sizes, strides) that stress inference arithmetic.
var extremeInts = []int{0, 1, -1, 2, -2, 3, 1 << 20, 1<<40 - 1, 1 << 40, 1 << 62, -(1 << 62)}

func randShape(r *rand.Rand) tensor.Shape {
	s := make(tensor.Shape, r.IntN(5))
	for i := range s {
		s[i] = extremeDims[r.IntN(len(extremeDims))]
	}
	return s
}

func randAttrs(r *rand.Rand, specs []AttrSpec, rank int) Attrs {
	a := Attrs{}
	for _, s := range specs {
		if !s.Required && r.IntN(3) == 0 {
			continue
		}
		switch s.Kind {
		case AttrInt:
			a[s.Name] = extremeInts[r.IntN(len(extremeInts))]
		case AttrInts:
			n := rank
			if r.IntN(4) == 0 {
				n = r.IntN(2 * (rank + 1))
			}
			v := make([]int, n)
			for i := range v {
				if r.IntN(2) == 0 {
					v[i] = i // a plausible axis list or permutation
				} else {
					v[i] = extremeInts[r.IntN(len(extremeInts))]
				}
			}
			a[s.Name] = v
		case AttrFloat:
			a[s.Name] = []float64{0, 1, 1e-5, 1e300}[r.IntN(4)]
		case AttrFloats:
			a[s.Name] = []float64{1, 2}
		case AttrString:
			a[s.Name] = []string{"", "NOTSET", "constant", "nearest", "linear"}[r.IntN(5)]
		}
	}
	return a
}

// elements is the exact element count of s, computed with big integers so
// that it is independent of the overflow checks under test.
func elements(s tensor.Shape) *big.Int {
	n := big.NewInt(1)
	for _, d := range s {
		n.Mul(n, big.NewInt(int64(d)))
	}
	return n
}

// TestInferenceNeverAcceptsOverflowingOutputs runs every op of the catalog
// through inference with random extreme shapes and attributes: inference may
// refuse, but it must never panic and never accept an output with a negative
// dimension, a dimension above tensor.MaxElements or more than
// tensor.MaxElements elements (counted exactly with big integers).
func TestInferenceNeverAcceptsOverflowingOutputs(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	maxElems := big.NewInt(tensor.MaxElements)
	dtypes := []tensor.DType{tensor.Float32, tensor.Int64, tensor.Bool, tensor.Float16}
	const perOp = 1500
	accepted := 0
	for _, name := range Names() {
		op, _ := Lookup(name)
		for range perOp {
			nIn := len(op.Inputs)
			if nIn > 0 && op.Inputs[nIn-1].Variadic {
				nIn += r.IntN(3)
			}
			in := make([]Type, nIn)
			first := randShape(r)
			dt := dtypes[r.IntN(len(dtypes))]
			if r.IntN(3) > 0 {
				dt = tensor.Float32
			}
			for i := range in {
				s := first
				if r.IntN(3) == 0 {
					s = randShape(r)
				}
				in[i] = Type{DType: dt, Shape: s}
				if r.IntN(4) == 0 {
					in[i].DType = tensor.Int64
				}
			}
			attrs := randAttrs(r, op.Attrs, len(first))
			var out []Type
			var err error
			require.NotPanics(t, func() { out, err = Infer(name, in, attrs) }, "op %s inputs %v attrs %v", name, in, attrs)
			if err != nil {
				continue
			}
			accepted++
			for i, o := range out {
				desc := fmt.Sprintf("op %s inputs %v attrs %v: output %d %v", name, in, attrs, i, o)
				for _, d := range o.Shape {
					require.GreaterOrEqual(t, d, 0, desc)
					require.LessOrEqual(t, d, tensor.MaxElements, desc)
				}
				require.LessOrEqual(t, elements(o.Shape).Cmp(maxElems), 0, desc)
			}
		}
	}
	// The property is only worth something if inference accepted a good
	// share of the cases (it refuses most extreme ones, as it should).
	require.Greater(t, accepted, len(Names())*perOp/50, "too few cases accepted to test anything")
	t.Logf("%d ops, %d cases accepted by inference out of %d", len(Names()), accepted, len(Names())*perOp)
}

// The attack from issue 15: ReduceMax with keepdims over the zero axis of
// [0, 2^40-1, 2^40-1] would turn [0, ...] into [1, 2^40-1, 2^40-1].
func TestReduceKeepdimsOverZeroAxisRefused(t *testing.T) {
	in := []Type{{DType: tensor.Float32, Shape: tensor.Shape{0, 1<<40 - 1, 1<<40 - 1}}}
	_, err := Infer("reduce_max", in, Attrs{"axes": []int{0}, "keepdims": 1})
	require.ErrorIs(t, err, ErrInput)
	require.Contains(t, err.Error(), "reduce_max")
	// and the realistic neighbour is still fine
	out, err := Infer("reduce_max", []Type{{DType: tensor.Float32, Shape: tensor.Shape{0, 3, 4}}}, Attrs{"axes": []int{0}, "keepdims": 1})
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{1, 3, 4}, out[0].Shape)
}
