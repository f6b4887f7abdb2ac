package reference

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// The row-wise conv kernels are checked against direct transcriptions of the
// definitions below, which visit every output element and test every bound
// one by one: slow, but with nothing clever to get wrong.

// convUnravel turns a flat row-major index into a multi-index of dims.
func convUnravel(flat int, dims []int) []int {
	idx := make([]int, len(dims))
	for i := len(dims) - 1; i >= 0; i-- {
		idx[i] = flat % dims[i]
		flat /= dims[i]
	}
	return idx
}

// convRavel is the inverse of convUnravel; ok is false if idx is out of range.
func convRavel(idx, dims []int) (flat int, ok bool) {
	for i, x := range idx {
		if x < 0 || x >= dims[i] {
			return 0, false
		}
		flat = flat*dims[i] + x
	}
	return flat, true
}

// convNaive computes out[n][m][o] = b[m] + Σ_c Σ_j w[m][c][j]·x[n][g·Cg+c][o·s + j·d − pb].
func convNaive(x, w, b *tensor.Tensor, g ops.ConvGeometry) []float64 {
	xs, ws := x.Shape(), w.Shape()
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/g.Group, m/g.Group
	in := []int(xs[2:])
	kSize, outSize := tensor.Shape(g.Kernel).NumElements(), tensor.Shape(g.Out).NumElements()
	xv, wv := x.Float64s(), w.Float64s()
	res := make([]float64, n*m*outSize)
	pos := make([]int, len(in))
	for r := range res {
		ni, mi, oi := r/(m*outSize), r/outSize%m, r%outSize
		o := convUnravel(oi, g.Out)
		var sum float64
		if b != nil {
			sum = b.Float64s()[mi]
		}
		for ci := range cg {
			ic := mi/mg*cg + ci
			for t := range kSize {
				j := convUnravel(t, g.Kernel)
				for i := range pos {
					pos[i] = o[i]*g.Strides[i] + j[i]*g.Dilations[i] - g.Pads[i]
				}
				if p, ok := convRavel(pos, in); ok {
					sum += wv[(mi*cg+ci)*kSize+t] * xv[(ni*c+ic)*tensor.Shape(in).NumElements()+p]
				}
			}
		}
		res[r] = sum
	}
	return res
}

// convNaiveTranspose computes out[n][m][o] = b[m] + Σ_c Σ_j Σ_i x[n][c][i]·w[c][m'][j]
// over the i with i·s + j·d − pb = o, for the channels c of m's group.
func convNaiveTranspose(x, w, b *tensor.Tensor, g ops.ConvGeometry) []float64 {
	xs, ws := x.Shape(), w.Shape()
	n, c, mg := xs[0], xs[1], ws[1]
	m, cg := mg*g.Group, c/g.Group
	in := []int(xs[2:])
	inSize := tensor.Shape(in).NumElements()
	kSize, outSize := tensor.Shape(g.Kernel).NumElements(), tensor.Shape(g.Out).NumElements()
	xv, wv := x.Float64s(), w.Float64s()
	res := make([]float64, n*m*outSize)
	for r := range res {
		ni, mi, oi := r/(m*outSize), r/outSize%m, r%outSize
		o := convUnravel(oi, g.Out)
		var sum float64
		if b != nil {
			sum = b.Float64s()[mi]
		}
		for ci := range cg {
			ic := mi/mg*cg + ci
			for t := range kSize {
				j := convUnravel(t, g.Kernel)
				for p := range inSize {
					i := convUnravel(p, in)
					hit := true
					for d := range i {
						if i[d]*g.Strides[d]+j[d]*g.Dilations[d]-g.Pads[d] != o[d] {
							hit = false
							break
						}
					}
					if hit {
						sum += xv[(ni*c+ic)*inSize+p] * wv[(ic*mg+mi%mg)*kSize+t]
					}
				}
			}
		}
		res[r] = sum
	}
	return res
}

// convRandom returns a float64 tensor of the given shape with values in [-1, 1).
func convRandom(r *rand.Rand, shape ...int) *tensor.Tensor {
	vals := make([]float64, tensor.Shape(shape).NumElements())
	for i := range vals {
		vals[i] = r.Float64()*2 - 1
	}
	t, err := tensor.FromFloat64s(tensor.Float64, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

func TestConvKernelsMatchDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		op    string
		x, w  []int
		bias  bool
		attrs ops.Attrs
	}{
		{"conv", []int{2, 3, 7}, []int{4, 3, 3}, true, ops.Attrs{"strides": []int{2}, "pads": []int{1, 2}}},
		{"conv", []int{1, 3, 8, 7}, []int{4, 3, 3, 2}, true,
			ops.Attrs{"strides": []int{2, 3}, "pads": []int{0, 1, 2, 1}, "dilations": []int{2, 1}}},
		{"conv", []int{2, 4, 6, 6}, []int{6, 2, 3, 3}, false, ops.Attrs{"group": 2, "auto_pad": "SAME_LOWER"}},
		{"conv", []int{1, 4, 5, 5}, []int{8, 1, 3, 3}, true,
			ops.Attrs{"group": 4, "auto_pad": "SAME_UPPER", "strides": []int{2, 2}}},
		{"conv", []int{1, 2, 4, 5, 3}, []int{3, 2, 2, 3, 2}, true,
			ops.Attrs{"pads": []int{1, 0, 1, 0, 2, 1}, "strides": []int{1, 2, 1}}},
		{"conv", []int{1, 1, 5, 5}, []int{1, 1, 2, 2}, false, ops.Attrs{"strides": []int{4, 4}, "pads": []int{3, 3, 3, 3}}},
		{"conv_transpose", []int{2, 3, 5}, []int{3, 2, 3}, true, ops.Attrs{"strides": []int{2}, "pads": []int{1, 2}}},
		{"conv_transpose", []int{1, 4, 3, 4}, []int{4, 3, 3, 2}, true,
			ops.Attrs{"group": 2, "strides": []int{2, 3}, "dilations": []int{2, 1}, "output_padding": []int{1, 2}}},
		{"conv_transpose", []int{1, 2, 3, 3}, []int{2, 2, 3, 3}, false,
			ops.Attrs{"strides": []int{3, 2}, "output_shape": []int{12, 5}}},
		{"conv_transpose", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, true,
			ops.Attrs{"strides": []int{4, 1}, "auto_pad": "SAME_LOWER"}},
		{"conv_transpose", []int{1, 2, 2, 3, 2}, []int{2, 2, 2, 2, 3}, true,
			ops.Attrs{"strides": []int{2, 1, 2}, "pads": []int{0, 1, 1, 1, 0, 0}}},
	} {
		t.Run(fmt.Sprintf("%s_%v_%v_%v", tc.op, tc.x, tc.w, tc.attrs), func(t *testing.T) {
			x, w := convRandom(r, tc.x...), convRandom(r, tc.w...)
			var b *tensor.Tensor
			in := []*tensor.Tensor{x, w}
			if tc.bias {
				m := tc.w[0]
				if tc.op == "conv_transpose" {
					m = tc.w[1] * tc.attrs.Int("group", 1)
				}
				b = convRandom(r, m)
				in = append(in, b)
			}
			got, err := Eval(tc.op, tc.attrs, in...)
			require.NoError(t, err)
			var want []float64
			if tc.op == "conv" {
				g, err := ops.ResolveConv(x.Shape(), w.Shape(), tc.attrs)
				require.NoError(t, err)
				want = convNaive(x, w, b, g)
			} else {
				g, err := ops.ResolveConvTranspose(x.Shape(), w.Shape(), tc.attrs)
				require.NoError(t, err)
				want = convNaiveTranspose(x, w, b, g)
			}
			wt, err := tensor.FromFloat64s(tensor.Float64, got[0].Shape(), want)
			require.NoError(t, err)
			cmp := tensor.Compare(got[0], wt, tensor.Tolerance{RTol: 1e-12, ATol: 1e-12})
			require.True(t, cmp.Equal, "%v", cmp)
		})
	}
}

// TestFamilyRandomCasesRun runs the randomized cases of this family through
// Eval, so a case whose attributes do not infer is caught here already.
func TestFamilyRandomCasesRun(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range optest.RandomCases() {
		if c.Op != "conv" && c.Op != "conv_transpose" && c.Op != "matmul" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			in := make([]*tensor.Tensor, len(c.Inputs))
			for i, spec := range c.Inputs {
				f := convRandom(r, spec.Shape...)
				v, err := f.AsType(spec.DType)
				require.NoError(t, err)
				in[i] = v
			}
			_, err := Eval(c.Op, c.Attrs, in...)
			require.NoError(t, err)
		})
	}
}

// BenchmarkConvResNetStage times a ResNet-50 3x3 stage conv (64→64
// channels at 56x56, 115M multiply-adds), about 0.1s per run on one core;
// the reference backend must stay usable on real models.
func BenchmarkConvResNetStage(b *testing.B) {
	x, err := tensor.New(tensor.Float32, 1, 64, 56, 56)
	require.NoError(b, err)
	w, err := tensor.New(tensor.Float32, 64, 64, 3, 3)
	require.NoError(b, err)
	attrs := ops.Attrs{"pads": []int{1, 1, 1, 1}}
	for b.Loop() {
		_, err := Eval("conv", attrs, x, w)
		require.NoError(b, err)
	}
}
