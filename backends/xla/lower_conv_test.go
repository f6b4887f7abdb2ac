package xla_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/backendtest"
	"github.com/backplane-ml/backplane/tensor"
)

// windowCase is one op on inputs, for geometries the optest cases leave out.
type windowCase struct {
	name   string
	op     string
	attrs  ops.Attrs
	inputs []*tensor.Tensor
}

// rnd is a reproducible random float32 tensor in [−1, 1).
func rnd(seed uint64, shape ...int) *tensor.Tensor {
	t, err := tensor.Rand(tensor.Float32, seed, -1, 1, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// withNaN returns x with element i set to NaN.
func withNaN(x *tensor.Tensor, i int) *tensor.Tensor {
	x = x.Clone()
	tensor.MustView[float32](x)[i] = float32(math.NaN())
	return x
}

// windowCases exercise corners of the convolution and pooling lowerings:
// negative effective padding in conv_transpose (sliced off), strides with
// dilations together, windows that start in the padding or reach past it
// in ceil mode, windows holding no input element, NaN inside padded windows.
func windowCases() []windowCase {
	cases := []windowCase{
		{"conv/stride_and_dilation", "conv", ops.Attrs{"strides": []int{2, 3}, "dilations": []int{2, 1}, "pads": []int{1, 2, 0, 1}},
			[]*tensor.Tensor{rnd(1, 2, 3, 11, 10), rnd(2, 4, 3, 3, 2), rnd(3, 4)}},
		{"conv/depthwise_multiplier_strided", "conv", ops.Attrs{"group": 3, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}},
			[]*tensor.Tensor{rnd(4, 1, 3, 9, 9), rnd(5, 6, 1, 3, 3), rnd(6, 6)}},
		{"conv/depthwise_multiplier_batch2", "conv", ops.Attrs{"group": 4, "pads": []int{0, 1, 2, 1}, "dilations": []int{1, 2}},
			[]*tensor.Tensor{rnd(31, 2, 4, 7, 8), rnd(32, 8, 1, 2, 3), rnd(33, 8)}},
		// 3 images × 80×80 positions × multiplier 1 is past the engine's direct
		// DotGeneral kernel (16384 per channel), so the columns are chunked;
		// multiplier 2 halves the chunk. Chunk edges fall inside images.
		{"conv/depthwise_chunked_batch3", "conv", ops.Attrs{"group": 2, "pads": []int{1, 1, 1, 1}},
			[]*tensor.Tensor{rnd(36, 3, 2, 80, 80), rnd(37, 4, 1, 3, 3), rnd(38, 4)}},
		{"conv/grouped_batch3_1d", "conv", ops.Attrs{"group": 3, "strides": []int{2}},
			[]*tensor.Tensor{rnd(34, 3, 6, 11), rnd(35, 9, 2, 3)}},
		{"conv/1x1_strided_batch2", "conv", ops.Attrs{"strides": []int{2, 2}},
			[]*tensor.Tensor{rnd(36, 2, 5, 7, 7), rnd(37, 3, 5, 1, 1), rnd(38, 3)}},
		{"conv/1x1_as_matmul", "conv", nil, []*tensor.Tensor{rnd(7, 2, 16, 5, 5), rnd(8, 8, 16, 1, 1)}},
		{"conv/empty_spatial_padded", "conv", ops.Attrs{"pads": []int{1, 1}},
			[]*tensor.Tensor{rnd(9, 1, 2, 0), rnd(10, 3, 2, 1), rnd(11, 3)}},
		{"conv_transpose/pads_beyond_kernel", "conv_transpose", ops.Attrs{"strides": []int{3, 2}, "pads": []int{4, 3, 5, 2}},
			[]*tensor.Tensor{rnd(12, 1, 2, 5, 6), rnd(13, 2, 3, 3, 2), rnd(14, 3)}},
		{"conv_transpose/grouped_dilated_output_padding", "conv_transpose",
			ops.Attrs{"group": 2, "strides": []int{2}, "dilations": []int{3}, "output_padding": []int{2}, "pads": []int{1, 0}},
			[]*tensor.Tensor{rnd(15, 2, 4, 7), rnd(16, 4, 3, 3), rnd(17, 6)}},
		{"conv_transpose/depthwise_batch2", "conv_transpose", ops.Attrs{"group": 3, "strides": []int{2, 1}, "pads": []int{1, 0, 0, 1}},
			[]*tensor.Tensor{rnd(39, 2, 3, 4, 5), rnd(40, 3, 2, 3, 3), rnd(41, 6)}},
		{"conv_transpose/output_shape_larger", "conv_transpose", ops.Attrs{"strides": []int{2, 2}, "output_shape": []int{12, 11}},
			[]*tensor.Tensor{rnd(18, 1, 3, 4, 4), rnd(19, 3, 2, 3, 3), rnd(20, 2)}},
		{"max_pool/dilated_ceil_pads", "max_pool",
			ops.Attrs{"kernel_shape": []int{3, 2}, "strides": []int{2, 3}, "dilations": []int{2, 2}, "pads": []int{2, 1, 1, 0}, "ceil_mode": 1},
			[]*tensor.Tensor{rnd(21, 2, 3, 10, 11)}},
		{"max_pool/nan_next_to_padding", "max_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}},
			[]*tensor.Tensor{withNaN(rnd(22, 1, 1, 4, 4), 5)}},
		{"max_pool/int8_empty_windows", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "dilations": []int{3}, "pads": []int{2, 2}},
			[]*tensor.Tensor{tensor.MustFromSlice([]int8{-7, 3}, 1, 1, 2)}},
		{"max_pool/uint8_strided", "max_pool", ops.Attrs{"kernel_shape": []int{3}, "strides": []int{2}, "pads": []int{1, 1}},
			[]*tensor.Tensor{tensor.MustFromSlice([]uint8{9, 200, 3, 255, 0, 17, 4}, 1, 1, 7)}},
		{"max_pool/empty_spatial_padded", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "pads": []int{1, 1}},
			[]*tensor.Tensor{rnd(23, 1, 2, 0)}},
		{"avg_pool/dilated_ceil_include_pad", "avg_pool",
			ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "dilations": []int{2, 1}, "pads": []int{2, 1, 1, 2},
				"ceil_mode": 1, "count_include_pad": 1},
			[]*tensor.Tensor{rnd(24, 1, 2, 9, 8)}},
		{"avg_pool/dilated_ceil_exclude_pad", "avg_pool",
			ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "dilations": []int{2, 1}, "pads": []int{2, 1, 1, 2}, "ceil_mode": 1},
			[]*tensor.Tensor{rnd(24, 1, 2, 9, 8)}},
		{"avg_pool/3d_ceil", "avg_pool", ops.Attrs{"kernel_shape": []int{2, 3, 2}, "strides": []int{2, 2, 2}, "ceil_mode": 1},
			[]*tensor.Tensor{rnd(25, 1, 2, 5, 6, 7)}},
		{"avg_pool/empty_spatial_include_pad", "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "pads": []int{1, 1}, "count_include_pad": 1},
			[]*tensor.Tensor{rnd(26, 1, 1, 0)}},
		{"global_avg_pool/3d", "global_avg_pool", nil, []*tensor.Tensor{rnd(27, 2, 3, 4, 5, 6)}},
		{"global_max_pool/nan", "global_max_pool", nil, []*tensor.Tensor{withNaN(rnd(28, 1, 2, 3, 3), 11)}},
		{"lrn/even_size_3d", "lrn", ops.Attrs{"size": 4, "alpha": 0.5, "beta": 0.6, "bias": 1.5}, []*tensor.Tensor{rnd(29, 2, 7, 3, 2, 2)}},
		{"lrn/size_beyond_channels", "lrn", ops.Attrs{"size": 9}, []*tensor.Tensor{rnd(30, 1, 3, 4)}},
	}
	// bfloat16 and float64 through every window op.
	for _, d := range []tensor.DType{tensor.BFloat16, tensor.Float64} {
		cases = append(cases,
			windowCase{"conv/" + d.String(), "conv", ops.Attrs{"pads": []int{1, 1, 1, 1}, "strides": []int{2, 1}},
				[]*tensor.Tensor{as(d, rnd(43, 1, 3, 6, 5)), as(d, rnd(44, 4, 3, 3, 3)), as(d, rnd(45, 4))}},
			windowCase{"conv/depthwise_" + d.String(), "conv", ops.Attrs{"group": 3, "pads": []int{1, 1, 1, 1}},
				[]*tensor.Tensor{as(d, rnd(46, 1, 3, 5, 5)), as(d, rnd(47, 3, 1, 3, 3))}},
			windowCase{"conv_transpose/" + d.String(), "conv_transpose", ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 0, 0, 1}},
				[]*tensor.Tensor{as(d, rnd(48, 1, 2, 3, 4)), as(d, rnd(49, 2, 3, 3, 3)), as(d, rnd(50, 3))}},
			windowCase{"max_pool/" + d.String(), "max_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}},
				[]*tensor.Tensor{as(d, rnd(51, 1, 2, 7, 7))}},
			windowCase{"avg_pool/" + d.String(), "avg_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}},
				[]*tensor.Tensor{as(d, rnd(52, 1, 2, 7, 7))}},
			windowCase{"avg_pool/empty_spatial_" + d.String(), "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "pads": []int{1, 1}},
				[]*tensor.Tensor{as(d, rnd(56, 1, 1, 0))}},
			windowCase{"global_avg_pool/" + d.String(), "global_avg_pool", nil, []*tensor.Tensor{as(d, rnd(53, 1, 2, 7, 7))}},
			windowCase{"global_max_pool/" + d.String(), "global_max_pool", nil, []*tensor.Tensor{as(d, rnd(54, 1, 2, 7, 7))}},
			windowCase{"lrn/" + d.String(), "lrn", ops.Attrs{"size": 3}, []*tensor.Tensor{as(d, rnd(55, 1, 4, 3, 3))}},
		)
	}
	return cases
}

// as converts x to dtype d.
func as(d tensor.DType, x *tensor.Tensor) *tensor.Tensor {
	y, err := x.AsType(d)
	if err != nil {
		panic(err)
	}
	return y
}

// TestWindowOpsMatchRef runs each windowCase on the pure-Go engine and
// compares with the reference backend (the ground truth) at optest's
// tolerance for the dtype.
// Window ops run both ways the pure-Go engine can lower them: by taps (its
// default) and through ConvGeneral and ReduceWindow (XLA's lowerings).
func TestWindowOpsMatchRef(t *testing.T) {
	for _, native := range []bool{false, true} {
		t.Run(fmt.Sprintf("native=%v", native), func(t *testing.T) {
			defer xla.SetGoNative(native)()
			for _, tc := range windowCases() {
				t.Run(tc.name, func(t *testing.T) {
					want, err := ref.Eval(tc.op, tc.attrs, tc.inputs...)
					require.NoError(t, err)
					got := runOp(t, xla.NewGoMLX(xla.Options{}), tc.op, tc.attrs, tc.inputs)
					require.Equal(t, want[0].DType(), got.DType())
					require.Equal(t, want[0].Shape(), got.Shape())
					cmp := tensor.Compare(got, want[0], optest.DefaultTolerance(got.DType()))
					require.True(t, cmp.Equal, "%s: %s", tc.name, cmp.Reason)
				})
			}
		})
	}
}

// onlyOps narrows strict to artifacts made of the given ops; the
// conformance kit skips every other case.
type onlyOps struct {
	strict
	ops []string
}

func (o onlyOps) Supports(a *runtime.Artifact) error {
	for _, n := range a.Nodes {
		if !slices.Contains(o.ops, n.Op) {
			return &runtime.Error{Kind: runtime.ErrUnsupported, Backend: o.Name(), Op: n.Op,
				Err: errors.New("not a window op")}
		}
	}
	return o.strict.Supports(a)
}

// TestConformanceNative runs the conformance kit's cases of the window ops
// on the pure-Go engine through GoMLX's ConvGeneral and ReduceWindow, the
// lowerings XLA gets, which TestConformance does not reach without a plugin.
func TestConformanceNative(t *testing.T) {
	defer xla.SetGoNative(true)()
	b := onlyOps{strict{xla.NewGoMLX(xla.Options{}), []tensor.DType{tensor.Float16}},
		[]string{"conv", "conv_transpose", "max_pool", "avg_pool", "lrn"}}
	backendtest.RunWithOptions(t, b, backendtest.Options{})
}

// TestConformanceXLALowerings runs the window ops' conformance cases on XLA
// with each lowering forced (TestConformance covers the chosen mix): every
// window op through ConvGeneral and ReduceWindow, then every one by matrix
// products and taps.
//
// It checks lowerings, not concurrency: under the race detector it skips,
// and `make test` runs it in its non-race step.
func TestConformanceXLALowerings(t *testing.T) {
	if raceEnabled {
		t.Skip("lowering checks only; make test runs them without the race detector")
	}
	for _, mode := range []struct {
		name string
		mode int
	}{{"native", xla.XLANative}, {"products", xla.XLAProducts}} {
		t.Run(mode.name, func(t *testing.T) {
			x := xla.NewXLA(xla.Options{})
			requireAvailable(t, x)
			defer xla.SetXLALowering(mode.mode)()
			b := onlyOps{strict{x, nil}, []string{"conv", "conv_transpose", "max_pool", "avg_pool", "lrn"}}
			backendtest.RunWithOptions(t, b, backendtest.Options{
				Tolerance: func(d tensor.DType) (tensor.Tolerance, bool) { return xla.Tolerance(d), true },
			})
		})
	}
}

// singleOp is an artifact of one node of op over graph inputs x0, x1, ...
func singleOp(t testing.TB, op string, attrs ops.Attrs, inputs []*tensor.Tensor) *runtime.Artifact {
	b := runtime.NewBuilder(op)
	vals := make([]runtime.Value, len(inputs))
	for i, in := range inputs {
		dims := make([]runtime.Dim, in.Rank())
		for j, d := range in.Shape() {
			dims[j] = runtime.Static(d)
		}
		vals[i] = b.Input(fmt.Sprintf("x%d", i), in.DType(), dims...)
	}
	b.Output("y", b.Op(op, attrs, vals...))
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

// runOp prepares a one-node model on backend and runs it once.
func runOp(t testing.TB, backend runtime.Backend, op string, attrs ops.Attrs, inputs []*tensor.Tensor) *tensor.Tensor {
	p, err := backend.Prepare(context.Background(), singleOp(t, op, attrs, inputs))
	require.NoError(t, err)
	defer p.Close()
	out, err := p.Run(context.Background(), inputs)
	require.NoError(t, err)
	return out[0]
}

// convBenchCases are convolutions of the zoo's CNNs, one image each.
var convBenchCases = []struct {
	name    string
	x, w    []int
	attrs   ops.Attrs
	flopMAC int // multiply-adds per run
}{
	// ResNet-50 stage 2's 3x3: 64·64·9·56·56 ≈ 115.6M MACs.
	{"3x3_64to64_56", []int{1, 64, 56, 56}, []int{64, 64, 3, 3}, ops.Attrs{"pads": []int{1, 1, 1, 1}}, 64 * 64 * 9 * 56 * 56},
	// ResNet-50's 1x1 expansion: 64·256·56·56 ≈ 51.4M MACs.
	{"1x1_64to256_56", []int{1, 64, 56, 56}, []int{256, 64, 1, 1}, nil, 64 * 256 * 56 * 56},
	// ResNet-50's stem, 7x7 stride 2: 3·64·49·112·112 ≈ 118M MACs.
	{"7x7s2_3to64_224", []int{1, 3, 224, 224}, []int{64, 3, 7, 7},
		ops.Attrs{"strides": []int{2, 2}, "pads": []int{3, 3, 3, 3}}, 3 * 64 * 49 * 112 * 112},
	// MobileNetV2's depthwise 3x3 on 144 channels: 144·9·56·56 ≈ 4.1M MACs.
	{"dw3x3_144_56", []int{1, 144, 56, 56}, []int{144, 1, 3, 3},
		ops.Attrs{"group": 144, "pads": []int{1, 1, 1, 1}}, 144 * 9 * 56 * 56},
	// ... and its strided one on 96 channels: 96·9·56·56 ≈ 2.7M MACs.
	{"dw3x3s2_96_112", []int{1, 96, 112, 112}, []int{96, 1, 3, 3},
		ops.Attrs{"group": 96, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}, 96 * 9 * 56 * 56},
}

// windowVariants are the lowerings BenchmarkConv and BenchmarkMaxPool
// compare: each engine as it lowers windows ("gomlx": by matrix products and
// taps; "xla": the faster per op family), the pure-Go engine with the native
// ops ("gomlx_native"), XLA with only native ops or only products
// ("xla_native", "xla_products"), and the reference backend.
var windowVariants = []string{"gomlx", "gomlx_native", "xla", "xla_native", "xla_products", "ref"}

// windowVariant sets up one of windowVariants for the benchmark (the
// lowering switches are restored when it ends); xla variants skip where no
// plugin is found.
func windowVariant(b *testing.B, variant string) runtime.Backend {
	switch variant {
	case "ref":
		return ref.Backend{}
	case "gomlx_native":
		b.Cleanup(xla.SetGoNative(true))
	case "xla", "xla_native", "xla_products":
		x := xla.NewXLA(xla.Options{})
		if err := x.Available(); err != nil {
			b.Skip(oneLine(err))
		}
		switch variant {
		case "xla_native":
			b.Cleanup(xla.SetXLALowering(xla.XLANative))
		case "xla_products":
			b.Cleanup(xla.SetXLALowering(xla.XLAProducts))
		}
		return x
	}
	return xla.NewGoMLX(xla.Options{})
}

// BenchmarkConv times convolutions of ResNet-50 and MobileNetV2 on each
// engine with each lowering (windowVariants) and on the reference backend.
func BenchmarkConv(b *testing.B) {
	for _, bc := range convBenchCases {
		inputs := []*tensor.Tensor{rnd(1, bc.x...), rnd(2, bc.w...), rnd(3, bc.w[0])}
		for _, variant := range windowVariants {
			b.Run(bc.name+"/"+variant, func(b *testing.B) {
				backend := windowVariant(b, variant)
				p, err := backend.Prepare(context.Background(), singleOp(b, "conv", bc.attrs, inputs))
				require.NoError(b, err)
				defer p.Close()
				_, err = p.Run(context.Background(), inputs) // compile, warm up
				require.NoError(b, err)
				b.ResetTimer()
				for range b.N {
					if _, err := p.Run(context.Background(), inputs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(2*float64(bc.flopMAC)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkMaxPool times ResNet-50's max pool (x 1x64x112x112, 3x3 windows,
// stride 2, pads 1: 56·56·64 outputs of 9 taps) on each engine with each
// lowering (windowVariants) and on the reference backend.
func BenchmarkMaxPool(b *testing.B) {
	inputs := []*tensor.Tensor{rnd(1, 1, 64, 112, 112)}
	attrs := ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}
	for _, variant := range windowVariants {
		b.Run(variant, func(b *testing.B) {
			backend := windowVariant(b, variant)
			p, err := backend.Prepare(context.Background(), singleOp(b, "max_pool", attrs, inputs))
			require.NoError(b, err)
			defer p.Close()
			_, err = p.Run(context.Background(), inputs)
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				if _, err := p.Run(context.Background(), inputs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
