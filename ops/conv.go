package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// The convolution family: conv and conv_transpose over N-d (N, C, D1..Dk)
// tensors. Both resolve their window attributes into a ConvGeometry, which
// Infer uses for the output shape and backends use for the pads actually
// applied (after auto_pad or output_shape), so no backend re-implements that
// arithmetic.

// ConvGeometry is the resolved window of one conv or conv_transpose node.
// Every slice has one entry per spatial dim except Pads, which has 2k.
type ConvGeometry struct {
	Group     int
	Kernel    []int // the weight's spatial dims
	Strides   []int
	Dilations []int
	// Pads holds all begins then all ends, as applied. For conv they are >= 0;
	// for conv_transpose they may be negative when output_shape or SAME asks
	// for more output than the full transposed convolution produces (the
	// extra positions receive no contributions, only the bias).
	Pads          []int
	OutputPadding []int // conv_transpose only; zeros for conv
	Out           []int // output spatial dims
}

func init() {
	windowAttrs := []AttrSpec{
		{Name: "kernel_shape", Kind: AttrInts,
			Doc: "spatial kernel dims; optional, and when set must equal w's spatial dims"},
		{Name: "strides", Kind: AttrInts, Doc: "one per spatial dim, >= 1; default all 1"},
		{Name: "pads", Kind: AttrInts,
			Doc: "2k values >= 0, all begins then all ends; default all 0; not allowed with auto_pad other than NOTSET"},
		{Name: "dilations", Kind: AttrInts, Doc: "one per spatial dim, >= 1; default all 1"},
		{Name: "group", Kind: AttrInt, Doc: "number of channel groups, >= 1, dividing C and M; default 1"},
		{Name: "auto_pad", Kind: AttrString,
			Doc: "NOTSET (default: use pads), SAME_UPPER, SAME_LOWER or VALID (no padding)"},
	}
	Register(&Op{
		Name: "conv",
		Doc: "N-d convolution (cross-correlation, as ONNX Conv): x (N, C, D1..Dk), w (M, C/group, k1..kk), " +
			"optional bias b (M); output (N, M, O1..Ok) with Oi = floor((Di + pad_begin + pad_end − " +
			"dilation·(ki−1) − 1) / stride) + 1, which must be >= 1. SAME_UPPER/SAME_LOWER pad so that " +
			"Oi = ceil(Di/stride), the odd unit of padding going to the end (UPPER) or beginning (LOWER). " +
			"Float dtypes only; x, w and b share one dtype. k >= 1.",
		Inputs: []InputSpec{{Name: "x"}, {Name: "w"}, {Name: "b", Optional: true}},
		Attrs:  windowAttrs,
		Infer:  convInfer,
	})
	Register(&Op{
		Name: "conv_transpose",
		Doc: "N-d transposed convolution (as ONNX ConvTranspose): x (N, C, D1..Dk), w (C, M/group, k1..kk), " +
			"optional bias b (M); output (N, M, O1..Ok) with Oi = stride·(Di−1) + output_padding + " +
			"dilation·(ki−1) + 1 − pad_begin − pad_end. When output_shape is set, pads are ignored and " +
			"derived from it, following the ONNX spec text: total = stride·(Di−1) + output_padding + " +
			"dilation·(ki−1) + 1 − Oi; with auto_pad SAME_UPPER pad_begin = floor(total/2), otherwise " +
			"(NOTSET, SAME_LOWER, VALID) pad_begin = total − floor(total/2); pad_end is the rest. total may " +
			"be negative (output larger than the full result: the extra positions get only the bias); the " +
			"floor makes an odd negative total extend the end, as ONNX's reference implementation does. " +
			"SAME_UPPER/SAME_LOWER without output_shape target Oi = Di·stride with the same split (so " +
			"output_padding only moves padding between the ends there, as in ONNX's reference). " +
			"Float dtypes only; x, w and b share one dtype. k >= 1.",
		Inputs: []InputSpec{{Name: "x"}, {Name: "w"}, {Name: "b", Optional: true}},
		Attrs: append(windowAttrs[:len(windowAttrs):len(windowAttrs)],
			AttrSpec{Name: "output_padding", Kind: AttrInts,
				Doc: "extra output at the end of each spatial dim, >= 0 and < max(stride, dilation); default all 0"},
			AttrSpec{Name: "output_shape", Kind: AttrInts,
				Doc: "output spatial dims (k values >= 1); when set, pads are derived from it"},
		),
		Infer: convTransposeInfer,
	})
}

// convCheckTypes checks what conv and conv_transpose share: float dtypes, one
// dtype for all inputs, x of rank >= 3 and w of the same rank.
func convCheckTypes(in []Type) error {
	if err := requireFloat(in); err != nil {
		return err
	}
	if err := requireSameDType(in); err != nil {
		return err
	}
	x := in[0].Shape
	if len(x) < 3 {
		return InputErrorf(0, "rank %d (shape %v), want (N, C, D1..Dk) with k >= 1 spatial dims", len(x), x)
	}
	return requireRank(in, 1, len(x))
}

// convGroup reads group and checks that it divides the input channels C.
func convGroup(a Attrs, c int) (int, error) {
	g := a.Int("group", 1)
	if g < 1 {
		return 0, AttrErrorf("group", "%d, want >= 1", g)
	}
	if c%g != 0 {
		return 0, AttrErrorf("group", "%d does not divide the %d input channels", g, c)
	}
	return g, nil
}

// convBias checks the optional bias input against the output channel count m.
func convBias(in []Type, m int) error {
	if len(in) < 3 || in[2].Absent() {
		return nil
	}
	if b := in[2].Shape; len(b) != 1 || b[0] != m {
		return InputErrorf(2, "shape %v, want [%d] (one bias per output channel)", b, m)
	}
	return nil
}

// convWindow reads the attributes common to conv and conv_transpose.
func convWindow(a Attrs, kernel []int) (g ConvGeometry, autoPad string, err error) {
	k := len(kernel)
	for i, d := range kernel {
		if d < 1 {
			return g, "", InputErrorf(1, "kernel dim %d is %d, want >= 1", i, d)
		}
	}
	if err = spatialKernelAttr(a, kernel); err != nil {
		return g, "", err
	}
	if autoPad, err = spatialAutoPadAttr(a); err != nil {
		return g, "", err
	}
	if g.Strides, err = spatialIntsAttr(a, "strides", k, 1, 1); err != nil {
		return g, "", err
	}
	if g.Dilations, err = spatialIntsAttr(a, "dilations", k, 1, 1); err != nil {
		return g, "", err
	}
	if g.Pads, err = spatialPadsAttr(a, k, autoPad); err != nil {
		return g, "", err
	}
	g.Kernel = append([]int(nil), kernel...)
	return g, autoPad, nil
}

// ResolveConv checks a conv node's shapes and attributes and returns its
// resolved geometry. x and w are the shapes of inputs 0 and 1; dtypes and the
// bias are checked by Infer only.
func ResolveConv(x, w tensor.Shape, a Attrs) (ConvGeometry, error) {
	k := len(x) - 2
	if k < 1 || len(w) != len(x) {
		return ConvGeometry{}, InputErrorf(1, "shapes x %v and w %v do not fit an N-d convolution", x, w)
	}
	group, err := convGroup(a, x[1])
	if err != nil {
		return ConvGeometry{}, err
	}
	if want := x[1] / group; w[1] != want {
		return ConvGeometry{}, InputErrorf(1, "shape %v has %d input channels per group, want C/group = %d/%d = %d",
			w, w[1], x[1], group, want)
	}
	if w[0]%group != 0 {
		return ConvGeometry{}, AttrErrorf("group", "%d does not divide the %d output channels of w", group, w[0])
	}
	g, autoPad, err := convWindow(a, w[2:])
	if err != nil {
		return ConvGeometry{}, err
	}
	g.Group = group
	g.OutputPadding = make([]int, k)
	g.Out, g.Pads, err = spatialOutputDims(x[2:], g.Kernel, g.Strides, g.Dilations, g.Pads, autoPad, false)
	if err != nil {
		return ConvGeometry{}, err
	}
	return g, nil
}

func convInfer(in []Type, a Attrs) ([]Type, error) {
	if err := convCheckTypes(in); err != nil {
		return nil, err
	}
	x, w := in[0].Shape, in[1].Shape
	g, err := ResolveConv(x, w, a)
	if err != nil {
		return nil, err
	}
	if err := convBias(in, w[0]); err != nil {
		return nil, err
	}
	out := append(tensor.Shape{x[0], w[0]}, g.Out...)
	if err := out.Validate(); err != nil {
		return nil, InputErrorf(0, "output %v", err)
	}
	return one(Type{DType: in[0].DType, Shape: out}), nil
}

// ResolveConvTranspose checks a conv_transpose node's shapes and attributes
// and returns its resolved geometry (see the op's Doc for the pad rules).
func ResolveConvTranspose(x, w tensor.Shape, a Attrs) (ConvGeometry, error) {
	k := len(x) - 2
	if k < 1 || len(w) != len(x) {
		return ConvGeometry{}, InputErrorf(1, "shapes x %v and w %v do not fit an N-d transposed convolution", x, w)
	}
	if w[0] != x[1] {
		return ConvGeometry{}, InputErrorf(1, "shape %v has %d input channels, want x's C = %d", w, w[0], x[1])
	}
	group, err := convGroup(a, x[1])
	if err != nil {
		return ConvGeometry{}, err
	}
	for i, d := range x[2:] {
		if d < 1 {
			return ConvGeometry{}, InputErrorf(0, "spatial dim %d is %d (shape %v), want >= 1", i, d, x)
		}
	}
	g, autoPad, err := convWindow(a, w[2:])
	if err != nil {
		return ConvGeometry{}, err
	}
	g.Group = group
	if g.OutputPadding, err = spatialIntsAttr(a, "output_padding", k, 0, 0); err != nil {
		return ConvGeometry{}, err
	}
	for i, op := range g.OutputPadding {
		if op >= max(g.Strides[i], g.Dilations[i]) {
			return ConvGeometry{}, AttrErrorf("output_padding", "value %d at index %d must be < stride %d or dilation %d",
				op, i, g.Strides[i], g.Dilations[i])
		}
	}
	var target []int
	switch {
	case a.Has("output_shape"):
		if target, err = spatialIntsAttr(a, "output_shape", k, 0, 1); err != nil {
			return ConvGeometry{}, err
		}
	case autoPad == spatialAutoPadSameUpper || autoPad == spatialAutoPadSameLower:
		target = make([]int, k)
		for i, d := range x[2:] {
			if d > spatialMaxValue/g.Strides[i] {
				return ConvGeometry{}, InputErrorf(0, "spatial dim %d: %d·stride %d is too large", i, d, g.Strides[i])
			}
			target[i] = d * g.Strides[i]
		}
	}
	g.Out = make([]int, k)
	for i, d := range x[2:] {
		ek, err := spatialEffectiveKernel(g.Kernel[i], g.Dilations[i])
		if err != nil {
			return ConvGeometry{}, InputErrorf(1, "spatial dim %d: %v", i, err)
		}
		if d-1 > spatialMaxValue/g.Strides[i] {
			return ConvGeometry{}, InputErrorf(0, "spatial dim %d: (%d−1)·stride %d is too large", i, d, g.Strides[i])
		}
		full := g.Strides[i]*(d-1) + g.OutputPadding[i] + ek // the output before any padding is removed
		if target != nil {
			total := full - target[i]
			half := spatialFloorDiv(total, 2)
			if autoPad == spatialAutoPadSameUpper {
				g.Pads[i], g.Pads[k+i] = half, total-half
			} else {
				g.Pads[i], g.Pads[k+i] = total-half, half
			}
		}
		g.Out[i] = full - g.Pads[i] - g.Pads[k+i]
		if g.Out[i] < 1 {
			return ConvGeometry{}, AttrErrorf("pads", "spatial dim %d: pads %d+%d remove all %d outputs",
				i, g.Pads[i], g.Pads[k+i], full)
		}
	}
	return g, nil
}

func convTransposeInfer(in []Type, a Attrs) ([]Type, error) {
	if err := convCheckTypes(in); err != nil {
		return nil, err
	}
	x, w := in[0].Shape, in[1].Shape
	g, err := ResolveConvTranspose(x, w, a)
	if err != nil {
		return nil, err
	}
	if w[1] > spatialMaxValue/g.Group {
		return nil, InputErrorf(1, "%d·group %d output channels is too large", w[1], g.Group)
	}
	m := w[1] * g.Group
	if err := convBias(in, m); err != nil {
		return nil, err
	}
	out := append(tensor.Shape{x[0], m}, g.Out...)
	if err := out.Validate(); err != nil {
		return nil, InputErrorf(0, "output %v", err)
	}
	return one(Type{DType: in[0].DType, Shape: out}), nil
}
