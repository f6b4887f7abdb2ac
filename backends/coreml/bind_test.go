package coreml

import (
	"testing"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
)

// twoInputs has inputs x [batch, 3] and y [batch, seq] and an output whose
// declared dims name batch.
func twoInputs(t *testing.T) *runtime.Artifact {
	t.Helper()
	b := runtime.NewBuilder("two")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))
	y := b.Input("y", tensor.Float32, runtime.Symbolic("batch"), runtime.Symbolic("seq"))
	b.Output("z", b.Op("concat", ops.Attrs{"axis": 1}, x, y))
	a, err := b.Build()
	require.NoError(t, err)
	a.Outputs[0].DType = tensor.Float32
	a.Outputs[0].Dims = []runtime.Dim{runtime.Symbolic("batch"), runtime.Symbolic("width")}
	require.NoError(t, a.Validate())
	return a
}

func TestBind(t *testing.T) {
	a := twoInputs(t)
	bound, err := Bind(a, [][]int{{4, 3}, {4, 5}})
	require.NoError(t, err)
	require.Equal(t, runtime.Dims(4, 3), bound.Inputs[0].Dims)
	require.Equal(t, runtime.Dims(4, 5), bound.Inputs[1].Dims)
	require.Equal(t, []runtime.Dim{runtime.Static(4), runtime.Symbolic("width")}, bound.Outputs[0].Dims,
		"an output dim the inputs name is bound; one they do not name stays symbolic")
	require.Equal(t, runtime.Symbolic("batch"), a.Inputs[0].Dims[0], "the original is untouched")
	require.Equal(t, runtime.Symbolic("batch"), a.Outputs[0].Dims[0])

	data, err := Convert(bound, Float32)
	require.NoError(t, err)
	m := decodeModel(t, data)
	require.Equal(t, []int{4, 3}, m.inputs["x"])
	require.Equal(t, []int{4, 5}, m.inputs["y"])
	require.Equal(t, []int{4, 8}, m.outputs["z"])
}

func TestBindRefusesMismatches(t *testing.T) {
	a := twoInputs(t)
	cases := []struct {
		name   string
		shapes [][]int
		input  string
		msg    string
	}{
		{"too few shapes", [][]int{{4, 3}}, "", "got 1 shapes, the model has 2 inputs"},
		{"wrong rank", [][]int{{4, 3, 1}, {4, 5}}, "x", "rank 3"},
		{"static dim differs", [][]int{{4, 2}, {4, 5}}, "x", "dim 1 is static 3"},
		{"shared name disagrees", [][]int{{4, 3}, {2, 5}}, "y", `input "x" bound "batch" to 4`},
		{"negative size", [][]int{{-1, 3}, {-1, 5}}, "x", "shape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Bind(a, c.shapes)
			var e *runtime.Error
			require.ErrorAs(t, err, &e)
			require.ErrorIs(t, err, runtime.ErrInvalidInput)
			require.Equal(t, c.input, e.Input)
			require.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestBindValidatesTheBoundGraph(t *testing.T) {
	// The reshape target fits batch 1 only ([1, 6] holds 6 elements): binding
	// batch to 2 makes a graph that does not validate.
	b := runtime.NewBuilder("fixed")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(6))
	b.Output("y", b.NamedOp("r", "reshape", 1, ops.Attrs{"shape": []int{1, 6}}, x)[0])
	a, err := b.Build()
	require.NoError(t, err)
	_, err = Bind(a, [][]int{{1, 6}})
	require.NoError(t, err)
	_, err = Bind(a, [][]int{{2, 6}})
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.Equal(t, "r", e.Node)
}

func TestParseComputeUnits(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ComputeUnits
	}{{"", All}, {"all", All}, {"cpu", CPUOnly}, {"cpu+gpu", CPUAndGPU}, {"cpu+ane", CPUAndNeuralEngine}} {
		got, err := ParseComputeUnits(c.in)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
	_, err := ParseComputeUnits("ane")
	require.ErrorContains(t, err, "BACKPLANE_COREML_UNITS")
	b := &Backend{envErr: err}
	require.ErrorIs(t, b.Available(), runtime.ErrUnavailable)
}
