package reference

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Kernel of det: Gaussian elimination with partial pivoting (the row of
// largest magnitude in the column becomes the pivot, the first such on
// ties) in float64, the determinant being the product of the pivots with
// the sign of the row permutation, rounded once to the output dtype. A zero
// pivot column makes the determinant 0; NaN propagates.

func init() { register("det", detKernel) }

func detKernel(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	s := x.Shape()
	m := s[len(s)-1]
	vals := x.Float64s()
	batch := out[0].Shape.NumElements()
	res := make([]float64, batch)
	a := make([]float64, m*m)
	for b := range batch {
		copy(a, vals[b*m*m:(b+1)*m*m])
		res[b] = detInPlace(a, m)
	}
	return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, res))
}

// detInPlace returns the determinant of the m×m row-major matrix a,
// overwriting a.
func detInPlace(a []float64, m int) float64 {
	det := 1.0
	for k := range m {
		p, best := k, math.Abs(a[k*m+k])
		for i := k + 1; i < m; i++ {
			if v := math.Abs(a[i*m+k]); v > best || (math.IsNaN(v) && !math.IsNaN(best)) {
				p, best = i, v
			}
		}
		pivot := a[p*m+k]
		if pivot == 0 {
			return 0 // the column is zero from row k down: singular
		}
		if p != k {
			for j := range m {
				a[k*m+j], a[p*m+j] = a[p*m+j], a[k*m+j]
			}
			det = -det
		}
		det *= pivot
		for i := k + 1; i < m; i++ {
			f := a[i*m+k] / pivot
			if f == 0 {
				continue
			}
			for j := k + 1; j < m; j++ {
				a[i*m+j] -= f * a[k*m+j]
			}
		}
	}
	return det
}
