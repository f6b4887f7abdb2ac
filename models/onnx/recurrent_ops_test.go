package onnx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Import tests of LSTM, GRU and RNN: how ONNX's attributes become the
// catalog's, which outputs the node gets, what is refused.

// recModel is a one-node recurrent model with x [2,1,1] and the weights as
// initializers of hidden size 1 and the given directions.
func recModel(t *testing.T, opset int64, opType string, dirs int, outs []string, attrs ...onnxpb.Attribute) *onnxpb.Model {
	g := map[string]int{"LSTM": 4, "GRU": 3, "RNN": 1}[opType]
	ones := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	w := tensor.MustFromSlice(ones(dirs*g), dirs, g, 1)
	var graphOuts []onnxpb.ValueInfo
	for _, o := range outs {
		if o != "" {
			graphOuts = append(graphOuts, tout(o))
		}
	}
	return model(opset, []onnxpb.Node{node(opType, []string{"x", "w", "r"}, outs, attrs...)},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 1, 1)}, graphOuts,
		initializer(t, "w", w), initializer(t, "r", w))
}

func aStrings(name string, v ...string) onnxpb.Attribute {
	a := onnxpb.Attribute{Name: name, Type: onnxpb.AttrStrings}
	for _, s := range v {
		a.Strings = append(a.Strings, []byte(s))
	}
	return a
}

func TestRecurrentImportAttrs(t *testing.T) {
	for _, c := range []struct {
		name  string
		m     *onnxpb.Model
		outs  int
		attrs ops.Attrs
	}{
		// ONNX hands alphas and betas only to the activations that use them, in order.
		{name: "packed alphas", outs: 3,
			m: recModel(t, 14, "LSTM", 1, []string{"", "h"}, aStrings("activations", "Sigmoid", "LeakyRelu", "HardSigmoid"),
				aFloats("activation_alpha", 0.25, 0.5), aFloats("activation_beta", 0.75)),
			attrs: ops.Attrs{"direction": "forward", "activations": "sigmoid,leakyrelu,hardsigmoid",
				"activation_alpha": []float64{0, 0.25, 0.5}, "activation_beta": []float64{0, 0, 0.75}}},
		// a missing value means the activation's default.
		{name: "default alpha", outs: 2,
			m:     recModel(t, 14, "RNN", 1, []string{"y"}, aStrings("activations", "Elu"), aInt("hidden_size", 1)),
			attrs: ops.Attrs{"direction": "forward", "activations": "elu", "activation_alpha": []float64{1}, "hidden_size": 1}},
		// RNN's old schema default [Tanh, Tanh] on a one-direction node.
		{name: "rnn two activations", outs: 2,
			m:     recModel(t, 7, "RNN", 1, []string{"y"}, aStrings("activations", "Tanh", "Tanh")),
			attrs: ops.Attrs{"direction": "forward", "activations": "tanh"}},
		// one direction's list for both directions.
		{name: "bidirectional one list", outs: 2,
			m: recModel(t, 14, "GRU", 2, []string{"y", "h"}, aString("direction", "bidirectional"),
				aStrings("activations", "Sigmoid", "Relu"), aInt("linear_before_reset", 1), aFloat("clip", 2)),
			attrs: ops.Attrs{"direction": "bidirectional", "activations": "sigmoid,relu,sigmoid,relu",
				"linear_before_reset": 1, "clip": 2.0}},
		// opset 6 (LSTM-1): output_sequence says only whether Y is wanted.
		{name: "opset 6 output_sequence", outs: 3,
			m:     recModel(t, 6, "LSTM", 1, []string{"y"}, aInt("output_sequence", 1), aInt("input_forget", 1)),
			attrs: ops.Attrs{"direction": "forward", "input_forget": 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			art, err := ImportModel(c.m, Options{Name: t.Name()})
			require.NoError(t, err)
			require.Len(t, art.Nodes, 1)
			n := art.Nodes[0]
			require.Equal(t, c.attrs, n.Attrs)
			require.Len(t, n.Outputs, c.outs)
			for i, want := range c.m.Graph.Nodes[0].Outputs {
				if want != "" {
					require.Equal(t, want, n.Outputs[i])
				}
			}
		})
	}
}

func TestRecurrentImportRuns(t *testing.T) {
	// RNN relu, W = R = 1, x = [1, 2]: h = 1, then 2 + 1 = 3; only Y_h is wanted.
	m := recModel(t, 14, "RNN", 1, []string{"", "h"}, aStrings("activations", "Relu"))
	out := runModel(t, m, tensor.MustFromSlice([]float32{1, 2}, 2, 1, 1))
	require.Len(t, out, 1)
	requireClose(t, out[0], tensor.MustFromSlice([]float32{3}, 1, 1, 1))
}

func TestRecurrentImportErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *onnxpb.Model
		kind error
		msg  string
	}{
		{name: "input_forget on GRU", m: recModel(t, 14, "GRU", 1, []string{"y"}, aInt("input_forget", 1)),
			kind: ErrUnsupported, msg: "input_forget"},
		{name: "layout before opset 14", m: recModel(t, 13, "RNN", 1, []string{"y"}, aInt("layout", 0)),
			kind: ErrInvalidModel, msg: "before opset 14"},
		{name: "output_sequence after opset 6", m: recModel(t, 7, "RNN", 1, []string{"y"}, aInt("output_sequence", 1)),
			kind: ErrInvalidModel, msg: "removed in opset 7"},
		{name: "unknown activation", m: recModel(t, 14, "RNN", 1, []string{"y"}, aStrings("activations", "Gelu")),
			kind: ErrUnsupported, msg: "Gelu"},
		{name: "alphas without activations", m: recModel(t, 14, "RNN", 1, []string{"y"}, aFloats("activation_alpha", 1)),
			kind: ErrInvalidModel, msg: "without activations"},
		{name: "wrong activation count", m: recModel(t, 14, "LSTM", 1, []string{"y"}, aStrings("activations", "Sigmoid", "Tanh")),
			kind: ErrInvalidModel, msg: "activations"},
		{name: "weights of another direction count", m: recModel(t, 14, "RNN", 2, []string{"y"}),
			kind: ErrInvalidModel, msg: "directions"},
		{name: "hidden_size disagrees with R", m: recModel(t, 14, "GRU", 1, []string{"y"}, aInt("hidden_size", 4)),
			kind: ErrInvalidModel, msg: "hidden_size"},
		{name: "too many outputs", m: recModel(t, 14, "GRU", 1, []string{"y", "h", "c"}),
			kind: ErrInvalidModel, msg: "at most 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := importErr(t, c.m)
			require.ErrorIs(t, e, c.kind)
			require.Contains(t, e.Error(), c.msg)
			require.NotEmpty(t, e.Node)
		})
	}
}
