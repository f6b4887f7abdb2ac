package reference

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// matmulNaive computes a·b for a [..., M, K] and b [..., K, N] of equal batch
// rank with numpy broadcasting, element by element from the definition.
func matmulNaive(a, b *tensor.Tensor, outBatch []int) []float64 {
	as, bs := a.Shape(), b.Shape()
	r := len(outBatch)
	m, k, n := as[r], as[r+1], bs[r+1]
	av, bv := a.Float64s(), b.Float64s()
	nb := tensor.Shape(outBatch).NumElements()
	res := make([]float64, 0, nb*m*n)
	for batch := range nb {
		idx := convUnravel(batch, outBatch)
		ai, bi := make([]int, r), make([]int, r)
		for d := range idx {
			ai[d], bi[d] = idx[d]%as[d], idx[d]%bs[d] // a size-1 dim always reads index 0
		}
		af, _ := convRavel(ai, as[:r])
		bf, _ := convRavel(bi, bs[:r])
		for i := range m {
			for j := range n {
				var s float64
				for kk := range k {
					s += av[(af*m+i)*k+kk] * bv[(bf*k+kk)*n+j]
				}
				res = append(res, s)
			}
		}
	}
	return res
}

func TestMatMulKernelMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ a, b, batch []int }{
		{[]int{3, 4}, []int{4, 5}, nil},
		{[]int{2, 1, 3, 4}, []int{1, 3, 4, 2}, []int{2, 3}},
		{[]int{1, 2, 3}, []int{4, 3, 1}, []int{4}},
		{[]int{5, 1, 1}, []int{5, 1, 6}, []int{5}},
	} {
		t.Run(fmt.Sprint(tc.a, tc.b), func(t *testing.T) {
			a, b := convRandom(r, tc.a...), convRandom(r, tc.b...)
			got, err := Eval("matmul", nil, a, b)
			require.NoError(t, err)
			want, err := tensor.FromFloat64s(tensor.Float64, got[0].Shape(), matmulNaive(a, b, tc.batch))
			require.NoError(t, err)
			cmp := tensor.Compare(got[0], want, tensor.Tolerance{RTol: 1e-12, ATol: 1e-12})
			require.True(t, cmp.Equal, "%v", cmp)
		})
	}
}

// TestMatMulIntExact checks that integer products are summed in int64, not
// through float64 (which would lose the low bits beyond 2^53).
func TestMatMulIntExact(t *testing.T) {
	a := tensor.MustFromSlice([]int64{1 << 40, 1, 3}, 3)
	b := tensor.MustFromSlice([]int64{1 << 20, 1, 1}, 3)
	got, err := Eval("matmul", nil, a, b)
	require.NoError(t, err)
	// 2^40·2^20 + 1 + 3 = 2^60 + 4, not representable in float64
	require.Equal(t, []int64{1<<60 + 4}, tensor.MustView[int64](got[0]))
}
