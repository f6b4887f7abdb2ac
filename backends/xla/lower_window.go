package xla

import (
	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/tensor"
)

// Sliding windows (convolutions, pooling, lrn) on the two engines.
//
// XLA gets GoMLX's native window ops, ConvGeneral and ReduceWindow. The
// pure-Go engine's versions (GoMLX v0.26.0) walk every output and window
// position through generic index iterators on one core: its ConvGeneral is 5 to 30 times
// slower than the reference backend on the zoo's layers, its ReduceWindow
// (with the NaN check) 7 times slower on ResNet-50's max pool
// (BenchmarkConv, BenchmarkMaxPool; by taps that max pool takes 14 ms,
// ReduceWindow 189 ms, the reference backend 25 ms).
// So there a window becomes its taps: one strided slice of the padded input
// per window position, combined by elementwise ops (which have tight loops
// for same-shape operands) or fed to DotGeneral (blocked and parallel).
// That costs one output-sized slice per tap, so kernels of more than
// maxTapSlices taps keep the native op.

// maxTapSlices bounds the taps lowered as slices (one graph node each).
const maxTapSlices = 256

// goNative makes the pure-Go engine lower windows with the native ops, as
// XLA does; tests set it to check those lowerings here, where XLA is
// absent, and benchmarks to compare.
var goNative = false

// XLA's window lowerings: each op family gets the faster of the native op
// and the matrix-product/taps lowering, measured on XLA's CPU plugin
// (BenchmarkConv, BenchmarkMaxPool; 2 cores, loaded machine, ms per image,
// native / products, two runs of 30 each): ResNet-50's 3x3 64→64 5.3 / 12.6,
// its 7x7/2 stem 7.2 / 29 (one run of 10), its 1x1 64→256 6.1 / 3.3;
// MobileNetV2's depthwise 3x3 on 144x56x56 41 / 1.8 and strided on
// 96x112x112 55 / 4.5; ResNet-50's max pool 2.6 / 3.9. So XLA runs dense
// convolutions with kernels of more than one tap as ConvGeneral, and 1x1 and
// depthwise convolutions as products (XLA's CPU ConvGeneral with
// feature_group_count = channels runs a generic loop, 20 times slower than
// nine elementwise multiply-adds it fuses); pools keep ReduceWindow.
const (
	xlaAuto     = iota // the measured choice per op family (the default)
	xlaNative          // ConvGeneral and ReduceWindow for every window op
	xlaProducts        // the pure-Go engine's lowerings: matrix products and taps
)

// xlaLowering selects XLA's window lowerings; benchmarks change it to
// compare them (SetXLALowering in the tests).
var xlaLowering = xlaAuto

// byTapsOn reports whether the engine lowers windows (pools, lrn) by taps
// rather than with ReduceWindow: the pure-Go engine does (unless goNative),
// XLA does only when xlaLowering says products.
func byTapsOn(engine string) bool {
	if engine == XLAName {
		return xlaLowering == xlaProducts
	}
	return !goNative
}

// byTaps reports whether window w is lowered by taps.
func byTaps(c *nodeCtx, w window) bool {
	return byTapsOn(c.Engine) && w.taps() <= maxTapSlices
}

// window is a sliding-window configuration over all of an operand's axes
// (a window of 1 on the axes it does not slide on).
type window struct {
	dims, strides, dilations []int
	pads                     [][2]int // before, after; >= 0
}

// taps is the number of positions in one window.
func (w window) taps() int { return tensor.Shape(w.dims).NumElements() }

// reduce applies ReduceWindow, and slices the result to out's dims where
// the padding lets it produce more. Dilated windows go through
// reduceDilated on XLA, and on the pure-Go engine when tests ask for XLA's
// lowerings there (goNative); otherwise the pure-Go engine's ReduceWindow
// dilates them itself, strided (reduceDilated computes every stride-1
// position, which for ONNX's MaxPool2d_stride_padding_dilation, 4800 taps,
// takes minutes on that engine).
func (w window) reduce(c *nodeCtx, x *graph.Node, op gobackends.ReduceOpType, out tensor.Shape) *graph.Node {
	if w.dilated() && (c.Engine == XLAName || goNative) {
		return w.reduceDilated(x, op, out)
	}
	y := graph.BackendReduceWindow(x, op, w.dims, w.strides, nil, w.dilations, w.pads)
	if sameDims(y.Shape().Dimensions, out) {
		return y
	}
	specs := make([]graph.SliceAxisSpec, len(out))
	for i, d := range out {
		specs[i] = graph.AxisRange(0, d)
	}
	return graph.Slice(y, specs...)
}

// dilated reports whether any axis of the window has a dilation above 1.
func (w window) dilated() bool {
	for _, d := range w.dilations {
		if d != 1 {
			return true
		}
	}
	return false
}

// reduceDilated is ReduceWindow of a dilated window, computed with an
// undilated one. GoMLX's ReduceWindow cannot dilate a window on XLA: it goes
// through go-xla v0.1.4's stablehlo.ReduceWindow, which writes the window
// dilations into the op's base_dilations attribute too, so XLA also dilates
// the input and rejects the op ("'stablehlo.reduce_window' op inferred
// type(s) ... are incompatible with return type(s) of operation").
//
// A window of k taps dilated by d along an axis reads x[p + j·d], j < k, at
// stride-1 position p. Written p = q·d + r, that is x[(q+j)·d + r]: with the
// axis (padded to a multiple of d) reshaped to [L/d, d], an undilated window
// of k along the first half, at every r. So x is padded explicitly with op's
// identity, each dilated axis split in two, the undilated ReduceWindow run
// with stride 1 on those axes, the halves merged back and the result sliced
// with the window's stride. That computes stride-1 results on the dilated
// axes (stride times the work of the strided op);
// TestConformanceNative covers it where no plugin is installed.
func (w window) reduceDilated(x *graph.Node, op gobackends.ReduceOpType, out tensor.Shape) *graph.Node {
	fill := reduceIdentity(x, op)
	x = padWith(x, w.pads, fill)
	var (
		split, dims, strides []int
		ends                 [][2]int // extra padding at the end of each axis
	)
	for i, l := range x.Shape().Dimensions {
		d := w.dilations[i]
		if d == 1 {
			split, dims, strides = append(split, l), append(dims, w.dims[i]), append(strides, w.strides[i])
			ends = append(ends, [2]int{})
			continue
		}
		padded := (l + d - 1) / d * d
		ends = append(ends, [2]int{0, padded - l})
		split = append(split, padded/d, d)
		dims, strides = append(dims, w.dims[i], 1), append(strides, 1, 1)
	}
	x = padWith(x, ends, fill)
	y := graph.BackendReduceWindow(graph.Reshape(x, split...), op, dims, strides, nil, nil, nil)
	merged := make([]int, 0, len(out))
	specs := make([]graph.SliceAxisSpec, 0, len(out))
	yd := y.Shape().Dimensions
	for i, a := 0, 0; i < len(out); i++ {
		if w.dilations[i] == 1 {
			merged = append(merged, yd[a])
			specs = append(specs, graph.AxisRange(0, out[i]))
			a++
			continue
		}
		merged = append(merged, yd[a]*yd[a+1])
		specs = append(specs, graph.AxisRange(0, (out[i]-1)*w.strides[i]+1).Stride(w.strides[i]))
		a += 2
	}
	return graph.Slice(graph.Reshape(y, merged...), specs...)
}

// reduceIdentity is the scalar that op ignores, of x's dtype: the lowest
// value for a maximum, the highest for a minimum, 0 for a sum, 1 for a
// product.
func reduceIdentity(x *graph.Node, op gobackends.ReduceOpType) *graph.Node {
	g, d := x.Graph(), x.DType()
	switch op {
	case gobackends.ReduceOpMax:
		return graph.ConvertDType(graph.Const(g, d.LowestValue()), d)
	case gobackends.ReduceOpMin:
		return graph.ConvertDType(graph.Const(g, d.HighestValue()), d)
	case gobackends.ReduceOpProduct:
		return graph.ScalarOne(g, d)
	}
	return graph.ScalarZero(g, d)
}

// combineTaps pads x with fill (a scalar) and folds the slices of the
// window's taps, each with out's dims, with combine.
func (w window) combineTaps(x, fill *graph.Node, combine func(a, b *graph.Node) *graph.Node, out tensor.Shape) *graph.Node {
	var acc *graph.Node
	for _, s := range w.tapSlices(padWith(x, w.pads, fill), out) {
		if acc == nil {
			acc = s
		} else {
			acc = combine(acc, s)
		}
	}
	return acc
}

// tapSlices returns, for each window position in row-major order, the
// strided slice of the padded x it reads for every output position: out's dims.
func (w window) tapSlices(x *graph.Node, out tensor.Shape) []*graph.Node {
	rank := len(w.dims)
	slices := make([]*graph.Node, 0, w.taps())
	tap := make([]int, rank)
	for range w.taps() {
		specs := make([]graph.SliceAxisSpec, rank)
		for i := range rank {
			start := tap[i] * w.dilations[i]
			specs[i] = graph.AxisRange(start, start+(out[i]-1)*w.strides[i]+1).Stride(w.strides[i])
		}
		slices = append(slices, graph.Slice(x, specs...))
		for i := rank - 1; i >= 0; i-- { // next tap, last axis fastest
			if tap[i]++; tap[i] < w.dims[i] {
				break
			}
			tap[i] = 0
		}
	}
	return slices
}

// padWith pads x with the scalar fill, pads[i] before and after axis i, by
// concatenation (the pure-Go engine has no Pad).
func padWith(x *graph.Node, pads [][2]int, fill *graph.Node) *graph.Node {
	for axis, p := range pads {
		if p[0] == 0 && p[1] == 0 {
			continue
		}
		dims := append([]int(nil), x.Shape().Dimensions...)
		var parts []*graph.Node
		if p[0] > 0 {
			dims[axis] = p[0]
			parts = append(parts, graph.BroadcastToDims(fill, dims...))
		}
		parts = append(parts, x)
		if p[1] > 0 {
			dims[axis] = p[1]
			parts = append(parts, graph.BroadcastToDims(fill, dims...))
		}
		x = graph.Concatenate(parts, axis)
	}
	return x
}

// toFloat32 converts float16 and bfloat16 to float32 (exactly), for sums
// that would otherwise round at every step; other dtypes pass unchanged.
func toFloat32(x *graph.Node) *graph.Node {
	if d := x.DType(); d == dtypes.Float16 || d == dtypes.BFloat16 {
		return graph.ConvertDType(x, dtypes.Float32)
	}
	return x
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}
