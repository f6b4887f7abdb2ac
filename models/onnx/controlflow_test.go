package onnx

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func aGraph(name string, g *onnxpb.Graph) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrGraph, G: g}
}

// ifModel: y = If(cond, then: x + 1, else: x · 2), cond given by condInput
// (a graph input) or folded from the constant c.
func ifModel(t *testing.T, condInput bool) *onnxpb.Model {
	one := initializer(t, "one", tensor.MustFromSlice([]float32{1}, 1))
	two := initializer(t, "two", tensor.MustFromSlice([]float32{2}, 1))
	then := &onnxpb.Graph{Name: "then", Nodes: []onnxpb.Node{node("Add", []string{"x", "one"}, []string{"t"})}, Outputs: []onnxpb.ValueInfo{tout("t")}}
	els := &onnxpb.Graph{Name: "else", Nodes: []onnxpb.Node{node("Mul", []string{"x", "two"}, []string{"e"})}, Outputs: []onnxpb.ValueInfo{tout("e")}}
	ifNode := node("If", []string{"cond"}, []string{"y"}, aGraph("then_branch", then), aGraph("else_branch", els))
	inputs := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 3)}
	inits := []onnxpb.Tensor{one, two}
	if condInput {
		inputs = append(inputs, tin("cond", onnxpb.Bool))
	} else {
		inits = append(inits, initializer(t, "cond", tensor.Scalar(false)))
	}
	return model(13, []onnxpb.Node{ifNode}, inputs, []onnxpb.ValueInfo{tout("y")}, inits...)
}

func TestIfFolded(t *testing.T) {
	x := tensor.MustFromSlice([]float32{1, 2, 3}, 3)
	out := runModel(t, ifModel(t, false), x)
	var (
		art *runtime.Artifact
		err error
	)
	requireClose(t, out[0], tensor.MustFromSlice([]float32{2, 4, 6}, 3)) // else: x·2

	// A condition given as an input: a template, one specialization per value.
	art, err = ImportModel(ifModel(t, true), Options{Name: "if"})
	require.NoError(t, err)
	require.True(t, art.IsTemplate())
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), art)
	require.NoError(t, err)
	for _, tc := range []struct {
		cond bool
		want []float32
	}{{true, []float32{2, 3, 4}}, {false, []float32{2, 4, 6}}, {true, []float32{2, 3, 4}}} {
		out, err := m.Run(context.Background(), x, tensor.Scalar(tc.cond))
		require.NoError(t, err)
		requireClose(t, out[0], tensor.MustFromSlice(tc.want, 3))
	}
	sp, _ := m.Specializations()
	require.Equal(t, int64(1), sp.Hits)

	// A condition computed from data is refused, naming the If.
	data := ifModel(t, false)
	data.Graph.Initializers = data.Graph.Initializers[:2]
	data.Graph.Inputs = append(data.Graph.Inputs, tin("big", onnxpb.Float, 100))
	data.Graph.Nodes = append([]onnxpb.Node{node("ReduceMax", []string{"big"}, []string{"m"}, aInt("keepdims", 0)),
		node("Greater", []string{"m", "one0"}, []string{"cond"})}, data.Graph.Nodes...)
	data.Graph.Initializers = append(data.Graph.Initializers, initializer(t, "one0", tensor.Scalar(float32(0))))
	// A condition computed from data: both branches run, where selects.
	big := make([]float32, 100)
	big[7] = -1 // max 0: not > 0, else branch
	out, err = runModelErr(t, data, x, tensor.MustFromSlice(big, 100))
	require.NoError(t, err)
	requireClose(t, out[0], tensor.MustFromSlice([]float32{2, 4, 6}, 3))
	big[7] = 5 // then branch
	out, err = runModelErr(t, data, x, tensor.MustFromSlice(big, 100))
	require.NoError(t, err)
	requireClose(t, out[0], tensor.MustFromSlice([]float32{2, 3, 4}, 3))

	// Branches of different shapes cannot be selected after the fact.
	data.Graph.Nodes[2].Attributes[1].G.Nodes = []onnxpb.Node{node("Concat", []string{"x", "x"}, []string{"e"}, aInt("axis", 0))}
	e := importErr(t, data)
	require.ErrorIs(t, e, ErrUnsupported)
	require.Equal(t, "If", e.OpType)
	require.Contains(t, e.Error(), "cannot be chosen after computing both")
	require.Contains(t, e.Error(), "control flow decided by data is not supported")
}

func runModelErr(t *testing.T, m *onnxpb.Model, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	art, err := ImportModel(m, Options{Name: t.Name()})
	if err != nil {
		return nil, err
	}
	return runtime.Run(context.Background(), art, inputs...)
}

// TestLoopUnrolled: a running sum and the sums per iteration, by hand.
func TestLoopUnrolled(t *testing.T) {
	// body(i, cond, acc) -> (cond, acc + x·i, acc + x·i as a scan output)
	body := &onnxpb.Graph{Name: "body",
		Inputs: []onnxpb.ValueInfo{tin("i", onnxpb.Int64), tin("c", onnxpb.Bool), tin("acc", onnxpb.Float, 2)},
		Nodes: []onnxpb.Node{
			node("Cast", []string{"i"}, []string{"fi"}, aInt("to", int64(onnxpb.Float))),
			node("Mul", []string{"x", "fi"}, []string{"xi"}),
			node("Add", []string{"acc", "xi"}, []string{"acc2"}),
			node("Identity", []string{"c"}, []string{"c2"}),
			node("Identity", []string{"acc2"}, []string{"scan"}),
		},
		Outputs: []onnxpb.ValueInfo{tout("c2"), tout("acc2"), tout("scan")}}
	m := model(13, []onnxpb.Node{node("Loop", []string{"trips", "", "init"}, []string{"final", "all"}, aGraph("body", body))},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2)}, []onnxpb.ValueInfo{tout("final"), tout("all")},
		initializer(t, "trips", tensor.Scalar(int64(3))),
		initializer(t, "init", tensor.MustFromSlice([]float32{10, 20}, 2)))
	out := runModel(t, m, tensor.MustFromSlice([]float32{1, 2}, 2))
	// acc after i = 0, 1, 2: [10 20], [11 22], [13 26].
	requireClose(t, out[0], tensor.MustFromSlice([]float32{13, 26}, 2))
	requireClose(t, out[1], tensor.MustFromSlice([]float32{10, 20, 11, 22, 13, 26}, 3, 2))
}

// TestScanUnrolled: a cumulative sum over axis 0, forwards and reversed.
func TestScanUnrolled(t *testing.T) {
	body := &onnxpb.Graph{Name: "body",
		Inputs: []onnxpb.ValueInfo{tin("s", onnxpb.Float, 2), tin("row", onnxpb.Float, 2)},
		Nodes: []onnxpb.Node{
			node("Add", []string{"s", "row"}, []string{"s2"}),
			node("Identity", []string{"s2"}, []string{"out"}),
		},
		Outputs: []onnxpb.ValueInfo{tout("s2"), tout("out")}}
	for _, tc := range []struct {
		dir        int64
		sum, stack []float32
	}{
		{0, []float32{9, 12}, []float32{1, 2, 4, 6, 9, 12}},
		// Rows taken last first; outputs appended in iteration order.
		{1, []float32{9, 12}, []float32{5, 6, 8, 10, 9, 12}},
	} {
		m := model(11, []onnxpb.Node{node("Scan", []string{"s0", "xs"}, []string{"sum", "cums"}, aGraph("body", body),
			aInt("num_scan_inputs", 1), aInts("scan_input_directions", tc.dir))},
			[]onnxpb.ValueInfo{tin("xs", onnxpb.Float, 3, 2)}, []onnxpb.ValueInfo{tout("sum"), tout("cums")},
			initializer(t, "s0", tensor.MustFromSlice([]float32{0, 0}, 2)))
		out := runModel(t, m, tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2))
		requireClose(t, out[0], tensor.MustFromSlice(tc.sum, 2))
		requireClose(t, out[1], tensor.MustFromSlice(tc.stack, 3, 2))
	}
}

// TestScan8PerBatch: Scan-8 carries a batch axis; each batch element is
// scanned on its own (a running sum, by hand).
func TestScan8PerBatch(t *testing.T) {
	body := &onnxpb.Graph{Name: "body",
		Inputs: []onnxpb.ValueInfo{tin("s", onnxpb.Float, 1), tin("v", onnxpb.Float, 1)},
		Nodes: []onnxpb.Node{
			node("Add", []string{"s", "v"}, []string{"s2"}),
			node("Identity", []string{"s2"}, []string{"out"}),
		},
		Outputs: []onnxpb.ValueInfo{tout("s2"), tout("out")}}
	m := model(8, []onnxpb.Node{node("Scan", []string{"", "s0", "xs"}, []string{"sum", "cums"}, aGraph("body", body),
		aInt("num_scan_inputs", 1))},
		[]onnxpb.ValueInfo{tin("xs", onnxpb.Float, 2, 3, 1)}, []onnxpb.ValueInfo{tout("sum"), tout("cums")},
		initializer(t, "s0", tensor.MustFromSlice([]float32{0, 100}, 2, 1)))
	out := runModel(t, m, tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3, 1))
	requireClose(t, out[0], tensor.MustFromSlice([]float32{6, 115}, 2, 1))
	requireClose(t, out[1], tensor.MustFromSlice([]float32{1, 3, 6, 104, 109, 115}, 2, 3, 1))
}

// Nested loops multiply: the importer's budget of body copies stops a
// hostile model before it allocates without bound.
func TestNestedLoopBudget(t *testing.T) {
	inner := &onnxpb.Graph{Name: "inner",
		Inputs:  []onnxpb.ValueInfo{tin("j", onnxpb.Int64), tin("c", onnxpb.Bool), tin("a", onnxpb.Float, 1)},
		Nodes:   []onnxpb.Node{node("Identity", []string{"c"}, []string{"c2"}), node("Neg", []string{"a"}, []string{"a2"})},
		Outputs: []onnxpb.ValueInfo{tout("c2"), tout("a2")}}
	outer := &onnxpb.Graph{Name: "outer",
		Inputs: []onnxpb.ValueInfo{tin("i", onnxpb.Int64), tin("c", onnxpb.Bool), tin("a", onnxpb.Float, 1)},
		Nodes: []onnxpb.Node{node("Identity", []string{"c"}, []string{"c2"}),
			node("Loop", []string{"big", "", "a"}, []string{"a2"}, aGraph("body", inner))},
		Outputs: []onnxpb.ValueInfo{tout("c2"), tout("a2")}}
	m := model(13, []onnxpb.Node{node("Loop", []string{"big", "", "x"}, []string{"y"}, aGraph("body", outer))},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1)}, []onnxpb.ValueInfo{tout("y")},
		initializer(t, "big", tensor.Scalar(int64(30000))))
	e := importErr(t, m)
	require.ErrorIs(t, e, ErrUnsupported)
	require.Contains(t, e.Error(), "more than 16384 times")
}
