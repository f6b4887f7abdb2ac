package onnx

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// QDQ models: QuantizeLinear→DequantizeLinear pairs on the activations and
// DequantizeLinear of int8 weights feeding Conv and MatMul, the form
// quantization tools write. On import a constant weight's
// DequantizeLinear folds into a float32 initializer, so conv and matmul see
// a plain float weight; the activation pairs stay as the float ops of their
// definition (quantize, saturate, dequantize).

// qdqWeights are the int8 weights and their per-channel (conv) and
// per-tensor (matmul) parameters.
func qdqWeights() (w, wm *tensor.Tensor) {
	wv := make([]int8, 3*2*3*3)
	for i := range wv {
		wv[i] = int8((i*37)%255 - 127)
	}
	mv := make([]int8, 4*3)
	for i := range mv {
		mv[i] = int8((i*53)%201 - 100)
	}
	return tensor.MustFromSlice(wv, 3, 2, 3, 3), tensor.MustFromSlice(mv, 4, 3)
}

// qdqModel builds the QDQ graph; with weightsAsInputs the int8 weights are
// graph inputs instead of initializers, so nothing about them can fold.
func qdqModel(t *testing.T, weightsAsInputs bool) *onnxpb.Model {
	w, wm := qdqWeights()
	inits := []onnxpb.Tensor{
		initializer(t, "x_s", tensor.Scalar(float32(0.05))), initializer(t, "x_zp", tensor.Scalar(uint8(128))),
		initializer(t, "w_s", tensor.MustFromSlice([]float32{0.01, 0.02, 0.005}, 3)),
		initializer(t, "w_zp", tensor.MustFromSlice([]int8{0, 0, 0}, 3)),
		initializer(t, "b", tensor.MustFromSlice([]float32{0.5, -0.25, 0}, 3)),
		initializer(t, "y_s", tensor.Scalar(float32(0.1))), initializer(t, "y_zp", tensor.Scalar(uint8(128))),
		initializer(t, "m_s", tensor.Scalar(float32(0.03))), initializer(t, "m_zp", tensor.Scalar(int8(3))),
	}
	inputs := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 2, 5, 5), tin("v", onnxpb.Float, 2, 4)}
	if weightsAsInputs {
		inputs = append(inputs, tin("w", onnxpb.Int8, 3, 2, 3, 3), tin("wm", onnxpb.Int8, 4, 3))
	} else {
		inits = append(inits, initializer(t, "w", w), initializer(t, "wm", wm))
	}
	nodes := []onnxpb.Node{
		node("QuantizeLinear", []string{"x", "x_s", "x_zp"}, []string{"xq"}),
		node("DequantizeLinear", []string{"xq", "x_s", "x_zp"}, []string{"xd"}),
		node("DequantizeLinear", []string{"w", "w_s", "w_zp"}, []string{"wd"}, aInt("axis", 0)),
		node("Conv", []string{"xd", "wd", "b"}, []string{"c"}, aInts("pads", 1, 1, 1, 1)),
		node("QuantizeLinear", []string{"c", "y_s", "y_zp"}, []string{"cq"}),
		node("DequantizeLinear", []string{"cq", "y_s", "y_zp"}, []string{"y"}),
		node("QuantizeLinear", []string{"v", "x_s", "x_zp"}, []string{"vq"}),
		node("DequantizeLinear", []string{"vq", "x_s", "x_zp"}, []string{"vd"}),
		node("DequantizeLinear", []string{"wm", "m_s", "m_zp"}, []string{"wmd"}),
		node("MatMul", []string{"vd", "wmd"}, []string{"z"}),
	}
	return model(13, nodes, inputs, []onnxpb.ValueInfo{tout("y"), tout("z")}, inits...)
}

func qdqImport(t *testing.T, m *onnxpb.Model) *runtime.Artifact {
	t.Helper()
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	a, err := Import(data, Options{Name: t.Name()})
	require.NoError(t, err)
	return a
}

func qdqRunRef(t *testing.T, a *runtime.Artifact, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	out, err := m.Run(context.Background(), in...)
	require.NoError(t, err)
	return out
}

func TestQDQWeightsFoldOnImport(t *testing.T) {
	folded := qdqImport(t, qdqModel(t, false))
	// The weights are float32 initializers read by conv and matmul
	// directly; no node reads an integer initializer or dequantizes one.
	var convW, matW string
	for _, n := range folded.Nodes {
		for _, in := range n.Inputs {
			if w, ok := folded.Initializers[in]; ok {
				require.True(t, w.DType().IsFloat() || w.NumElements() <= 3,
					"node %s (%s) reads the %v initializer %s", n.Name, n.Op, w.DType(), in)
			}
		}
		switch n.Op {
		case "conv":
			convW = n.Inputs[1]
		case "matmul":
			matW = n.Inputs[1]
		}
	}
	w, wm := qdqWeights()
	wantW := make([]float32, w.NumElements())
	scales := []float32{0.01, 0.02, 0.005}
	for i, q := range tensor.MustView[int8](w) {
		wantW[i] = float32(q) * scales[i/18] // (q − 0)·scale of the output channel
	}
	require.Contains(t, folded.Initializers, convW, "conv's weight is an initializer")
	require.Equal(t, tensor.Float32, folded.Initializers[convW].DType())
	require.Equal(t, wantW, tensor.MustView[float32](folded.Initializers[convW]))
	wantM := make([]float32, wm.NumElements())
	for i, q := range tensor.MustView[int8](wm) {
		wantM[i] = float32(q-3) * 0.03
	}
	require.Contains(t, folded.Initializers, matW, "matmul's weight is an initializer")
	require.Equal(t, wantM, tensor.MustView[float32](folded.Initializers[matW]))

	// The node list: one conv, one matmul, the activation pairs' float ops
	// (the same as in the unfolded graph), nothing else.
	unfolded := qdqImport(t, qdqModel(t, true))
	count := func(a *runtime.Artifact) map[string]int {
		m := map[string]int{}
		for _, n := range a.Nodes {
			m[n.Op]++
		}
		return m
	}
	fc, uc := count(folded), count(unfolded)
	require.Equal(t, 1, fc["conv"])
	require.Equal(t, 1, fc["matmul"])
	require.Less(t, len(folded.Nodes), len(unfolded.Nodes), "the weights' dequantization is gone")
	for op, k := range fc {
		require.LessOrEqual(t, k, uc[op], "op %s", op)
	}
	ops := slices.Sorted(func(yield func(string) bool) {
		for op := range fc {
			if !yield(op) {
				return
			}
		}
	})
	t.Logf("folded graph: %d nodes, ops %v", len(folded.Nodes), ops)

	// Same results as ref on the unfolded graph, which dequantizes the
	// weights fed as inputs at run time.
	x, err := tensor.Rand(tensor.Float32, 7, -4, 4, 1, 2, 5, 5)
	require.NoError(t, err)
	v, err := tensor.Rand(tensor.Float32, 8, -4, 4, 2, 4)
	require.NoError(t, err)
	got := qdqRunRef(t, folded, x, v)
	want := qdqRunRef(t, unfolded, x, v, w, wm)
	for i := range want {
		require.Equal(t, want[i].Shape(), got[i].Shape())
		require.Equal(t, tensor.MustView[float32](want[i]), tensor.MustView[float32](got[i]), "output %d", i)
	}
}

// TestQDQLargeWeightFolds: a dequantized weight beyond foldLimit elements
// folds too (its size is the file's own), so matmul reads a float32
// initializer.
func TestQDQLargeWeightFolds(t *testing.T) {
	const k = 2049 // k·k > foldLimit
	require.Greater(t, k*k, foldLimit)
	wv := make([]int8, k*k)
	for i := range wv {
		wv[i] = int8(i%7 - 3)
	}
	m := model(13, []onnxpb.Node{
		node("DequantizeLinear", []string{"w", "s"}, []string{"wd"}),
		node("MatMul", []string{"x", "wd"}, []string{"y"}),
	}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, k)}, []onnxpb.ValueInfo{tout("y")},
		initializer(t, "w", tensor.MustFromSlice(wv, k, k)), initializer(t, "s", tensor.Scalar(float32(0.5))))
	a := qdqImport(t, m)
	require.Len(t, a.Nodes, 1)
	require.Equal(t, "matmul", a.Nodes[0].Op)
	w := a.Initializers[a.Nodes[0].Inputs[1]]
	require.NotNil(t, w)
	require.Equal(t, tensor.Float32, w.DType())
	require.Equal(t, float32(-1.5), tensor.MustView[float32](w)[0]) // (0 % 7 − 3)·0.5
}
