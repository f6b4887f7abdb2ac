package xla

import (
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Convolutions as matrix products, for the pure-Go engine (lower_window.go
// says why). Each kernel tap reads a strided slice of the zero-padded input;
// a dense or grouped convolution stacks the K taps' slices into patches
// (N, C·K, P), P the output positions, and multiplies them by the weights
// (M, C/group·K) in one DotGeneral (per group). A depthwise convolution (one
// input channel per group) has too little to contract for that to pay: each
// tap's slice is scaled per channel by a DotGeneral with batch axis C, and
// the K products are added.
//
// Measured on 2 cores shared with other work (BenchmarkConv, ms per image;
// this path / the same engine's ConvGeneral / the reference backend; runs
// vary by ±40% with the load): ResNet-50's 3x3 64→64 on 56x56 91 / 556 /
// 106, its 1x1 64→256 45 / 728 / 66, its 7x7/2 stem 106 / 1693 / 198;
// MobileNetV2's depthwise 3x3 on 144x56x56 42 / 350 / 11 and strided on
// 96x112x112 25 / 179 / 11. Depthwise stays behind the reference backend:
// each tap costs the engine an output-sized slice and product, element by
// element through generic loops, where ref runs one fused loop.

// gemmMaxPatch bounds the elements of the patches a dense convolution
// materializes (K times its output's N·C·P); beyond it ConvGeneral runs in
// constant extra memory instead.
const gemmMaxPatch = 1 << 25

// useGemm reports whether a convolution of x (shape xs, before padding)
// with geometry g is lowered by matrix products: always on the pure-Go engine
// (unless goNative), on XLA for depthwise and 1x1 convolutions (see
// xlaLowering for the measurements).
func useGemm(c *nodeCtx, xs tensor.Shape, g ops.ConvGeometry) bool {
	taps := tensor.Shape(g.Kernel).NumElements()
	if taps > maxTapSlices {
		return false
	}
	depthwise := xs[1]/g.Group == 1 && g.Group > 1
	switch {
	case c.Engine == XLAName && xlaLowering == xlaAuto:
		if !depthwise && taps != 1 {
			return false
		}
	case !byTapsOn(c.Engine):
		return false
	}
	if depthwise {
		return true // no patches, each tap's slice is output-sized
	}
	patch := xs[0] * xs[1]
	for _, o := range g.Out {
		patch *= o
	}
	return patch <= gemmMaxPatch/taps
}

// convWindow is the window of a convolution's taps over x (N, C, D1..Dk).
func convWindow(g ops.ConvGeometry) window {
	k := len(g.Kernel)
	w := window{dims: append([]int{1, 1}, g.Kernel...), strides: append([]int{1, 1}, g.Strides...),
		dilations: append([]int{1, 1}, g.Dilations...), pads: make([][2]int, 2+k)}
	for i := range k {
		w.pads[2+i] = [2]int{g.Pads[i], g.Pads[k+i]}
	}
	return w
}

// convByMatmul convolves x (N, C, D1..Dk) with w (M, C/group, k1..kk) under
// geometry g (pads >= 0), giving out (N, M, O1..Ok).
func convByMatmul(x, w *graph.Node, g ops.ConvGeometry, out tensor.Shape) *graph.Node {
	xs := x.Shape().Dimensions
	n, ch, m := xs[0], xs[1], out[1]
	win := convWindow(g)
	taps := win.taps()
	positions := tensor.Shape(g.Out).NumElements()
	grp, cg, mg := g.Group, ch/g.Group, m/g.Group
	x = padWith(x, win.pads, graph.ScalarZero(x.Graph(), x.DType()))
	sliceDims := append([]int{n, ch}, g.Out...)
	if cg == 1 && grp > 1 {
		// Sums of products in float32, rounded once (DotGeneral does the same
		// for float16 and bfloat16 inside). With several images the batch
		// axis moves behind the channels once, so that every tap's slice is
		// (C, N, O1..Ok) and the per-channel scaling stays one DotGeneral
		// with a leading batch axis: with N second, the engine's DotGeneral
		// took a path ~7× slower than N single images (MobileNetV2 at batch 8).
		xf := toFloat32(x)
		if n > 1 {
			perm := []int{1, 0}
			for i := 2; i < x.Rank(); i++ {
				perm = append(perm, i)
			}
			xf = graph.TransposeAllDims(xf, perm...)
			sliceDims[0], sliceDims[1] = ch, n
		}
		y := depthwiseByTaps(win.tapSlices(xf, sliceDims), toFloat32(w), out, ch)
		return graph.ConvertDType(y, x.DType())
	}
	var patches *graph.Node
	if taps == 1 && allOnes(g.Strides) { // a 1x1 convolution: x is its own patch matrix
		patches = graph.Reshape(x, n, ch, positions)
	} else { // (N, C, K, O1..Ok), flattened
		patches = graph.Reshape(graph.Stack(win.tapSlices(x, sliceDims), 2), n, ch*taps, positions)
	}
	var y *graph.Node
	if grp == 1 {
		y = graph.DotGeneral(graph.Reshape(w, m, cg*taps), []int{1}, nil, patches, []int{1}, nil) // (M, N, P)
	} else {
		p := graph.Reshape(patches, n, grp, cg*taps, positions)
		wg := graph.Reshape(w, grp, mg, cg*taps)
		y = graph.DotGeneral(wg, []int{2}, []int{0}, p, []int{2}, []int{1}) // (g, M/g, N, P)
		y = graph.Reshape(y, m, n, positions)
	}
	if n > 1 {
		y = graph.TransposeAllDims(y, 1, 0, 2)
	}
	return graph.Reshape(y, out...)
}

// depthwiseByTaps is convByMatmul for one input channel per group (C =
// group, M = C·multiplier), given the taps' slices and C, each (C, N, O1..Ok)
// (channels first; for one image that is also (N, C, O1..Ok)): the sum over
// taps of the slice scaled by the tap's weight per channel. The scaling is a
// DotGeneral contracting a unit axis with batch axis C, which the engine runs
// as a tight blocked loop, where a broadcasting multiply would step an index
// iterator per element.
func depthwiseByTaps(slices []*graph.Node, w *graph.Node, out tensor.Shape, ch int) *graph.Node {
	n, m := out[0], out[1]
	mult := m / ch
	cols := n * tensor.Shape(out[2:]).NumElements() // images × output positions
	wt := graph.Reshape(w, ch, mult, len(slices))
	// The engine runs a DotGeneral whose mult×cols per channel exceeds 16
	// of its blocks through its blocked kernel, which pads the unit
	// contraction and the multiplier to a whole block each (over 30× the
	// work: MobileNetV2 at batch 8 took 27 s). Columns are cut into chunks
	// that stay on its direct kernel, and the chunks' sums concatenated.
	chunk := max(depthwiseMaxCross()/mult, 1)
	var parts []*graph.Node
	for lo := 0; lo < cols; lo += chunk {
		hi := min(lo+chunk, cols)
		var acc *graph.Node
		for t, s := range slices {
			wtap := graph.Slice(wt, graph.AxisRange(), graph.AxisRange(), graph.AxisElem(t)) // (C, mult, 1)
			cs := graph.Reshape(s, ch, cols, 1)
			if lo > 0 || hi < cols {
				cs = graph.Slice(cs, graph.AxisRange(), graph.AxisRange(lo, hi), graph.AxisRange())
			}
			term := graph.DotGeneral(wtap, []int{2}, []int{0}, cs, []int{2}, []int{0}) // (C, mult, hi-lo)
			if acc == nil {
				acc = term
			} else {
				acc = graph.Add(acc, term)
			}
		}
		parts = append(parts, acc)
	}
	acc := parts[0]
	if len(parts) > 1 {
		acc = graph.Concatenate(parts, 2)
	}
	// acc is (C, mult, N·P); the output wants (N, C·mult, P).
	if n > 1 {
		acc = graph.TransposeAllDims(graph.Reshape(acc, ch, mult, n, cols/n), 2, 0, 1, 3)
	}
	return graph.Reshape(acc, out...)
}

// depthwiseMaxCross is the largest cross size (product of the two operands'
// non-contracted dims per batch element) the pure-Go engine's DotGeneral
// still runs on its direct kernel: 16 of its float32 blocks.
func depthwiseMaxCross() int {
	dim := 1 << simplego.DotGeneralTargetBlockLog2Dim[dtypes.Float32]
	return 16 * dim * dim
}

// dilateZeros puts stride−1 zeros between neighbouring elements of each
// spatial dim of x (N, C, D1..Dk), giving (D−1)·stride+1: each element gets
// stride−1 zeros after it (a concatenation on a new axis, then a reshape),
// and the zeros after the last one are sliced off.
func dilateZeros(x *graph.Node, strides []int) *graph.Node {
	for i, s := range strides {
		if s == 1 {
			continue
		}
		axis := 2 + i
		dims := x.Shape().Dimensions
		d := dims[axis]
		expanded := append(append(append([]int(nil), dims[:axis+1]...), 1), dims[axis+1:]...)
		zeros := append([]int(nil), expanded...)
		zeros[axis+1] = s - 1
		y := graph.Concatenate([]*graph.Node{graph.Reshape(x, expanded...),
			graph.Zeros(x.Graph(), shapes.Make(x.DType(), zeros...))}, axis+1)
		flat := append([]int(nil), dims...)
		flat[axis] = d * s
		y = graph.Reshape(y, flat...)
		specs := make([]graph.SliceAxisSpec, len(dims))
		for j := range specs {
			specs[j] = graph.AxisRange()
		}
		specs[axis] = graph.AxisRange(0, (d-1)*s+1)
		x = graph.Slice(y, specs...)
	}
	return x
}

func allOnes(s []int) bool {
	for _, v := range s {
		if v != 1 {
			return false
		}
	}
	return true
}
