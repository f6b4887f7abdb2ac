package reference

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// The chunked kernels (several chunks and a partial last one, a scalar
// operand, every float dtype) give exactly what widening the whole tensor,
// applying the function per element and rounding once gives.
func TestChunkedKernelsMatchWholeTensor(t *testing.T) {
	n := 2*unaryChunk + 3
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range n {
		xs[i] = math.Sin(float64(i)) * 10
		ys[i] = math.Cos(float64(i))*3 + 0.5
	}
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16} {
		x, err := tensor.FromFloat64s(d, tensor.Shape{n}, xs)
		require.NoError(t, err)
		y, err := tensor.FromFloat64s(d, tensor.Shape{n}, ys)
		require.NoError(t, err)
		s, err := tensor.FromFloat64s(d, tensor.Shape{1}, []float64{2.5})
		require.NoError(t, err)
		xw, yw := x.Float64s(), y.Float64s()

		expect := func(f func(i int) float64) *tensor.Tensor {
			v := make([]float64, n)
			for i := range v {
				v[i] = f(i)
			}
			w, err := tensor.FromFloat64s(d, tensor.Shape{n}, v)
			require.NoError(t, err)
			return w
		}
		for _, c := range []struct {
			name string
			op   string
			in   []*tensor.Tensor
			want *tensor.Tensor
		}{
			{"sub", "sub", []*tensor.Tensor{x, y}, expect(func(i int) float64 { return xw[i] - yw[i] })},
			{"scalar times", "mul", []*tensor.Tensor{s, x}, expect(func(i int) float64 { return 2.5 * xw[i] })},
			{"pow by scalar", "pow", []*tensor.Tensor{y, s}, expect(func(i int) float64 { return math.Pow(yw[i], 2.5) })},
			{"tanh", "tanh", []*tensor.Tensor{x}, expect(func(i int) float64 { return math.Tanh(xw[i]) })},
			{"neg", "neg", []*tensor.Tensor{x}, expect(func(i int) float64 { return -xw[i] })},
		} {
			out, err := Eval(c.op, nil, c.in...)
			require.NoError(t, err, "%v %s", d, c.name)
			require.Equal(t, c.want.Bytes(), out[0].Bytes(), "%v %s", d, c.name)
		}
	}
}
