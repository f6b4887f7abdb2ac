package onnx

import (
	"math"
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Hand-computed cases of the Attention and RotaryEmbedding compositions.

// attnNeedsOpset23 skips until the importer reads opset 23 (issue 13's work).
func attnNeedsOpset23(t *testing.T) {
	if MaxOpset < 23 {
		t.Skipf("Attention and RotaryEmbedding need opset 23; the importer reads up to %d", MaxOpset)
	}
}

func TestAttentionComposition(t *testing.T) {
	attnNeedsOpset23(t)
	// One head, one query [1 0] against keys [1 0] and [0 1]: scores 1/√2 and 0
	// (default scale 1/√2), weights p = e^(1/√2)/(e^(1/√2)+1) and 1−p over values [1 2], [3 4].
	q := nnF32(nnShape(1, 1, 1, 2), 1, 0)
	k := nnF32(nnShape(1, 1, 2, 2), 1, 0, 0, 1)
	v := nnF32(nnShape(1, 1, 2, 2), 1, 2, 3, 4)
	in := []onnxpb.ValueInfo{tin("q", onnxpb.Float, 1, 1, 1, 2), tin("k", onnxpb.Float, 1, 1, 2, 2), tin("v", onnxpb.Float, 1, 1, 2, 2)}
	e := math.Exp(1 / math.Sqrt2)
	p := float32(e / (e + 1))
	out := cmpRun(t, 23, node("Attention", []string{"q", "k", "v"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{q, k, v})
	requireClose(t, out[0], nnF32(nnShape(1, 1, 1, 2), p+3*(1-p), 2*p+4*(1-p)))
	// A bool mask hiding the second key leaves the first value.
	mask := initializer(t, "m", tensor.MustFromSlice([]bool{true, false}, 1, 2))
	out = cmpRun(t, 23, node("Attention", []string{"q", "k", "v", "m"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{q, k, v}, mask)
	requireClose(t, out[0], nnF32(nnShape(1, 1, 1, 2), 1, 2))
	// Causal with two queries: the first sees only the first key.
	q2 := nnF32(nnShape(1, 1, 2, 2), 1, 0, 1, 0)
	in[0] = tin("q", onnxpb.Float, 1, 1, 2, 2)
	out = cmpRun(t, 23, node("Attention", []string{"q", "k", "v"}, []string{"y"}, aInt("is_causal", 1)), []string{"y"}, in,
		[]*tensor.Tensor{q2, k, v})
	requireClose(t, out[0], nnF32(nnShape(1, 1, 2, 2), 1, 2, p+3*(1-p), 2*p+4*(1-p)))
}

func TestRotaryEmbeddingComposition(t *testing.T) {
	attnNeedsOpset23(t)
	// cos 0, sin 1 rotates each pair (x1, x2) to (−x2, x1).
	x := nnF32(nnShape(1, 1, 1, 4), 1, 2, 3, 4) // halves (1, 2) and (3, 4): pairs (1,3), (2,4)
	cos := initializer(t, "cos", nnF32(nnShape(1, 1, 2), 0, 0))
	sin := initializer(t, "sin", nnF32(nnShape(1, 1, 2), 1, 1))
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 1, 1, 4)}
	out := cmpRun(t, 23, node("RotaryEmbedding", []string{"x", "cos", "sin"}, []string{"y"}), []string{"y"}, in,
		[]*tensor.Tensor{x}, cos, sin)
	requireClose(t, out[0], nnF32(nnShape(1, 1, 1, 4), -3, -4, 1, 2))
	// interleaved: pairs (1,2), (3,4)
	out = cmpRun(t, 23, node("RotaryEmbedding", []string{"x", "cos", "sin"}, []string{"y"}, aInt("interleaved", 1)),
		[]string{"y"}, in, []*tensor.Tensor{x}, cos, sin)
	requireClose(t, out[0], nnF32(nnShape(1, 1, 1, 4), -2, 1, -4, 3))
}
