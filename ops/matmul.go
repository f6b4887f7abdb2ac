package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

func init() {
	Register(&Op{
		Name: "matmul",
		Doc: "Matrix product with numpy matmul semantics (as ONNX MatMul): a [..., M, K] · b [..., K, N] → " +
			"[..., M, N], the batch dims broadcasting numpy-style. A 1-D a is treated as [1, K] and a 1-D b " +
			"as [K, 1], the added dim being dropped from the result, so two 1-D inputs give a scalar. K = 0 " +
			"gives zeros. a and b share one numeric dtype; integers accumulate in int64 and wrap to the " +
			"dtype's width (ONNX leaves integer overflow undefined).",
		Inputs: []InputSpec{{Name: "a"}, {Name: "b"}},
		Infer:  matmulInfer,
	})
}

// MatMulDims describes a matmul after promoting 1-D operands: the broadcast
// batch shape, the matrix dims M, K, N, and the batch shapes of a and b
// (left-padded with 1s to the rank of Batch) for the broadcast.
type MatMulDims struct {
	Batch          tensor.Shape
	ABatch, BBatch tensor.Shape
	M, K, N        int
	// Out is the output shape: Batch, then M unless a is 1-D, then N unless b is 1-D.
	Out tensor.Shape
}

// ResolveMatMul checks the shapes of a matmul's inputs and returns its dims.
func ResolveMatMul(a, b tensor.Shape) (MatMulDims, error) {
	if len(a) < 1 {
		return MatMulDims{}, InputErrorf(0, "is a scalar; matmul needs rank >= 1")
	}
	if len(b) < 1 {
		return MatMulDims{}, InputErrorf(1, "is a scalar; matmul needs rank >= 1")
	}
	var d MatMulDims
	aMat, bMat := a, b
	if len(a) == 1 {
		aMat = tensor.Shape{1, a[0]}
	}
	if len(b) == 1 {
		bMat = tensor.Shape{b[0], 1}
	}
	d.M, d.K = aMat[len(aMat)-2], aMat[len(aMat)-1]
	kb := bMat[len(bMat)-2]
	d.N = bMat[len(bMat)-1]
	if d.K != kb {
		return MatMulDims{}, InputErrorf(1, "contraction dim K = %d (shape %v) does not match a's K = %d (shape %v)",
			kb, b, d.K, a)
	}
	ab, bb := aMat[:len(aMat)-2], bMat[:len(bMat)-2]
	batch, err := tensor.BroadcastShapes(ab, bb)
	if err != nil {
		return MatMulDims{}, InputErrorf(1, "batch dims %v and %v do not broadcast: %v", ab, bb, err)
	}
	d.Batch = batch
	d.ABatch = matmulPadBatch(ab, len(batch))
	d.BBatch = matmulPadBatch(bb, len(batch))
	d.Out = batch.Clone()
	if d.Out == nil {
		d.Out = tensor.Shape{}
	}
	if len(a) > 1 {
		d.Out = append(d.Out, d.M)
	}
	if len(b) > 1 {
		d.Out = append(d.Out, d.N)
	}
	if err := d.Out.Validate(); err != nil {
		return MatMulDims{}, InputErrorf(1, "output %v", err)
	}
	return d, nil
}

// matmulPadBatch left-pads s with 1s to rank r.
func matmulPadBatch(s tensor.Shape, r int) tensor.Shape {
	out := make(tensor.Shape, r)
	for i := range out {
		out[i] = 1
	}
	copy(out[r-len(s):], s)
	return out
}

func matmulInfer(in []Type, _ Attrs) ([]Type, error) {
	if err := requireNumeric(in); err != nil {
		return nil, err
	}
	if err := requireSameDType(in); err != nil {
		return nil, err
	}
	d, err := ResolveMatMul(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return one(Type{DType: in[0].DType, Shape: d.Out}), nil
}
