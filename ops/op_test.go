package ops_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func f32(shape ...int) ops.Type { return ops.Type{DType: tensor.Float32, Shape: shape} }

func TestInferFrameworkChecks(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		in    []ops.Type
		attrs ops.Attrs
		kind  error
		input int
		attr  string
	}{
		{name: "unknown op", op: "no_such_op", in: []ops.Type{f32(1)}, kind: ops.ErrUnknownOp, input: -1},
		{name: "too few inputs", op: "add", in: []ops.Type{f32(1)}, kind: ops.ErrInput, input: -1},
		{name: "too many inputs", op: "relu", in: []ops.Type{f32(1), f32(1)}, kind: ops.ErrInput, input: -1},
		{name: "required input omitted", op: "add", in: []ops.Type{f32(1), {}}, kind: ops.ErrInput, input: 1},
		{name: "unknown attribute", op: "relu", in: []ops.Type{f32(1)}, attrs: ops.Attrs{"alpha": 1.0}, kind: ops.ErrAttr, input: -1, attr: "alpha"},
		{name: "attribute of wrong kind", op: "clip", in: []ops.Type{f32(1)}, attrs: ops.Attrs{"min": 1}, kind: ops.ErrAttr, input: -1, attr: "min"},
		{name: "required attribute missing", op: "cast", in: []ops.Type{f32(1)}, kind: ops.ErrAttr, input: -1, attr: "to"},
		{name: "invalid input dtype", op: "relu", in: []ops.Type{{DType: tensor.DType(200), Shape: tensor.Shape{1}}}, kind: ops.ErrInput, input: 0},
		{name: "negative input dim", op: "relu", in: []ops.Type{f32(2, -1)}, kind: ops.ErrInput, input: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ops.Infer(c.op, c.in, c.attrs)
			require.ErrorIs(t, err, c.kind)
			var e *ops.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, c.op, e.Op, "the error names the op")
			require.Equal(t, c.input, e.Input)
			require.Equal(t, c.attr, e.Attr)
			require.Contains(t, err.Error(), "op "+c.op)
		})
	}
}

func TestCanonical(t *testing.T) {
	got, err := ops.Canonical(ops.Attrs{
		"i": int64(3), "i32": int32(-1), "b": true, "f": float32(0.5),
		"is": []int64{1, 2}, "fs": []float32{0.25}, "s": "x", "n": 7, "fl": 1.5,
	})
	require.NoError(t, err)
	require.Equal(t, ops.Attrs{
		"i": 3, "i32": -1, "b": 1, "f": 0.5, "is": []int{1, 2}, "fs": []float64{0.25}, "s": "x", "n": 7, "fl": 1.5,
	}, got)
	_, err = ops.Canonical(ops.Attrs{"bad": []string{"a"}})
	require.ErrorIs(t, err, ops.ErrAttr)
	nilAttrs, err := ops.Canonical(nil)
	require.NoError(t, err)
	require.Nil(t, nilAttrs)
}

func TestAttrsGettersAndClone(t *testing.T) {
	a := ops.Attrs{"n": 2, "ns": []int{1, 2}, "f": 0.5, "fs": []float64{1}, "s": "edge"}
	require.Equal(t, 2, a.Int("n", 9))
	require.Equal(t, 9, a.Int("missing", 9))
	require.Equal(t, 9, a.Int("s", 9), "a value of another kind reads as absent")
	require.Equal(t, []int{1, 2}, a.Ints("ns", nil))
	require.Equal(t, 0.5, a.Float("f", 0))
	require.Equal(t, []float64{1}, a.Floats("fs", nil))
	require.Equal(t, "edge", a.String("s", ""))
	c := a.Clone()
	c.Ints("ns", nil)[0] = 100
	require.Equal(t, 1, a.Ints("ns", nil)[0], "Clone copies slices")
	require.True(t, a.Has("n"))
	require.False(t, a.Has("missing"))
}

func TestCatalogIsConsistent(t *testing.T) {
	names := ops.Names()
	require.NotEmpty(t, names)
	for _, n := range names {
		op, ok := ops.Lookup(n)
		require.True(t, ok)
		require.Equal(t, n, op.Name)
		require.NotEmpty(t, op.Doc, "op %s is documented", n)
		require.NotNil(t, op.Infer, "op %s has inference", n)
		for i, in := range op.Inputs {
			require.NotEmpty(t, in.Name, "op %s input %d has a name", n, i)
			if in.Variadic {
				require.Equal(t, len(op.Inputs)-1, i, "op %s: only the last input may be variadic", n)
			}
		}
		require.Equal(t, op.InputName(0), func() string {
			if len(op.Inputs) == 0 {
				return ""
			}
			return op.Inputs[0].Name
		}())
	}
	require.Panics(t, func() { ops.Register(&ops.Op{Name: names[0]}) })
}
