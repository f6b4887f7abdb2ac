package cpu_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// TestReduceShapes checks reduce_sum, reduce_mean, reduce_max and
// reduce_min on every kernel path against ref, keepdims both ways: the
// trailing-axes rows the native step takes (every row length 1…35, so every
// tail of 8 and 16 lanes, one and two trailing axes, every axis, negative
// axes, rows longer than one kernel call), middle and leading axes (column
// blocks, whole and partial) and the cases left to ref (non-contiguous
// axes, an empty reduction), with zeros, ±Inf and NaN planted.
func TestReduceShapes(t *testing.T) {
	type reduceCase struct {
		x    []int
		axes []int // nil: the attribute absent (every axis)
	}
	var cases []reduceCase
	for n := 1; n <= 2*16+3; n++ {
		cases = append(cases, reduceCase{[]int{3, n}, []int{1}})
	}
	cases = append(cases,
		reduceCase{[]int{2, 3, 5, 7}, []int{2, 3}},
		reduceCase{[]int{2, 3, 5, 7}, []int{-1, -2}},
		reduceCase{[]int{4, 9, 6}, nil},
		reduceCase{[]int{2, 20000}, []int{1}},
		reduceCase{[]int{3, 4, 5}, []int{1}},        // middle axis: column blocks
		reduceCase{[]int{2, 7, 3, 70}, []int{1, 2}}, // two middle axes, a partial column block
		reduceCase{[]int{9, 2, 131}, []int{0}},      // leading axis, three column blocks
		reduceCase{[]int{3, 4, 5}, []int{0, 2}},     // not contiguous: ref
		reduceCase{[]int{3, 0, 2}, []int{2}},        // no rows: nothing to reduce
		reduceCase{[]int{3, 0}, []int{1}},           // empty reduction: ref
	)
	paths := kernelPaths(t)
	refRT, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer refRT.Close()
	for ci, c := range cases {
		plain, err := tensor.Rand(tensor.Float32, uint64(ci+100), -2, 2, c.x...)
		require.NoError(t, err)
		for xi, x := range []*tensor.Tensor{plain, specialTensor(t, uint64(ci+1), c.x)} {
			for _, op := range []string{"reduce_sum", "reduce_mean", "reduce_max", "reduce_min"} {
				for _, keep := range []int{0, 1} {
					attrs := ops.Attrs{"keepdims": keep}
					if c.axes != nil {
						attrs["axes"] = c.axes
					}
					name := fmt.Sprintf("%s_%v_axes%v_keepdims%d_input%d", op, c.x, c.axes, keep, xi)
					b := runtime.NewBuilder(name)
					dims := make([]runtime.Dim, len(c.x))
					for i, d := range c.x {
						dims[i] = runtime.Static(d)
					}
					b.Output("y", b.Op(op, attrs, b.Input("x", tensor.Float32, dims...)))
					art, err := b.Build()
					require.NoError(t, err, name)
					requireRefOnEveryPath(t, refRT, paths, name, art, x)
				}
			}
		}
	}
}
