package onnx

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Structural checks of exported models, read back with onnxpb.DecodeModel:
// the header, declared types and dims, initializers, and how each catalog
// op's attributes land in ONNX at the different opsets. Expected values are
// written out from the ONNX spec, not taken from the exporter.

func exportDecode(t *testing.T, a *runtime.Artifact, opset int) *onnxpb.Model {
	t.Helper()
	data, err := Export(a, ExportOptions{Opset: opset})
	require.NoError(t, err)
	m, err := onnxpb.DecodeModel(data)
	require.NoError(t, err)
	return m
}

func exportOpTypes(m *onnxpb.Model) []string {
	var out []string
	for _, n := range m.Graph.Nodes {
		out = append(out, n.OpType)
	}
	return out
}

func exportDims(vi onnxpb.ValueInfo) []onnxpb.Dim { return vi.Type.Tensor.Shape.Dims }

func dimV(v int64) onnxpb.Dim      { return onnxpb.Dim{Value: v, HasValue: true} }
func dimP(p string) onnxpb.Dim     { return onnxpb.Dim{Param: p} }
func exportUnknownDim() onnxpb.Dim { return onnxpb.Dim{} }

// exportInit returns the initializer called name as a tensor.
func exportInit(t *testing.T, m *onnxpb.Model, name string) *tensor.Tensor {
	t.Helper()
	for i := range m.Graph.Initializers {
		if m.Graph.Initializers[i].Name == name {
			v, err := onnxpb.ToTensor(&m.Graph.Initializers[i], nil)
			require.NoError(t, err)
			return v
		}
	}
	require.Failf(t, "no initializer", "%q", name)
	return nil
}

// exportNodeInput returns input i of the only node of type opType as a constant.
func exportNodeInput(t *testing.T, m *onnxpb.Model, opType string, i int) *tensor.Tensor {
	t.Helper()
	for _, n := range m.Graph.Nodes {
		if n.OpType == opType {
			require.Greater(t, len(n.Inputs), i, "%s has no input %d", opType, i)
			return exportInit(t, m, n.Inputs[i])
		}
	}
	require.Failf(t, "no node", "%s", opType)
	return nil
}

func exportAttr(t *testing.T, m *onnxpb.Model, opType, name string) *onnxpb.Attribute {
	t.Helper()
	for _, n := range m.Graph.Nodes {
		if n.OpType != opType {
			continue
		}
		for i := range n.Attributes {
			if n.Attributes[i].Name == name {
				return &n.Attributes[i]
			}
		}
		return nil
	}
	require.Failf(t, "no node", "%s", opType)
	return nil
}

func TestExportMLPStructure(t *testing.T) {
	a, err := models.MLP(models.MLPConfig{Inputs: 16, Hidden: []int{32, 16}, Classes: 5, Seed: 1})
	require.NoError(t, err)
	for _, c := range []struct {
		opset int
		ir    int64
	}{{17, 8}, {18, 8}, {19, 9}, {20, 9}, {21, 10}, {22, 10}, {23, 11}, {24, 12}, {25, 13}, {26, 13}} {
		m := exportDecode(t, a, c.opset)
		require.Equal(t, c.ir, m.IRVersion)
		require.Equal(t, []onnxpb.OpsetID{{Domain: "", Version: int64(c.opset)}}, m.OpsetImports)
	}
	m := exportDecode(t, a, 0) // the default opset
	require.Equal(t, []onnxpb.OpsetID{{Domain: "", Version: 17}}, m.OpsetImports)
	require.Equal(t, "backplane", m.ProducerName)
	require.Equal(t, a.Name, m.Graph.Name)
	require.Equal(t, []onnxpb.StringPair{{Key: "family", Value: "mlp"}}, m.Metadata)

	require.Len(t, m.Graph.Inputs, 1)
	require.Equal(t, "x", m.Graph.Inputs[0].Name)
	require.Equal(t, onnxpb.Float, m.Graph.Inputs[0].Type.Tensor.ElemType)
	require.Equal(t, []onnxpb.Dim{dimP("batch"), dimV(16)}, exportDims(m.Graph.Inputs[0]))
	require.Len(t, m.Graph.Outputs, 1)
	require.Equal(t, "probs", m.Graph.Outputs[0].Name)
	require.Equal(t, onnxpb.Float, m.Graph.Outputs[0].Type.Tensor.ElemType)
	require.Equal(t, []onnxpb.Dim{dimP("batch"), dimV(5)}, exportDims(m.Graph.Outputs[0]))

	require.Equal(t, []string{"MatMul", "Add", "Relu", "MatMul", "Add", "Relu", "MatMul", "Add", "Softmax"}, exportOpTypes(m))
	require.Equal(t, &onnxpb.Attribute{Name: "axis", Type: onnxpb.AttrInt, I: -1}, exportAttr(t, m, "Softmax", "axis"))

	// Every weight is an initializer of the same name holding the same bits.
	var names []string
	for _, in := range m.Graph.Initializers {
		names = append(names, in.Name)
	}
	require.Equal(t, slices.Sorted(maps.Keys(a.Initializers)), names)
	for name, w := range a.Initializers {
		got := exportInit(t, m, name)
		require.Equal(t, w.DType(), got.DType(), name)
		require.Equal(t, w.Shape(), got.Shape(), name)
		require.Equal(t, w.Bytes(), got.Bytes(), name)
	}
}

func TestExportSmallCNNStructure(t *testing.T) {
	a, err := models.SmallCNN(models.SmallCNNConfig{Channels: 3, Size: 16, Classes: 4, Seed: 2})
	require.NoError(t, err)
	m := exportDecode(t, a, 17)
	require.Equal(t, []string{"Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "GlobalAveragePool",
		"Reshape", "MatMul", "Add", "Softmax"}, exportOpTypes(m))
	require.Equal(t, []onnxpb.Dim{dimP("batch"), dimV(3), dimV(16), dimV(16)}, exportDims(m.Graph.Inputs[0]))
	require.Equal(t, []onnxpb.Dim{dimP("batch"), dimV(4)}, exportDims(m.Graph.Outputs[0]))
	require.Equal(t, []int64{1, 1, 1, 1}, exportAttr(t, m, "Conv", "pads").Ints)
	require.Equal(t, []int64{2, 2}, exportAttr(t, m, "MaxPool", "kernel_shape").Ints)
	require.Equal(t, []int64{2, 2}, exportAttr(t, m, "MaxPool", "strides").Ints)
	// reshape [0, -1] becomes Reshape's int64 shape input, allowzero left at 0.
	require.Equal(t, []int64{0, -1}, exportNodeInput(t, m, "Reshape", 1).Int64s())
	require.Nil(t, exportAttr(t, m, "Reshape", "allowzero"))
}

// exportOneNode builds a one-node artifact over float32 inputs of the given
// dims (a string dim is symbolic).
func exportOneNode(t *testing.T, op string, attrs ops.Attrs, dims ...[]any) *runtime.Artifact {
	t.Helper()
	b := runtime.NewBuilder(op)
	var in []runtime.Value
	for i, ds := range dims {
		var rd []runtime.Dim
		for _, d := range ds {
			switch d := d.(type) {
			case int:
				rd = append(rd, runtime.Static(d))
			case string:
				rd = append(rd, runtime.Symbolic(d))
			}
		}
		in = append(in, b.Input(string(rune('a'+i)), tensor.Float32, rd...))
	}
	b.Output("y", b.NamedOp("n", op, 1, attrs, in...)[0])
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

// TestExportEncodings checks how attributes become ONNX inputs or attributes
// at the opsets where ONNX changed them.
func TestExportEncodings(t *testing.T) {
	for _, c := range []struct {
		name  string
		a     func(t *testing.T) *runtime.Artifact
		opset int
		check func(t *testing.T, m *onnxpb.Model)
	}{
		{"reduce_mean axes attribute before 18", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "reduce_mean", ops.Attrs{"axes": []int{1}, "keepdims": 0}, []any{2, 3})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []int64{1}, exportAttr(t, m, "ReduceMean", "axes").Ints)
			require.Equal(t, int64(0), exportAttr(t, m, "ReduceMean", "keepdims").I)
			require.Len(t, m.Graph.Nodes[0].Inputs, 1)
		}},
		{"reduce_mean axes input from 18", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "reduce_mean", ops.Attrs{"axes": []int{1}}, []any{2, 3})
		}, 18, func(t *testing.T, m *onnxpb.Model) {
			require.Nil(t, exportAttr(t, m, "ReduceMean", "axes"))
			require.Equal(t, []int64{1}, exportNodeInput(t, m, "ReduceMean", 1).Int64s())
		}},
		{"reduce_sum axes input at 17", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "reduce_sum", ops.Attrs{"axes": []int{-1}}, []any{2, 3})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []int64{-1}, exportNodeInput(t, m, "ReduceSum", 1).Int64s())
		}},
		{"reduce over every axis has no axes", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "reduce_max", nil, []any{2, 3})
		}, 21, func(t *testing.T, m *onnxpb.Model) {
			require.Len(t, m.Graph.Nodes[0].Inputs, 1)
			require.Nil(t, exportAttr(t, m, "ReduceMax", "noop_with_empty_axes"))
		}},
		{"gelu expands before 20", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "gelu", nil, []any{3})
		}, 19, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []string{"Mul", "Erf", "Add", "Mul", "Mul"}, exportOpTypes(m))
			// x·(1/√2) = x·0.70710677 in float32
			require.Equal(t, []float32{0.70710677}, tensor.MustView[float32](exportNodeInput(t, m, "Mul", 1)))
		}},
		{"gelu is Gelu from 20", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "gelu", ops.Attrs{"approximate": "tanh"}, []any{3})
		}, 20, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []string{"Gelu"}, exportOpTypes(m))
			require.Equal(t, "tanh", string(exportAttr(t, m, "Gelu", "approximate").S))
		}},
		{"slice bounds are int64 inputs", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "slice", ops.Attrs{"starts": []int{1}, "ends": []int{-1}, "steps": []int{2}}, []any{6})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			for i, want := range [][]int64{{1}, {-1}, {0}, {2}} { // axes written since steps are
				require.Equal(t, want, exportNodeInput(t, m, "Slice", i+1).Int64s(), "input %d", i+1)
			}
		}},
		{"pad reflect has no constant_value", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "pad", ops.Attrs{"pads": []int{1, 2}, "mode": "reflect"}, []any{4})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []int64{1, 2}, exportNodeInput(t, m, "Pad", 1).Int64s())
			require.Len(t, m.Graph.Nodes[0].Inputs, 2)
			require.Equal(t, "reflect", string(exportAttr(t, m, "Pad", "mode").S))
		}},
		{"clip bounds are scalars, infinite when absent", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "clip", ops.Attrs{"max": 6.0}, []any{3})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			lo, hi := exportNodeInput(t, m, "Clip", 1), exportNodeInput(t, m, "Clip", 2)
			require.Equal(t, tensor.Shape{}, lo.Shape())
			require.Equal(t, []float64{math.Inf(-1)}, lo.Float64s())
			require.Equal(t, []float64{6}, hi.Float64s())
		}},
		{"split num_outputs resolved on a static axis", func(t *testing.T) *runtime.Artifact {
			return exportOneNodeN(t, "split", ops.Attrs{"num_outputs": 3}, 3, []any{7})
		}, 18, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []int64{3, 3, 1}, exportNodeInput(t, m, "Split", 1).Int64s()) // ceil(7/3) = 3, 3, then 7−6
			require.Nil(t, exportAttr(t, m, "Split", "num_outputs"))
		}},
		{"split num_outputs kept on a symbolic axis from 18", func(t *testing.T) *runtime.Artifact {
			return exportOneNodeN(t, "split", ops.Attrs{"num_outputs": 2}, 2, []any{"n"})
		}, 18, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, int64(2), exportAttr(t, m, "Split", "num_outputs").I)
			require.Len(t, m.Graph.Nodes[0].Inputs, 1)
		}},
		{"split on a symbolic axis before 18 is equal pieces", func(t *testing.T) *runtime.Artifact {
			return exportOneNodeN(t, "split", ops.Attrs{"num_outputs": 2}, 2, []any{"n"})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Nil(t, exportAttr(t, m, "Split", "num_outputs"))
			require.Len(t, m.Graph.Nodes[0].Inputs, 1)
		}},
		{"conv auto_pad becomes explicit pads", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "conv", ops.Attrs{"auto_pad": "SAME_UPPER", "strides": []int{2}}, []any{"n", 1, 4}, []any{1, 1, 3})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			// out = ceil(4/2) = 2; total pad = (2−1)·2 + 3 − 4 = 1, the odd unit at the end
			require.Equal(t, []int64{0, 1}, exportAttr(t, m, "Conv", "pads").Ints)
			require.Nil(t, exportAttr(t, m, "Conv", "auto_pad"))
		}},
		{"conv auto_pad kept when the spatial dim is symbolic", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "conv", ops.Attrs{"auto_pad": "SAME_UPPER"}, []any{1, 1, "w"}, []any{1, 1, 3})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, "SAME_UPPER", string(exportAttr(t, m, "Conv", "auto_pad").S))
		}},
		{"avg_pool unit dilations dropped before 19", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "dilations": []int{1}}, []any{1, 1, 4})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Nil(t, exportAttr(t, m, "AveragePool", "dilations"))
		}},
		{"layer_norm float32 is LayerNormalization, scale widened", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "layer_norm", ops.Attrs{"epsilon": 0.5}, []any{"b", 4}, []any{1})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []string{"Expand", "LayerNormalization"}, exportOpTypes(m))
			require.Equal(t, []int64{4}, exportNodeInput(t, m, "Expand", 1).Int64s())
			require.Equal(t, float32(0.5), exportAttr(t, m, "LayerNormalization", "epsilon").F)
			require.Equal(t, "n", m.Graph.Nodes[1].Name, "the main op carries the catalog node's name")
		}},
		{"derived output dims are unknown, exact ones named", func(t *testing.T) *runtime.Artifact {
			return exportOneNode(t, "concat", ops.Attrs{"axis": 1}, []any{"b", "s"}, []any{"b", 2})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []onnxpb.Dim{dimP("b"), exportUnknownDim()}, exportDims(m.Graph.Outputs[0]))
		}},
		{"a graph that works only for particular sizes keeps no probed dim", func(t *testing.T) *runtime.Artifact {
			// reshape to [1, 4] works for n = 1 only: both probes fail, so
			// no dim of a node output may be declared from them.
			return exportOneNode(t, "reshape", ops.Attrs{"shape": []int{1, 4}}, []any{"n", 4})
		}, 17, func(t *testing.T, m *onnxpb.Model) {
			require.Equal(t, []onnxpb.Dim{dimP("n"), dimV(4)}, exportDims(m.Graph.Inputs[0]))
			require.Equal(t, []onnxpb.Dim{exportUnknownDim(), exportUnknownDim()}, exportDims(m.Graph.Outputs[0]))
			require.Equal(t, []int64{1, 4}, exportNodeInput(t, m, "Reshape", 1).Int64s())
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, exportDecode(t, c.a(t), c.opset))
		})
	}
}

// exportOneNodeN is exportOneNode for an op with n outputs, all graph outputs.
func exportOneNodeN(t *testing.T, op string, attrs ops.Attrs, n int, dims []any) *runtime.Artifact {
	t.Helper()
	b := runtime.NewBuilder(op)
	var rd []runtime.Dim
	for _, d := range dims {
		if s, ok := d.(string); ok {
			rd = append(rd, runtime.Symbolic(s))
		} else {
			rd = append(rd, runtime.Static(d.(int)))
		}
	}
	for i, v := range b.NamedOp("n", op, n, attrs, b.Input("a", tensor.Float32, rd...)) {
		b.Output(string(rune('p'+i)), v)
	}
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

// TestExportDeterministic: the same artifact always gives the same bytes
// (initializers and metadata are written in sorted order, not map order).
func TestExportDeterministic(t *testing.T) {
	a, err := models.SmallCNN(models.SmallCNNConfig{Channels: 3, Size: 8, Classes: 4, Seed: 3})
	require.NoError(t, err)
	a.Metadata["z"], a.Metadata["a"] = "last", "first"
	first, err := Export(a, ExportOptions{})
	require.NoError(t, err)
	for range 5 {
		again, err := Export(a, ExportOptions{})
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
}

// TestExportLowestOpset checks the opset chosen without a target over a
// graph whose nodes need different opsets: the highest any node needs.
func TestExportLowestOpset(t *testing.T) {
	build := func(ops2 ...string) *runtime.Artifact {
		b := runtime.NewBuilder("mixed")
		v := b.Input("x", tensor.Int32, runtime.Dims(2, 3)...)
		for i, op := range ops2 {
			attrs := ops.Attrs{}
			if op == "cumprod" {
				attrs["axis"] = 1
			}
			v = b.NamedOp(fmt.Sprintf("n%d", i), op, 1, attrs, v)[0]
		}
		b.Output("y", v)
		a, err := b.Build()
		require.NoError(t, err)
		return a
	}
	for _, c := range []struct {
		ops  []string
		want int
	}{
		{[]string{"neg", "abs"}, 17},
		{[]string{"neg", "bitwise_not", "abs"}, 18},
		{[]string{"bitwise_not", "cumprod", "neg"}, 26},
		{[]string{"cumprod", "bitwise_not"}, 26},
	} {
		a := build(c.ops...)
		got, err := LowestExportOpset(a)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%v", c.ops)
		m := exportDecode(t, a, 0)
		require.Equal(t, []onnxpb.OpsetID{{Domain: "", Version: int64(c.want)}}, m.OpsetImports)
		require.Equal(t, irVersions[c.want], m.IRVersion)
	}
	// An explicit target is kept: a node it cannot express is refused.
	_, err := Export(build("cumprod"), ExportOptions{Opset: 25})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, `node "n0" (cumprod)`)
	require.ErrorContains(t, err, "from opset 26")
}
