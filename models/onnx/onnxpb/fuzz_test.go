package onnxpb

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeModel checks DecodeModel never panics, and that whatever it
// accepts encodes (unless it holds something only counted, such as a sparse
// initializer) and decodes again to an equal structure and identical bytes.
// Tensors are converted too, for the same no-panic property.
func FuzzDecodeModel(f *testing.F) {
	seed, err := EncodeModel(sampleModel())
	require.NoError(f, err)
	f.Add(seed)
	small, err := EncodeModel(&Model{IRVersion: 8, OpsetImports: []OpsetID{{Version: 17}}, Graph: &Graph{
		Nodes:        []Node{{OpType: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"c"}}},
		Initializers: []Tensor{{Name: "b", Dims: []int64{1}, DataType: Float, FloatData: []float32{1}}},
		Inputs:       []ValueInfo{{Name: "a", Type: &Type{Kind: "tensor", Tensor: &TensorType{ElemType: Float}}}},
	}})
	require.NoError(f, err)
	f.Add(small)
	f.Add([]byte{})
	// One small model per attribute and per value info of the sample, so
	// mutations reach every decoder without first breaking a large input.
	sample := sampleModel()
	for _, a := range sample.Graph.Nodes[0].Attributes {
		b, err := EncodeModel(&Model{Graph: &Graph{Nodes: []Node{{OpType: "X", Attributes: []Attribute{a}}}}})
		require.NoError(f, err)
		f.Add(b)
	}
	for _, vi := range sample.Graph.ValueInfo {
		b, err := EncodeModel(&Model{Graph: &Graph{Inputs: []ValueInfo{vi}}})
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeModel(data)
		if err != nil {
			requireSentinel(t, err)
			return
		}
		if m.Graph != nil {
			for i := range m.Graph.Initializers {
				_, err := ToTensor(&m.Graph.Initializers[i], nil)
				if err != nil {
					requireSentinel(t, err)
				}
			}
		}
		b, err := EncodeModel(m)
		if err != nil {
			require.ErrorIs(t, err, ErrUnsupported) // only-counted content
			return
		}
		again, err := DecodeModel(b)
		require.NoError(t, err)
		b2, err := EncodeModel(again)
		require.NoError(t, err)
		require.Equal(t, b, b2)
		canonNaNModel(m)
		canonNaNModel(again)
		require.Equal(t, m, again)
	})
}

// FuzzDecodeTensor is FuzzDecodeModel for a standalone TensorProto.
func FuzzDecodeTensor(f *testing.F) {
	for _, tp := range sampleTensors() {
		b, err := EncodeTensor(&tp)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := DecodeTensor(data)
		if err != nil {
			requireSentinel(t, err)
			return
		}
		if _, err := ToTensor(tp, nil); err != nil {
			requireSentinel(t, err)
		}
		b, err := EncodeTensor(tp)
		if err != nil {
			require.ErrorIs(t, err, ErrUnsupported)
			return
		}
		again, err := DecodeTensor(b)
		require.NoError(t, err)
		b2, err := EncodeTensor(again)
		require.NoError(t, err)
		require.Equal(t, b, b2)
		canonNaNTensor(tp)
		canonNaNTensor(again)
		require.Equal(t, tp, again)
	})
}

func requireSentinel(t *testing.T, err error) {
	var de *DecodeError
	require.True(t, errors.As(err, &de), "%T: %v", err, err)
	require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrLimit), err)
}

// canonNaN* replace NaNs by zero so require.Equal (which finds NaN != NaN)
// can compare decoded structures; the byte comparison already checked the
// bits survive.
func canonNaNModel(m *Model) {
	if m.Graph != nil {
		canonNaNGraph(m.Graph)
	}
}

func canonNaNGraph(g *Graph) {
	for i := range g.Initializers {
		canonNaNTensor(&g.Initializers[i])
	}
	for i := range g.Nodes {
		for j := range g.Nodes[i].Attributes {
			a := &g.Nodes[i].Attributes[j]
			a.F = noNaN32(a.F)
			for k := range a.Floats {
				a.Floats[k] = noNaN32(a.Floats[k])
			}
			if a.T != nil {
				canonNaNTensor(a.T)
			}
			for k := range a.Tensors {
				canonNaNTensor(&a.Tensors[k])
			}
			if a.G != nil {
				canonNaNGraph(a.G)
			}
			for k := range a.Graphs {
				canonNaNGraph(&a.Graphs[k])
			}
		}
	}
}

func canonNaNTensor(t *Tensor) {
	for i := range t.FloatData {
		t.FloatData[i] = noNaN32(t.FloatData[i])
	}
	for i := range t.DoubleData {
		if math.IsNaN(t.DoubleData[i]) {
			t.DoubleData[i] = 0
		}
	}
}

func noNaN32(f float32) float32 {
	if f != f {
		return 0
	}
	return f
}
