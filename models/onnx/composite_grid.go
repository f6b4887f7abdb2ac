package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// AffineGrid and ReverseSequence composed of catalog ops.

func init() {
	register("AffineGrid", cmpAffineGrid)
	register("ReverseSequence", cmpReverseSequence)
}

// cmpAffineGrid maps theta (N×2×3 or N×3×4) over the normalized pixel grid
// of the constant size: each output position holds theta·(x, y[, z], 1),
// with coordinates from −1 to 1 at the pixel centres (align_corners) or
// edges.
func cmpAffineGrid(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 20, 2, 2, 1); err != nil {
		return err
	}
	align, err := shapeFlag(c, "align_corners", 0)
	if err != nil {
		return err
	}
	size, err := c.constInts(1)
	if err != nil {
		return err
	}
	r := len(size) - 2
	if r != 2 && r != 3 {
		return c.inputErrorf(1, ErrInvalidModel, "size %v, want N, C and 2 or 3 spatial sizes", size)
	}
	spatial := size[2:]
	count := 1
	for _, s := range spatial {
		if s < 1 {
			return c.inputErrorf(1, ErrInvalidModel, "size %v", size)
		}
		count *= s
	}
	if count*(r+1) > foldLimit {
		return c.errorf(ErrUnsupported, "AffineGrid of %d points is too large", count)
	}
	coord := func(i, s int) float64 {
		if align {
			if s == 1 {
				return 0
			}
			return -1 + 2*float64(i)/float64(s-1)
		}
		return (2*float64(i)+1)/float64(s) - 1
	}
	// base[p] = (x, y[, z], 1) for point p in row-major order of (D,) H, W
	base := make([]float64, 0, count*(r+1))
	idx := make([]int, r)
	for range count {
		for k := r - 1; k >= 0; k-- { // x is the last spatial dim
			base = append(base, coord(idx[k], spatial[k]))
		}
		base = append(base, 1)
		for k := r - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < spatial[k] {
				break
			}
			idx[k] = 0
		}
	}
	d := c.typeOf(c.in(0)).dtype
	bt, err := tensor.FromFloat64s(d, tensor.Shape{1, count, r + 1}, base)
	if err != nil {
		return err
	}
	thetaT, err := cmpCall(c, "transpose", ops.Attrs{"perm": []int{0, 2, 1}}, c.in(0))
	if err != nil {
		return err
	}
	g, err := cmpCall(c, "matmul", nil, c.addConst(bt), thetaT) // [N, count, r]
	if err != nil {
		return err
	}
	shape := append(append([]int{size[0]}, spatial...), r)
	return c.emit("reshape", ops.Attrs{"shape": shape}, []string{g}, c.out(0))
}

// cmpReverseSequence reverses the first sequence_lens[b] entries of each
// batch entry b along time_axis with gather_elements: index t maps to
// len−1−t below len, to itself from len on.
func cmpReverseSequence(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 2, 2, 1); err != nil {
		return err
	}
	timeAxis, err := c.attrInt("time_axis", 0)
	if err != nil {
		return err
	}
	batchAxis, err := c.attrInt("batch_axis", 1)
	if err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	if len(x.a) < 2 || !x.static() || timeAxis == batchAxis || (timeAxis != 0 && timeAxis != 1) || (batchAxis != 0 && batchAxis != 1) {
		return c.errorf(ErrUnsupported, "ReverseSequence of shape %v with time_axis %d, batch_axis %d", x.a, timeAxis, batchAxis)
	}
	steps := x.a[timeAxis]
	iota := make([]int64, steps)
	for i := range iota {
		iota[i] = int64(i)
	}
	tShape := make([]int, len(x.a))
	lShape := make([]int, len(x.a))
	for i := range tShape {
		tShape[i], lShape[i] = 1, 1
	}
	tShape[timeAxis] = steps
	lShape[batchAxis] = x.a[batchAxis]
	t := c.addConst(tensor.MustFromSlice(iota, tShape...))
	lens, err := cmpCast(c, c.in(1), tensor.Int64)
	if err != nil {
		return err
	}
	if lens, err = cmpCall(c, "reshape", ops.Attrs{"shape": lShape}, lens); err != nil {
		return err
	}
	one := c.addConst(tensor.Scalar(int64(1)))
	last, err := cmpCall(c, "sub", nil, lens, one)
	if err != nil {
		return err
	}
	rev, err := cmpCall(c, "sub", nil, last, t)
	if err != nil {
		return err
	}
	inside, err := cmpCall(c, "less", nil, t, lens)
	if err != nil {
		return err
	}
	idx, err := cmpCall(c, "where", nil, inside, rev, t)
	if err != nil {
		return err
	}
	if idx, err = cmpCall(c, "expand", ops.Attrs{"shape": []int(x.a)}, idx); err != nil {
		return err
	}
	return c.emit("gather_elements", ops.Attrs{"axis": timeAxis}, []string{c.in(0), idx}, c.out(0))
}
