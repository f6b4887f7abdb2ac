package onnx_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	_ "github.com/backplane-ml/backplane/backends/xla" // gomlx
	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Models as PyTorch and Hugging Face export them: every shape depends on
// input sizes decided at run time. Each imports with no Dims as a template
// and runs at three input sizes on ref and gomlx, matching an independent
// computation (plain Go, or a mathematical identity) and ONNX Runtime
// where its library is available (make ort, or BACKPLANE_ORT_LIB).

var dynTol = tensor.Tolerance{RTol: 1e-4, ATol: 1e-5}

// --- ONNX building helpers -------------------------------------------------

func dynIn(name string, d onnxpb.DataType, dims ...any) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, x := range dims {
		switch x := x.(type) {
		case int:
			s.Dims = append(s.Dims, onnxpb.Dim{Value: int64(x), HasValue: true})
		case string:
			s.Dims = append(s.Dims, onnxpb.Dim{Param: x})
		}
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: d, Shape: s}}}
}

func dynNode(op string, in []string, out string, attrs ...onnxpb.Attribute) onnxpb.Node {
	return onnxpb.Node{Name: out + "_" + op, OpType: op, Inputs: in, Outputs: []string{out}, Attributes: attrs}
}

func dynInit(t *testing.T, name string, v *tensor.Tensor) onnxpb.Tensor {
	p, err := onnxpb.FromTensor(name, v)
	require.NoError(t, err)
	return *p
}

func dynRand(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((r.Float64()*2 - 1) * scale)
	}
	return v
}

func dynModel(t *testing.T, nodes []onnxpb.Node, in, out []onnxpb.ValueInfo, inits ...onnxpb.Tensor) []byte {
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []onnxpb.OpsetID{{Version: 17}},
		Graph: &onnxpb.Graph{Name: "dyn", Nodes: nodes, Inputs: in, Outputs: out, Initializers: inits}}
	data, err := onnxpb.EncodeModel(m)
	require.NoError(t, err)
	return data
}

// dynRunner runs one ONNX model on ref, gomlx and (when available) ORT.
type dynRunner struct {
	models map[string]*runtime.Model
	ort    *ortpeer.Session
}

func newDynRunner(t *testing.T, data []byte) *dynRunner {
	art, err := onnx.Import(data, onnx.Options{Name: t.Name()})
	require.NoError(t, err)
	require.True(t, art.IsTemplate(), "shapes that depend on input sizes make a template")
	r := &dynRunner{models: map[string]*runtime.Model{}}
	for _, b := range []string{"ref", "gomlx"} {
		rt, err := runtime.New(runtime.WithBackends(b))
		require.NoError(t, err)
		t.Cleanup(func() { rt.Close() })
		m, err := rt.Load(context.Background(), art)
		require.NoError(t, err)
		r.models[b] = m
	}
	if ortpeer.Available() == nil {
		s, err := ortpeer.Load(data, ortpeer.Options{Name: t.Name(), IntraOpThreads: 1})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		r.ort = s
	}
	return r
}

// run runs inputs everywhere; every result must match want (computed
// independently) and ref; it returns ref's outputs.
func (r *dynRunner) run(t *testing.T, want []*tensor.Tensor, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	got, err := r.models["ref"].Run(context.Background(), inputs...)
	require.NoError(t, err)
	for i, w := range want {
		if w != nil {
			cmp := tensor.Compare(got[i], w, dynTol)
			require.True(t, cmp.Equal, "ref vs independent computation, output %d: %v", i, cmp)
		}
	}
	g, err := r.models["gomlx"].Run(context.Background(), inputs...)
	require.NoError(t, err)
	for i := range got {
		cmp := tensor.Compare(g[i], got[i], dynTol)
		require.True(t, cmp.Equal, "gomlx vs ref, output %d: %v", i, cmp)
	}
	if r.ort != nil {
		o, err := r.ort.Run(inputs)
		require.NoError(t, err)
		for i := range got {
			cmp := tensor.Compare(o[i], got[i], dynTol)
			require.True(t, cmp.Equal, "ONNX Runtime vs ref, output %d: %v", i, cmp)
		}
	} else {
		t.Log("ONNX Runtime not available (make ort): compared with ref and an independent computation only")
	}
	return got
}

func (r *dynRunner) requireSpecializations(t *testing.T, misses int64) {
	t.Helper()
	for b, m := range r.models {
		sp, ok := m.Specializations()
		require.True(t, ok)
		require.Equal(t, misses, sp.Misses, b)
	}
}

// --- x.view(x.size(0), -1) then a linear layer ------------------------------

func TestDynamicTorchView(t *testing.T) {
	const c, h, w, k = 3, 4, 4, 5
	r := rand.New(rand.NewPCG(1, 2))
	wt := dynRand(r, c*h*w*k, 0.3)
	bias := dynRand(r, k, 0.3)
	data := dynModel(t, []onnxpb.Node{
		dynNode("Shape", []string{"x"}, "shape"),
		dynNode("Gather", []string{"shape", "zero"}, "n", onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: 0}),
		dynNode("Unsqueeze", []string{"n", "axes0"}, "n1"),
		dynNode("Concat", []string{"n1", "minus1"}, "target", onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: 0}),
		dynNode("Reshape", []string{"x", "target"}, "flat"),
		dynNode("Gemm", []string{"flat", "w", "b"}, "y"),
	}, []onnxpb.ValueInfo{dynIn("x", onnxpb.Float, "batch", c, h, w)}, []onnxpb.ValueInfo{dynIn("y", onnxpb.Float, "batch", k)},
		dynInit(t, "zero", tensor.Scalar(int64(0))),
		dynInit(t, "axes0", tensor.MustFromSlice([]int64{0}, 1)),
		dynInit(t, "minus1", tensor.MustFromSlice([]int64{-1}, 1)),
		dynInit(t, "w", tensor.MustFromSlice(wt, c*h*w, k)),
		dynInit(t, "b", tensor.MustFromSlice(bias, k)))
	run := newDynRunner(t, data)
	m := run.models["ref"]
	require.Equal(t, "[batch 3 4 4]", dimsString(m.Inputs()[0].Dims), "input infos before any run")
	require.Equal(t, "[batch 5]", dimsString(m.Outputs()[0].Dims))

	for _, n := range []int{1, 3, 8} {
		x := dynRand(r, n*c*h*w, 1)
		// y[i] = x[i, :] · W + b, by plain loops.
		want := make([]float32, n*k)
		for i := range n {
			for j := range k {
				s := float64(bias[j])
				for p := range c * h * w {
					s += float64(x[i*c*h*w+p]) * float64(wt[p*k+j])
				}
				want[i*k+j] = float32(s)
			}
		}
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice(want, n, k)}, tensor.MustFromSlice(x, n, c, h, w))
	}
	run.requireSpecializations(t, 3)
	// The same size again is served by the loaded specialization.
	run.run(t, nil, tensor.MustFromSlice(dynRand(r, 3*c*h*w, 1), 3, c, h, w))
	run.requireSpecializations(t, 3)
}

func dimsString(d []runtime.Dim) string {
	s := "["
	for i, x := range d {
		if i > 0 {
			s += " "
		}
		s += x.String()
	}
	return s + "]"
}

// --- a BERT-style encoder layer: dynamic batch and sequence -----------------

// bertModel: token and position embeddings (the position table sliced to the
// sequence length, as Hugging Face exports position_ids[:, :seq]), layer
// norm, one attention head whose padding mask is broadcast with
// Shape -> Expand and applied with Where, and a residual connection.
func bertModel(t *testing.T, r *rand.Rand) []byte {
	const vocab, maxPos, d = 12, 16, 8
	scale := tensor.Scalar(float32(1 / math.Sqrt(d)))
	return dynModel(t, []onnxpb.Node{
		dynNode("Gather", []string{"tok_emb", "input_ids"}, "tok"),
		dynNode("Shape", []string{"input_ids"}, "ids_shape"),
		dynNode("Gather", []string{"ids_shape", "one"}, "seq", onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: 0}),
		dynNode("Unsqueeze", []string{"seq", "axes0"}, "seq1"),
		dynNode("Slice", []string{"pos_emb", "zero1", "seq1", "axes0"}, "pos"),
		dynNode("Add", []string{"tok", "pos"}, "emb"),
		dynNode("LayerNormalization", []string{"emb", "ln_g", "ln_b"}, "h", onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: -1}),
		dynNode("MatMul", []string{"h", "wq"}, "q"),
		dynNode("MatMul", []string{"h", "wk"}, "k"),
		dynNode("MatMul", []string{"h", "wv"}, "v"),
		dynNode("Transpose", []string{"k"}, "kt", onnxpb.Attribute{Name: "perm", Type: onnxpb.AttrInts, Ints: []int64{0, 2, 1}}),
		dynNode("MatMul", []string{"q", "kt"}, "qk"),
		dynNode("Mul", []string{"qk", "scale"}, "scores"),
		dynNode("Unsqueeze", []string{"attention_mask", "axes1"}, "mask3"),
		dynNode("Equal", []string{"mask3", "zero_i"}, "masked"),
		dynNode("Shape", []string{"scores"}, "scores_shape"),
		dynNode("Expand", []string{"masked", "scores_shape"}, "masked_full"),
		dynNode("Where", []string{"masked_full", "neg", "scores"}, "scores_masked"),
		dynNode("Softmax", []string{"scores_masked"}, "p", onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: -1}),
		dynNode("MatMul", []string{"p", "v"}, "ctx"),
		dynNode("Add", []string{"h", "ctx"}, "out"),
	}, []onnxpb.ValueInfo{dynIn("input_ids", onnxpb.Int64, "batch", "sequence"), dynIn("attention_mask", onnxpb.Int64, "batch", "sequence")},
		[]onnxpb.ValueInfo{dynIn("out", onnxpb.Float, "batch", "sequence", d)},
		dynInit(t, "tok_emb", tensor.MustFromSlice(dynRand(r, vocab*d, 1), vocab, d)),
		dynInit(t, "pos_emb", tensor.MustFromSlice(dynRand(r, maxPos*d, 1), maxPos, d)),
		dynInit(t, "ln_g", tensor.MustFromSlice(dynRand(r, d, 1), d)),
		dynInit(t, "ln_b", tensor.MustFromSlice(dynRand(r, d, 1), d)),
		dynInit(t, "wq", tensor.MustFromSlice(dynRand(r, d*d, 0.5), d, d)),
		dynInit(t, "wk", tensor.MustFromSlice(dynRand(r, d*d, 0.5), d, d)),
		dynInit(t, "wv", tensor.MustFromSlice(dynRand(r, d*d, 0.5), d, d)),
		dynInit(t, "scale", scale),
		dynInit(t, "neg", tensor.Scalar(float32(-1e9))),
		dynInit(t, "one", tensor.Scalar(int64(1))),
		dynInit(t, "zero_i", tensor.Scalar(int64(0))),
		dynInit(t, "zero1", tensor.MustFromSlice([]int64{0}, 1)),
		dynInit(t, "axes0", tensor.MustFromSlice([]int64{0}, 1)),
		dynInit(t, "axes1", tensor.MustFromSlice([]int64{1}, 1)))
}

func TestDynamicBERTEncoder(t *testing.T) {
	const vocab, d = 12, 8
	r := rand.New(rand.NewPCG(3, 4))
	run := newDynRunner(t, bertModel(t, r))
	require.Equal(t, "[batch sequence 8]", dimsString(run.models["ref"].Outputs()[0].Dims))

	ids := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(r.IntN(vocab))
		}
		return v
	}
	ones := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	// The identity checked: a sequence's outputs do not depend on the other
	// sequences of its batch nor on padding after it (masked keys get
	// weight exp(-1e9) = 0), so the first k outputs of a padded row equal
	// the outputs of the unpadded sequence run alone.
	for _, size := range []struct{ batch, seq, k int }{{1, 6, 4}, {2, 7, 5}, {3, 12, 9}} {
		alone := ids(size.k)
		single := run.run(t, nil, tensor.MustFromSlice(alone, 1, size.k), tensor.MustFromSlice(ones(size.k), 1, size.k))[0]
		want := tensor.MustView[float32](single)

		batchIDs := ids(size.batch * size.seq)
		mask := ones(size.batch * size.seq)
		last := (size.batch - 1) * size.seq // the last row holds the short sequence, padded
		copy(batchIDs[last:], alone)
		for j := size.k; j < size.seq; j++ {
			mask[last+j] = 0
		}
		out := run.run(t, nil, tensor.MustFromSlice(batchIDs, size.batch, size.seq), tensor.MustFromSlice(mask, size.batch, size.seq))[0]
		require.Equal(t, tensor.Shape{size.batch, size.seq, d}, out.Shape())
		got := tensor.MustView[float32](out)[last*d : (last+size.k)*d]
		cmp := tensor.Compare(tensor.MustFromSlice(got, size.k, d), tensor.MustFromSlice(want, size.k, d), dynTol)
		require.True(t, cmp.Equal, "batch %d seq %d: padded row vs the sequence alone: %v", size.batch, size.seq, cmp)
	}
	run.requireSpecializations(t, 6)
}

// --- a CNN with symbolic height and width ------------------------------------

func TestDynamicCNNSymbolicHW(t *testing.T) {
	const cin, c1, c2 = 3, 4, 2
	r := rand.New(rand.NewPCG(5, 6))
	w1 := dynRand(r, c1*cin*3*3, 0.5)
	b1 := dynRand(r, c1, 0.5)
	w2 := dynRand(r, c2*c1, 0.5)
	b2 := dynRand(r, c2, 0.5)
	data := dynModel(t, []onnxpb.Node{
		dynNode("Conv", []string{"x", "w1", "b1"}, "c1", onnxpb.Attribute{Name: "pads", Type: onnxpb.AttrInts, Ints: []int64{1, 1, 1, 1}},
			onnxpb.Attribute{Name: "kernel_shape", Type: onnxpb.AttrInts, Ints: []int64{3, 3}}),
		dynNode("Relu", []string{"c1"}, "r1"),
		dynNode("MaxPool", []string{"r1"}, "p1", onnxpb.Attribute{Name: "kernel_shape", Type: onnxpb.AttrInts, Ints: []int64{2, 2}},
			onnxpb.Attribute{Name: "strides", Type: onnxpb.AttrInts, Ints: []int64{2, 2}}),
		dynNode("Conv", []string{"p1", "w2", "b2"}, "c2", onnxpb.Attribute{Name: "kernel_shape", Type: onnxpb.AttrInts, Ints: []int64{1, 1}}),
		dynNode("GlobalAveragePool", []string{"c2"}, "g"),
		dynNode("Flatten", []string{"g"}, "y"),
	}, []onnxpb.ValueInfo{dynIn("x", onnxpb.Float, "N", cin, "H", "W")}, []onnxpb.ValueInfo{dynIn("y", onnxpb.Float, "N", c2)},
		dynInit(t, "w1", tensor.MustFromSlice(w1, c1, cin, 3, 3)),
		dynInit(t, "b1", tensor.MustFromSlice(b1, c1)),
		dynInit(t, "w2", tensor.MustFromSlice(w2, c2, c1, 1, 1)),
		dynInit(t, "b2", tensor.MustFromSlice(b2, c2)))
	run := newDynRunner(t, data)
	require.Equal(t, "[N 3 H W]", dimsString(run.models["ref"].Inputs()[0].Dims))

	for _, s := range []struct{ n, h, w int }{{1, 8, 8}, {2, 12, 16}, {1, 9, 13}} {
		x := dynRand(r, s.n*cin*s.h*s.w, 1)
		want := cnnByHand(x, s.n, s.h, s.w, w1, b1, w2, b2)
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice(want, s.n, c2)}, tensor.MustFromSlice(x, s.n, cin, s.h, s.w))
	}
	run.requireSpecializations(t, 3)
}

// cnnByHand computes the CNN with plain loops: 3×3 conv (pad 1) + bias,
// relu, 2×2 max pool (stride 2, floor), 1×1 conv + bias, global average.
func cnnByHand(x []float32, n, h, w int, w1, b1, w2, b2 []float32) []float32 {
	const cin, c1, c2 = 3, 4, 2
	at := func(b, c, i, j int) float64 {
		if i < 0 || j < 0 || i >= h || j >= w {
			return 0
		}
		return float64(x[((b*cin+c)*h+i)*w+j])
	}
	ph, pw := h/2, w/2
	out := make([]float32, n*c2)
	for b := range n {
		conv := make([]float64, c1*h*w)
		for o := range c1 {
			for i := range h {
				for j := range w {
					s := float64(b1[o])
					for c := range cin {
						for di := range 3 {
							for dj := range 3 {
								s += at(b, c, i+di-1, j+dj-1) * float64(w1[((o*cin+c)*3+di)*3+dj])
							}
						}
					}
					conv[(o*h+i)*w+j] = math.Max(s, 0)
				}
			}
		}
		for o := range c2 {
			sum := 0.0
			for i := range ph {
				for j := range pw {
					s := float64(b2[o])
					for c := range c1 {
						m := math.Inf(-1)
						for di := range 2 {
							for dj := range 2 {
								m = math.Max(m, conv[(c*h+2*i+di)*w+2*j+dj])
							}
						}
						s += m * float64(w2[o*c1+c])
					}
					sum += s
				}
			}
			out[b*c2+o] = float32(sum / float64(ph*pw))
		}
	}
	return out
}

// A template survives the artifact file format (version 2 carries the kept
// graph) and export (the ONNX graph is written back with its weights).
func TestDynamicTemplateSavesAndExports(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	data := bertModel(t, r)
	art, err := onnx.Import(data, onnx.Options{Name: "bert"})
	require.NoError(t, err)
	require.True(t, art.IsTemplate())
	require.Contains(t, art.Metadata["onnx_specialized"], "Shape of")

	ids := tensor.MustFromSlice([]int64{1, 5, 7, 2, 9, 3}, 2, 3)
	mask := tensor.MustFromSlice([]int64{1, 1, 1, 1, 1, 0}, 2, 3)
	want, err := runtime.Run(context.Background(), art, ids, mask)
	require.NoError(t, err)

	saved, err := art.MarshalBinary()
	require.NoError(t, err)
	loaded, err := runtime.UnmarshalArtifact(saved)
	require.NoError(t, err)
	require.True(t, loaded.IsTemplate())
	got, err := runtime.Run(context.Background(), loaded, ids, mask)
	require.NoError(t, err)
	requireSame(t, got[0], want[0])

	exported, err := onnx.Export(art, onnx.ExportOptions{})
	require.NoError(t, err)
	again, err := onnx.Import(exported, onnx.Options{Name: "bert-again"})
	require.NoError(t, err)
	got, err = runtime.Run(context.Background(), again, ids, mask)
	require.NoError(t, err)
	requireSame(t, got[0], want[0])
}

func requireSame(t *testing.T, got, want *tensor.Tensor) {
	t.Helper()
	cmp := tensor.Compare(got, want, tensor.Tolerance{})
	require.True(t, cmp.Equal, "%v", cmp)
}

// --- shapes computed from data: the prefix runs first --------------------------

// A Reshape whose row count is the sum of a float mask: a value computed
// from data decides the shape, so each run first runs the graph up to it
// (a probe), then the rest is specialized on the value it produced.
func TestDynamicShapeFromData(t *testing.T) {
	data := dynModel(t, []onnxpb.Node{
		dynNode("ReduceSum", []string{"mask", "axes0"}, "rows_f", onnxpb.Attribute{Name: "keepdims", Type: onnxpb.AttrInt, I: 1}),
		dynNode("Cast", []string{"rows_f"}, "rows", onnxpb.Attribute{Name: "to", Type: onnxpb.AttrInt, I: int64(onnxpb.Int64)}),
		dynNode("Concat", []string{"rows", "minus1"}, "target", onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: 0}),
		dynNode("Reshape", []string{"x", "target"}, "y"),
	}, []onnxpb.ValueInfo{dynIn("x", onnxpb.Float, 6), dynIn("mask", onnxpb.Float, 4)},
		[]onnxpb.ValueInfo{dynIn("y", onnxpb.Float, "r", "c")},
		dynInit(t, "axes0", tensor.MustFromSlice([]int64{0}, 1)),
		dynInit(t, "minus1", tensor.MustFromSlice([]int64{-1}, 1)))
	run := newDynRunner(t, data)
	x := []float32{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		mask       []float32
		rows, cols int
	}{{[]float32{1, 1, 0, 0}, 2, 3}, {[]float32{1, 0, 1, 1}, 3, 2}, {[]float32{0, 1, 1, 0}, 2, 3}} {
		want := tensor.MustFromSlice(x, tc.rows, tc.cols) // a reshape keeps the order
		run.run(t, []*tensor.Tensor{want}, tensor.MustFromSlice(x, 6), tensor.MustFromSlice(tc.mask, 4))
	}
	// Two distinct row counts: two specializations, the third run reuses one.
	run.requireSpecializations(t, 2)
	for b, m := range run.models {
		sp, _ := m.Specializations()
		// Lookups per run: the probe (made once, then found), then "is
		// another needed?" for the row count it produced (asked once per
		// distinct count).
		require.Equal(t, int64(1+2), sp.ProbeMisses, b)
		require.Equal(t, int64(2+1), sp.ProbeHits, b)
	}
}

// NonZero's output size is its input's count of nonzero elements.
func TestDynamicNonZero(t *testing.T) {
	data := dynModel(t, []onnxpb.Node{
		dynNode("NonZero", []string{"x"}, "nz"),
		dynNode("Shape", []string{"nz"}, "nz_shape"),
	}, []onnxpb.ValueInfo{dynIn("x", onnxpb.Float, 2, 5)},
		[]onnxpb.ValueInfo{dynIn("nz", onnxpb.Int64, 2, "n"), dynIn("nz_shape", onnxpb.Int64, 2)})
	run := newDynRunner(t, data)
	// Nonzeros of [[0 3 0 0 1] [2 0 0 0 0]]: (0,1), (0,4), (1,0), by hand.
	x := tensor.MustFromSlice([]float32{0, 3, 0, 0, 1, 2, 0, 0, 0, 0}, 2, 5)
	run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]int64{0, 0, 1, 1, 4, 0}, 2, 3), tensor.MustFromSlice([]int64{2, 3}, 2)}, x)
	none, err := tensor.New(tensor.Float32, 2, 5)
	require.NoError(t, err)
	run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]int64{}, 2, 0), tensor.MustFromSlice([]int64{2, 0}, 2)}, none)
}
