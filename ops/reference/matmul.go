package reference

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func init() {
	register("matmul", matmulKernel)
}

// matmulKernel multiplies in float64 (int64 for integer dtypes) and rounds
// once into the output dtype.
func matmulKernel(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	d, err := ops.ResolveMatMul(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	ot := out[0]
	if ot.DType.IsInt() {
		res := make([]int64, ot.Shape.NumElements())
		matmulLoop(d, in[0].Int64s(), in[1].Int64s(), res)
		return single(tensor.FromInt64s(ot.DType, ot.Shape, res))
	}
	res := make([]float64, ot.Shape.NumElements())
	matmulLoop(d, in[0].Float64s(), in[1].Float64s(), res)
	return single(tensor.FromFloat64s(ot.DType, ot.Shape, res))
}

// matmulLoop computes res[batch][i][j] = Σk a[batch][i][k]·b[batch][k][j]
// with broadcast batch indexing. res must be zeroed. The i-k-j loop order
// keeps the innermost loop on contiguous rows of b and res while still
// summing each output over k in ascending order.
func matmulLoop[T float64 | int64](d ops.MatMulDims, a, b, res []T) {
	m, k, n := d.M, d.K, d.N
	aStrides := matmulBatchStrides(d.ABatch, m*k)
	bStrides := matmulBatchStrides(d.BBatch, k*n)
	idx := make([]int, len(d.Batch))
	for batch := range d.Batch.NumElements() {
		aOff, bOff := 0, 0
		for i, x := range idx {
			aOff += x * aStrides[i]
			bOff += x * bStrides[i]
		}
		am, bm := a[aOff:aOff+m*k], b[bOff:bOff+k*n]
		rm := res[batch*m*n : (batch+1)*m*n]
		for i := range m {
			row := rm[i*n : (i+1)*n]
			for kk := range k {
				av := am[i*k+kk]
				brow := bm[kk*n : (kk+1)*n]
				for j, bv := range brow {
					row[j] += av * bv
				}
			}
		}
		// advance the batch multi-index, last dim fastest
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < d.Batch[i] {
				break
			}
			idx[i] = 0
		}
	}
}

// matmulBatchStrides returns element strides over the batch dims of one
// operand whose matrices hold mat elements; a broadcast (size-1) dim gets
// stride 0 so every output batch reads the same matrix.
func matmulBatchStrides(batch tensor.Shape, mat int) []int {
	st := make([]int, len(batch))
	acc := mat
	for i := len(batch) - 1; i >= 0; i-- {
		if batch[i] != 1 {
			st[i] = acc
		}
		acc *= batch[i]
	}
	return st
}
