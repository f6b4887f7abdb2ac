package reference

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// poolNaive computes max_pool or avg_pool straight from the definition:
// every tap of every window, each tested against the input and the padded
// input bounds. It checks the run-based kernels on random geometries.
func poolNaive(op string, x *tensor.Tensor, a ops.Attrs, g ops.PoolGeometry) []float64 {
	shape := x.Shape()
	k := len(g.Kernel)
	in := shape[2:]
	xs := x.Float64s()
	inStrides := tensor.Shape(in).Strides()
	inPlane, outPlane := tensor.Shape(in).NumElements(), tensor.Shape(g.Out).NumElements()
	kSize := tensor.Shape(g.Kernel).NumElements()
	includePad := a.Int("count_include_pad", 0) == 1
	var res []float64
	o := make([]int, k)
	j := make([]int, k)
	for q := range shape[0] * shape[1] {
		for of := range outPlane {
			poolNaiveUnravel(o, of, g.Out)
			acc, n, np := math.Inf(-1), 0, 0
			if op == "avg_pool" {
				acc = 0
			}
			for jf := range kSize {
				poolNaiveUnravel(j, jf, g.Kernel)
				inside, padded, off := true, true, 0
				for i := range k {
					pos := o[i]*g.Strides[i] - g.Pads[i] + j[i]*g.Dilations[i]
					inside = inside && pos >= 0 && pos < in[i]
					padded = padded && pos >= -g.Pads[i] && pos < in[i]+g.Pads[k+i]
					off += pos * inStrides[i]
				}
				if padded {
					np++
				}
				if !inside {
					continue
				}
				n++
				v := xs[q*inPlane+off]
				if op == "avg_pool" {
					acc += v
				} else {
					acc = math.Max(acc, v) // no NaN in these inputs
				}
			}
			switch {
			case op == "max_pool":
			case includePad:
				acc /= float64(np)
			default:
				acc /= float64(n)
			}
			res = append(res, acc)
		}
	}
	return res
}

// poolNaiveUnravel writes the multi-index of flat offset f in shape s into idx.
func poolNaiveUnravel(idx []int, f int, s []int) {
	for i := len(s) - 1; i >= 0; i-- {
		idx[i] = f % s[i]
		f /= s[i]
	}
}

func TestPoolKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tried := 0
	for tried < 400 {
		k := 1 + rng.IntN(3)
		shape := tensor.Shape{1 + rng.IntN(2), 1 + rng.IntN(3)}
		a := ops.Attrs{}
		kernel, strides, dil, pads := make([]int, k), make([]int, k), make([]int, k), make([]int, 2*k)
		for i := range k {
			shape = append(shape, 1+rng.IntN(7))
			kernel[i] = 1 + rng.IntN(3)
			strides[i] = 1 + rng.IntN(3)
			dil[i] = 1 + rng.IntN(2)
			ext := (kernel[i]-1)*dil[i] + 1
			pads[i], pads[k+i] = rng.IntN(ext), rng.IntN(ext)
		}
		a["kernel_shape"], a["strides"], a["dilations"] = kernel, strides, dil
		switch rng.IntN(4) {
		case 0:
			a["auto_pad"] = []string{"SAME_UPPER", "SAME_LOWER", "VALID"}[rng.IntN(3)]
		default:
			a["pads"] = pads
		}
		a["ceil_mode"] = rng.IntN(2)
		op := "max_pool"
		if rng.IntN(2) == 0 {
			op = "avg_pool"
			a["count_include_pad"] = rng.IntN(2)
		}
		g, err := ops.ResolvePool(shape, a, op == "avg_pool")
		if err != nil {
			continue // kernel too large for the input: not a case
		}
		tried++
		vals := make([]float64, shape.NumElements())
		for i := range vals {
			vals[i] = float64(rng.IntN(41) - 20)
		}
		x, err := tensor.FromFloat64s(tensor.Float64, shape, vals)
		require.NoError(t, err)
		got, err := Eval(op, a, x)
		require.NoError(t, err, "%s %v %v", op, shape, a)
		want, err := tensor.FromFloat64s(tensor.Float64, got[0].Shape(), poolNaive(op, x, a, g))
		require.NoError(t, err)
		cmp := tensor.Compare(got[0], want, tensor.Tolerance{RTol: 1e-12, ATol: 1e-12})
		require.True(t, cmp.Equal, "%s %v %v: %v", op, shape, a, cmp)
	}
}

// TestPoolRandomCasesRun checks that every randomized pool case is accepted
// by ref (its inputs filled with a simple deterministic pattern).
func TestPoolRandomCasesRun(t *testing.T) {
	for _, c := range optest.RandomCases() {
		if c.Op != "max_pool" && c.Op != "avg_pool" && c.Op != "global_max_pool" && c.Op != "global_avg_pool" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			in := make([]*tensor.Tensor, len(c.Inputs))
			for i, spec := range c.Inputs {
				vals := make([]float64, spec.Shape.NumElements())
				for j := range vals {
					vals[j] = float64((j*7)%23 - 11)
				}
				x, err := tensor.FromFloat64s(spec.DType, spec.Shape, vals)
				require.NoError(t, err)
				in[i] = x
			}
			_, err := Eval(c.Op, c.Attrs, in...)
			require.NoError(t, err)
		})
	}
}

// BenchmarkMaxPool224 is a ResNet-stem-sized max pool: 3x3 stride 2 pad 1
// over 1x64x112x112.
func BenchmarkMaxPool224(b *testing.B) {
	x, err := tensor.New(tensor.Float32, 1, 64, 112, 112)
	require.NoError(b, err)
	a := ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}
	for b.Loop() {
		_, err := Eval("max_pool", a, x)
		require.NoError(b, err)
	}
}

// A hostile window of 2^32 taps over a 1-element input produces two outputs;
// the kernel must find each window's one in-range tap without visiting the
// rest. Both windows cover the only element, 5.
func TestPoolHugeWindowTinyOutput(t *testing.T) {
	const big = 1 << 32
	x := tensor.MustFromSlice([]float32{5}, 1, 1, 1)
	for _, op := range []string{"max_pool", "avg_pool"} {
		out, err := Eval(op, ops.Attrs{"kernel_shape": []int{big}, "pads": []int{big - 1, big - 1}, "strides": []int{big - 1}}, x)
		require.NoError(t, err)
		require.Equal(t, []float32{5, 5}, tensor.MustView[float32](out[0]), op)
	}
}
