package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// specialTensor is a random tensor of shape whose every 7th element is
// replaced by 0, −0, ±Inf or NaN in turn.
func specialTensor(t *testing.T, seed uint64, shape []int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.Rand(tensor.Float32, seed, -2, 2, shape...)
	require.NoError(t, err)
	v := x.Data().([]float32)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for i := int(seed % 7); i < len(v); i += 7 {
		v[i] = special[(i/7)%len(special)]
	}
	return x
}

// TestBinaryShapes checks add, sub, mul and div on every kernel path
// against ref: same shapes with every tail length of both vector widths,
// a scalar or size-1 last axis on either side (the row-against-scalar
// kernels), and general broadcasts (the per-element path), with zeros,
// infinities and NaN among the operands.
func TestBinaryShapes(t *testing.T) {
	type shapes struct{ a, b []int }
	var cases []shapes
	for n := 1; n <= 2*16+3; n++ {
		cases = append(cases, shapes{[]int{3, n}, []int{3, n}})
	}
	cases = append(cases,
		shapes{[]int{2, 3, 37}, []int{2, 3, 1}},      // row against a scalar (b)
		shapes{[]int{2, 3, 1}, []int{2, 3, 37}},      // scalar against a row (a)
		shapes{[]int{5, 19}, []int{1}},               // whole tensor against one value
		shapes{[]int{1}, []int{4, 35}},               // and the other way round
		shapes{[]int{2, 4, 5, 6}, []int{1, 4, 1, 1}}, // per channel, NCHW
		shapes{[]int{4, 1, 21}, []int{1, 3, 21}},     // rows broadcast, same last axis
		shapes{[]int{3, 17}, []int{17}},              // bias row
		shapes{[]int{2, 1, 9}, []int{5, 1}},          // both broadcast: per-element path
		shapes{[]int{1, 10000}, []int{1, 10000}},     // longer than one kernel call
	)
	paths := kernelPaths(t)
	refRT, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer refRT.Close()
	for ci, c := range cases {
		for _, op := range []string{"add", "sub", "mul", "div"} {
			name := fmt.Sprintf("%s_%v_%v", op, c.a, c.b)
			b := runtime.NewBuilder("binary-" + name)
			in := func(name string, s []int) runtime.Value {
				dims := make([]runtime.Dim, len(s))
				for i, d := range s {
					dims[i] = runtime.Static(d)
				}
				return b.Input(name, tensor.Float32, dims...)
			}
			b.Output("y", b.Op(op, nil, in("a", c.a), in("b", c.b)))
			art, err := b.Build()
			require.NoError(t, err, name)
			requireRefOnEveryPath(t, refRT, paths, name, art, specialTensor(t, uint64(2*ci+1), c.a), specialTensor(t, uint64(2*ci+2), c.b))
		}
	}
}
