package onnx

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Helpers shared by shape_test.go, shape_movement_test.go and reduce_test.go.

// shapeSymIn declares a graph input whose dims are ints (static) or strings
// (symbolic names).
func shapeSymIn(name string, d onnxpb.DataType, dims ...any) onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, v := range dims {
		switch v := v.(type) {
		case int:
			s.Dims = append(s.Dims, onnxpb.Dim{Value: int64(v), HasValue: true})
		case string:
			s.Dims = append(s.Dims, onnxpb.Dim{Param: v})
		}
	}
	return onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: "tensor", Tensor: &onnxpb.TensorType{ElemType: d, Shape: s}}}
}

// shapeIota is 0, 1, ..., n-1 as float32.
func shapeIota(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

// shapeF builds a float32 tensor.
func shapeF(vals []float32, dims ...int) *tensor.Tensor { return tensor.MustFromSlice(vals, dims...) }

// shapeI64 builds an int64 tensor.
func shapeI64(vals []int64, dims ...int) *tensor.Tensor { return tensor.MustFromSlice(vals, dims...) }

// shapeList is a 1-D int64 initializer.
func shapeList(t *testing.T, name string, v ...int64) onnxpb.Tensor {
	return initializer(t, name, tensor.MustFromSlice(v, len(v)))
}

// shapeRun1 runs a one-node model with graph inputs ins fed with feed and
// returns output "y".
func shapeRun1(t *testing.T, opset int64, n onnxpb.Node, ins []onnxpb.ValueInfo, feed []*tensor.Tensor, inits ...onnxpb.Tensor) *tensor.Tensor {
	t.Helper()
	out := runModel(t, model(opset, []onnxpb.Node{n}, ins, []onnxpb.ValueInfo{tout("y")}, inits...), feed...)
	require.Len(t, out, 1)
	return out[0]
}

// shapeImport imports m and returns the artifact.
func shapeImport(t *testing.T, m *onnxpb.Model) *runtime.Artifact {
	t.Helper()
	art, err := ImportModel(m, Options{Name: t.Name()})
	require.NoError(t, err)
	return art
}

// shapeRunArt runs an artifact on ref.
func shapeRunArt(t *testing.T, art *runtime.Artifact, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	mod, err := rt.Load(context.Background(), art)
	require.NoError(t, err)
	out, err := mod.Run(context.Background(), inputs...)
	require.NoError(t, err)
	return out
}

// shapeOps lists the catalog ops of an artifact's nodes.
func shapeOps(art *runtime.Artifact) []string {
	var names []string
	for _, n := range art.Nodes {
		names = append(names, n.Op)
	}
	return names
}

// shapeErrCase is a model the importer must refuse.
type shapeErrCase struct {
	name  string
	m     func(t *testing.T) *onnxpb.Model
	kind  error
	input string // input named by the error, if any
	msg   string // substring of the message
}

func shapeRunErrs(t *testing.T, cases []shapeErrCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := importErr(t, tc.m(t))
			require.ErrorIs(t, e, tc.kind, "%v", e)
			other := ErrInvalidModel
			if tc.kind == ErrInvalidModel {
				other = ErrUnsupported
			}
			require.False(t, errors.Is(e, other), "%v", e)
			require.NotEmpty(t, e.Node, "the error names the node: %v", e)
			require.Equal(t, tc.input, e.Input, "%v", e)
			require.Contains(t, e.Error(), tc.msg)
		})
	}
}

func TestShapeReshape(t *testing.T) {
	x6 := shapeF(shapeIota(6), 2, 3)
	x12 := shapeF(shapeIota(12), 2, 3, 2)
	cases := []struct {
		name  string
		opset int64
		x     *tensor.Tensor
		shape []int64
		attrs []onnxpb.Attribute
		want  *tensor.Tensor // reshape keeps the row-major order, so want is x's data
	}{
		{"opset6", 6, x6, []int64{3, 2}, nil, shapeF(shapeIota(6), 3, 2)},
		{"zero copies, -1 infers", 13, x12, []int64{0, -1}, nil, shapeF(shapeIota(12), 2, 6)},       // [2, 12/2]
		{"-1 in the middle", 13, x12, []int64{3, -1, 2}, nil, shapeF(shapeIota(12), 3, 2, 2)},       // 12/(3*2) = 2
		{"to scalar-free rank 1", 13, x6, []int64{-1}, nil, shapeF(shapeIota(6), 6)},                // all 6
		{"allowzero=0 copies", 14, x6, []int64{0, 3}, []onnxpb.Attribute{aInt("allowzero", 0)}, x6}, // 0 -> 2
		{"allowzero=1 without 0", 14, x6, []int64{6}, []onnxpb.Attribute{aInt("allowzero", 1)}, shapeF(shapeIota(6), 6)},
		{"allowzero=1 empty", 14, shapeF(nil, 0, 3), []int64{3, 0}, []onnxpb.Attribute{aInt("allowzero", 1)}, shapeF(nil, 3, 0)},
		{"allowzero=0 empty copies", 14, shapeF(nil, 0, 3), []int64{0, 1, 3}, nil, shapeF(nil, 0, 1, 3)},
		{"int64 data", 21, shapeI64([]int64{5, 6, 7, 8}, 4), []int64{2, 2}, nil, shapeI64([]int64{5, 6, 7, 8}, 2, 2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := onnxpb.Float
			if tc.x.DType() == tensor.Int64 {
				d = onnxpb.Int64
			}
			dims := make([]int64, tc.x.Rank())
			for i, v := range tc.x.Shape() {
				dims[i] = int64(v)
			}
			n := node("Reshape", []string{"x", "s"}, []string{"y"}, tc.attrs...)
			got := shapeRun1(t, tc.opset, n, []onnxpb.ValueInfo{tin("x", d, dims...)}, []*tensor.Tensor{tc.x},
				shapeList(t, "s", tc.shape...))
			requireClose(t, got, tc.want)
		})
	}
}

func TestShapeReshapeSymbolic(t *testing.T) {
	// [N, 3, 2] -> [0, -1] = [N, 6] stays symbolic in N.
	m := model(13, []onnxpb.Node{node("Reshape", []string{"x", "s"}, []string{"y"})},
		[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3, 2)}, []onnxpb.ValueInfo{tout("y")}, shapeList(t, "s", 0, -1))
	art := shapeImport(t, m)
	require.True(t, art.Inputs[0].Dims[0].IsSymbolic())
	for _, n := range []int{1, 2, 3} {
		got := shapeRunArt(t, art, shapeF(shapeIota(6*n), n, 3, 2))
		requireClose(t, got[0], shapeF(shapeIota(6*n), n, 6))
	}
}

func TestShapeReshapeErrors(t *testing.T) {
	x := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	y := []onnxpb.ValueInfo{tout("y")}
	one := func(opset int64, n onnxpb.Node, inits ...onnxpb.Tensor) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model { return model(opset, []onnxpb.Node{n}, x, y, inits...) }
	}
	shapeRunErrs(t, []shapeErrCase{
		{"shape from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Reshape", []string{"x", "s"}, []string{"y"})},
				[]onnxpb.ValueInfo{x[0], tin("s", onnxpb.Int64, 2)}, y)
		}, ErrUnsupported, "s", "known at import"},
		{"missing shape", one(13, node("Reshape", []string{"x"}, []string{"y"})), ErrInvalidModel, "", "inputs"},
		{"opset 1-4 shape attribute", one(13, node("Reshape", []string{"x"}, []string{"y"}, aInts("shape", 3, 2))),
			ErrInvalidModel, "", "opset 1-4"},
		{"allowzero before 14", func(t *testing.T) *onnxpb.Model {
			return one(13, node("Reshape", []string{"x", "s"}, []string{"y"}, aInt("allowzero", 0)), shapeList(t, "s", 6))(t)
		}, ErrUnsupported, "", `"allowzero"`},
		{"allowzero wrong type", func(t *testing.T) *onnxpb.Model {
			return one(14, node("Reshape", []string{"x", "s"}, []string{"y"}, aFloat("allowzero", 1)), shapeList(t, "s", 6))(t)
		}, ErrInvalidModel, "", `"allowzero" has type`},
		{"allowzero 2", func(t *testing.T) *onnxpb.Model {
			return one(14, node("Reshape", []string{"x", "s"}, []string{"y"}, aInt("allowzero", 2)), shapeList(t, "s", 6))(t)
		}, ErrInvalidModel, "", "want 0 or 1"},
		{"allowzero with 0 and -1", func(t *testing.T) *onnxpb.Model {
			return one(14, node("Reshape", []string{"x", "s"}, []string{"y"}, aInt("allowzero", 1)), shapeList(t, "s", 0, -1))(t)
		}, ErrInvalidModel, "s", "both 0 and -1"},
		{"allowzero empty shape, input has elements", func(t *testing.T) *onnxpb.Model {
			return one(14, node("Reshape", []string{"x", "s"}, []string{"y"}, aInt("allowzero", 1)), shapeList(t, "s", 6, 0))(t)
		}, ErrInvalidModel, "s", "has elements"},
		{"element count", func(t *testing.T) *onnxpb.Model {
			return one(13, node("Reshape", []string{"x", "s"}, []string{"y"}), shapeList(t, "s", 4, 4))(t)
		}, ErrInvalidModel, "", "elements"},
		{"huge dims", func(t *testing.T) *onnxpb.Model {
			return one(13, node("Reshape", []string{"x", "s"}, []string{"y"}), shapeList(t, "s", 1<<40, 1<<40))(t)
		}, ErrInvalidModel, "", "reshape"},
		{"2-D shape", func(t *testing.T) *onnxpb.Model {
			return one(13, node("Reshape", []string{"x", "s"}, []string{"y"}),
				initializer(t, "s", shapeI64([]int64{3, 2}, 1, 2)))(t)
		}, ErrInvalidModel, "s", "1-D"},
		{"float shape", func(t *testing.T) *onnxpb.Model {
			return one(13, node("Reshape", []string{"x", "s"}, []string{"y"}),
				initializer(t, "s", shapeF([]float32{3, 2}, 2)))(t)
		}, ErrInvalidModel, "s", "integer"},
	})
}

func TestShapeFlatten(t *testing.T) {
	// Flatten keeps the row-major order: every want holds x's data 0..11.
	x := shapeF(shapeIota(12), 2, 3, 2)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3, 2)}
	cases := []struct {
		name  string
		opset int64
		attrs []onnxpb.Attribute
		dims  []int
	}{
		{"default axis 1", 9, nil, []int{2, 6}},                                  // [2, 3*2]
		{"axis 0", 9, []onnxpb.Attribute{aInt("axis", 0)}, []int{1, 12}},         // [1 (empty product), 12]
		{"axis 2", 9, []onnxpb.Attribute{aInt("axis", 2)}, []int{6, 2}},          // [2*3, 2]
		{"axis 3 (rank)", 13, []onnxpb.Attribute{aInt("axis", 3)}, []int{12, 1}}, // [12, 1 (empty product)]
		{"axis -1 opset 13", 13, []onnxpb.Attribute{aInt("axis", -1)}, []int{6, 2}},
		{"axis -3 opset 11", 11, []onnxpb.Attribute{aInt("axis", -3)}, []int{1, 12}},
		{"axis -1 before opset 11 (accepted)", 9, []onnxpb.Attribute{aInt("axis", -1)}, []int{6, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := shapeRun1(t, tc.opset, node("Flatten", []string{"x"}, []string{"y"}, tc.attrs...), in, []*tensor.Tensor{x})
			requireClose(t, got, shapeF(shapeIota(12), tc.dims...))
		})
	}
	t.Run("2-D axis 1 is an identity", func(t *testing.T) {
		m := model(13, []onnxpb.Node{node("Flatten", []string{"x"}, []string{"y"})},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []onnxpb.ValueInfo{tout("y")})
		art := shapeImport(t, m)
		require.Equal(t, []string{"identity"}, shapeOps(art))
		requireClose(t, shapeRunArt(t, art, shapeF(shapeIota(6), 2, 3))[0], shapeF(shapeIota(6), 2, 3))
	})
}

func TestShapeFlattenSymbolic(t *testing.T) {
	cases := []struct {
		name string
		dims []any
		axis int64
		run  []int // a binding of the input's dims
		want []int // expected output dims for that binding
	}{
		{"batch kept by copy", []any{"N", 3, 2}, 1, []int{4, 3, 2}, []int{4, 6}},      // [0, 6]
		{"batch merged, inferred", []any{"N", 3, 2}, 2, []int{4, 3, 2}, []int{12, 2}}, // [-1, 2]
		{"all into the inner dim", []any{"N", 3, 2}, 0, []int{4, 3, 2}, []int{1, 24}}, // [1, -1]
		{"inner symbolic", []any{2, "L"}, 1, []int{2, 5}, []int{2, 5}},                // identity
		{"inner symbolic merged", []any{2, 3, "L"}, 1, []int{2, 3, 5}, []int{2, 15}},  // [2, -1]
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := model(13, []onnxpb.Node{node("Flatten", []string{"x"}, []string{"y"}, aInt("axis", tc.axis))},
				[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, tc.dims...)}, []onnxpb.ValueInfo{tout("y")})
			art := shapeImport(t, m)
			_, bound := art.Metadata["onnx_symbolic_dims"]
			require.False(t, bound, "symbolic dims stay symbolic")
			n := 1
			for _, d := range tc.run {
				n *= d
			}
			got := shapeRunArt(t, art, shapeF(shapeIota(n), tc.run...))
			requireClose(t, got[0], shapeF(shapeIota(n), tc.want...))
		})
	}
	t.Run("two symbolic dims merged", func(t *testing.T) {
		// [N, 3, L] at axis 2 is [3N, L]: neither is a same-position copy.
		m := model(13, []onnxpb.Node{node("Flatten", []string{"x"}, []string{"y"}, aInt("axis", 2))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3, "L")}, []onnxpb.ValueInfo{tout("y")})
		e := importErr(t, m)
		require.ErrorIs(t, e, ErrUnsupported)
		require.Equal(t, "Flatten_node", e.Node)
		require.Contains(t, e.Error(), "Options.Dims")
		// Binding the dims makes it static.
		art, err := ImportModel(m, Options{Dims: map[string]int{"N": 2, "L": 2}})
		require.NoError(t, err)
		requireClose(t, shapeRunArt(t, art, shapeF(shapeIota(12), 2, 3, 2))[0], shapeF(shapeIota(12), 6, 2))
	})
}

func TestShapeFlattenErrors(t *testing.T) {
	shapeRunErrs(t, []shapeErrCase{
		{"axis beyond rank", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Flatten", []string{"x"}, []string{"y"}, aInt("axis", 3))},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrInvalidModel, "", "out of range"},
		{"axis as ints", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Flatten", []string{"x"}, []string{"y"}, aInts("axis", 1))},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrInvalidModel, "", `"axis" has type`},
		{"two inputs", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Flatten", []string{"x", "x"}, []string{"y"})},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrInvalidModel, "", "inputs"},
	})
}

func TestShapeSqueeze(t *testing.T) {
	// Squeeze keeps the data order: every want holds x's data 0..5.
	x := shapeF(shapeIota(6), 1, 3, 1, 2)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 3, 1, 2)}
	cases := []struct {
		name   string
		opset  int64
		inputs []string
		attrs  []onnxpb.Attribute
		inits  func(t *testing.T) []onnxpb.Tensor
		dims   []int
	}{
		{"opset 11 axes attribute", 11, []string{"x"}, []onnxpb.Attribute{aInts("axes", 0, 2)}, nil, []int{3, 2}},
		{"opset 11 negative axes", 11, []string{"x"}, []onnxpb.Attribute{aInts("axes", -2)}, nil, []int{1, 3, 2}},
		{"opset 6 no axes", 6, []string{"x"}, nil, nil, []int{3, 2}},
		{"opset 13 axes input", 13, []string{"x", "a"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "a", 0, 2)}
		}, []int{3, 2}},
		{"opset 13 negative axes input", 13, []string{"x", "a"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "a", -4)}
		}, []int{3, 1, 2}},
		{"opset 13 no axes", 13, []string{"x"}, nil, nil, []int{3, 2}},
		{"opset 13 empty axes input", 13, []string{"x", "a"}, nil, func(t *testing.T) []onnxpb.Tensor {
			return []onnxpb.Tensor{shapeList(t, "a")}
		}, []int{3, 2}},
		{"opset 21 omitted axes input", 21, []string{"x", ""}, nil, nil, []int{3, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inits []onnxpb.Tensor
			if tc.inits != nil {
				inits = tc.inits(t)
			}
			got := shapeRun1(t, tc.opset, node("Squeeze", tc.inputs, []string{"y"}, tc.attrs...), in, []*tensor.Tensor{x}, inits...)
			requireClose(t, got, shapeF(shapeIota(6), tc.dims...))
		})
	}
}

func TestShapeSqueezeSymbolic(t *testing.T) {
	t.Run("moved symbolic dims need a transpose", func(t *testing.T) {
		// [1, N, M] -> [N, M]: N and M both move left, so the size-1 dim is
		// moved last first and both become same-position copies.
		m := model(11, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 0))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, 1, "N", "M")}, []onnxpb.ValueInfo{tout("y")})
		art := shapeImport(t, m)
		require.Equal(t, []string{"transpose", "reshape"}, shapeOps(art))
		got := shapeRunArt(t, art, shapeF(shapeIota(6), 1, 2, 3))
		requireClose(t, got[0], shapeF(shapeIota(6), 2, 3))
	})
	t.Run("one moved symbolic dim is inferred", func(t *testing.T) {
		// [N, 1, M] -> [N, M]: [0, -1].
		m := model(11, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 1))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 1, "M")}, []onnxpb.ValueInfo{tout("y")})
		art := shapeImport(t, m)
		require.Equal(t, []string{"reshape"}, shapeOps(art))
		got := shapeRunArt(t, art, shapeF(shapeIota(6), 3, 1, 2))
		requireClose(t, got[0], shapeF(shapeIota(6), 3, 2))
	})
	t.Run("squeezing a symbolic dim makes a template", func(t *testing.T) {
		// Valid only when N is 1: nothing is guessed at import; a run with
		// N = 1 works, one with N = 2 is refused naming the op.
		m := model(11, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 0))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3)}, []onnxpb.ValueInfo{tout("y")})
		art := shapeImport(t, m)
		require.True(t, art.IsTemplate())
		require.Contains(t, art.Metadata["onnx_specialized"], "Squeeze of symbolic dimension 0")
		require.True(t, art.Inputs[0].Dims[0].IsSymbolic())
		got := shapeRunArt(t, art, shapeF([]float32{7, 8, 9}, 1, 3))
		requireClose(t, got[0], shapeF([]float32{7, 8, 9}, 3))
		_, err := runtime.Run(context.Background(), art, shapeF(shapeIota(6), 2, 3))
		require.ErrorIs(t, err, runtime.ErrInvalidInput)
		require.ErrorContains(t, err, "specializing for N=2;")
		require.ErrorContains(t, err, "Squeeze")
	})
	t.Run("no axes with a symbolic dim", func(t *testing.T) {
		m := model(13, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"})},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 1)}, []onnxpb.ValueInfo{tout("y")})
		e := importErr(t, m)
		require.ErrorIs(t, e, ErrUnsupported)
		require.Equal(t, "Squeeze_node", e.Node)
		require.Contains(t, e.Error(), "give axes")
	})
}

func TestShapeSqueezeErrors(t *testing.T) {
	x := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 3)}
	y := []onnxpb.ValueInfo{tout("y")}
	shapeRunErrs(t, []shapeErrCase{
		{"axis of size 3", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 1))}, x, y)
		}, ErrInvalidModel, "", "not 1"},
		{"axis out of range", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 2))}, x, y)
		}, ErrInvalidModel, "", "axes[0]"},
		{"repeated axis", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 0, -2))}, x, y)
		}, ErrInvalidModel, "", "repeats"},
		{"axes attribute in opset 13", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Squeeze", []string{"x"}, []string{"y"}, aInts("axes", 0))}, x, y)
		}, ErrInvalidModel, "", "input from opset 13"},
		{"axes input in opset 12", func(t *testing.T) *onnxpb.Model {
			return model(12, []onnxpb.Node{node("Squeeze", []string{"x", "a"}, []string{"y"})}, x, y, shapeList(t, "a", 0))
		}, ErrInvalidModel, "", "inputs"},
		{"axes from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Squeeze", []string{"x", "a"}, []string{"y"})},
				[]onnxpb.ValueInfo{x[0], tin("a", onnxpb.Int64, 1)}, y)
		}, ErrUnsupported, "a", "known at import"},
	})
}

func TestShapeUnsqueeze(t *testing.T) {
	// Unsqueeze keeps the data order: every want holds x's data 0..5.
	x := shapeF(shapeIota(6), 2, 3)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	cases := []struct {
		name   string
		opset  int64
		inputs []string
		attrs  []onnxpb.Attribute
		axes   []int64 // initializer "a" when inputs name it
		dims   []int
	}{
		{"opset 6 axes attribute", 6, []string{"x"}, []onnxpb.Attribute{aInts("axes", 0, 3)}, nil, []int{1, 2, 3, 1}},
		{"unsorted axes", 11, []string{"x"}, []onnxpb.Attribute{aInts("axes", 3, 0)}, nil, []int{1, 2, 3, 1}},
		{"negative axis (output rank 3)", 11, []string{"x"}, []onnxpb.Attribute{aInts("axes", -1)}, nil, []int{2, 3, 1}},
		{"middle", 11, []string{"x"}, []onnxpb.Attribute{aInts("axes", 1)}, nil, []int{2, 1, 3}},
		{"opset 13 axes input", 13, []string{"x", "a"}, nil, []int64{0, 3}, []int{1, 2, 3, 1}},
		{"opset 13 negative axes input", 13, []string{"x", "a"}, nil, []int64{-4, -2}, []int{1, 2, 1, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inits []onnxpb.Tensor
			if tc.axes != nil {
				inits = append(inits, shapeList(t, "a", tc.axes...))
			}
			got := shapeRun1(t, tc.opset, node("Unsqueeze", tc.inputs, []string{"y"}, tc.attrs...), in, []*tensor.Tensor{x}, inits...)
			requireClose(t, got, shapeF(shapeIota(6), tc.dims...))
		})
	}
	t.Run("symbolic dims moved right need a transpose", func(t *testing.T) {
		// [N, M] -> [1, N, M]: reshape to [N, M, 1], then perm [2, 0, 1].
		m := model(13, []onnxpb.Node{node("Unsqueeze", []string{"x", "a"}, []string{"y"})},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", "M")}, []onnxpb.ValueInfo{tout("y")}, shapeList(t, "a", 0))
		art := shapeImport(t, m)
		require.Equal(t, []string{"reshape", "transpose"}, shapeOps(art))
		require.True(t, art.Inputs[0].Dims[1].IsSymbolic())
		got := shapeRunArt(t, art, shapeF(shapeIota(6), 2, 3))
		requireClose(t, got[0], shapeF(shapeIota(6), 1, 2, 3))
	})
	t.Run("symbolic batch kept by copy", func(t *testing.T) {
		// [N, 3] -> [N, 1, 3]: reshape [0, 1, 3].
		m := model(13, []onnxpb.Node{node("Unsqueeze", []string{"x", "a"}, []string{"y"})},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3)}, []onnxpb.ValueInfo{tout("y")}, shapeList(t, "a", 1))
		art := shapeImport(t, m)
		require.Equal(t, []string{"reshape"}, shapeOps(art))
		got := shapeRunArt(t, art, shapeF(shapeIota(6), 2, 3))
		requireClose(t, got[0], shapeF(shapeIota(6), 2, 1, 3))
	})
}

func TestShapeUnsqueezeErrors(t *testing.T) {
	x := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	y := []onnxpb.ValueInfo{tout("y")}
	shapeRunErrs(t, []shapeErrCase{
		{"no axes", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Unsqueeze", []string{"x"}, []string{"y"})}, x, y)
		}, ErrInvalidModel, "", "needs axes"},
		{"no axes input in opset 13", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Unsqueeze", []string{"x"}, []string{"y"})}, x, y)
		}, ErrInvalidModel, "", "inputs"},
		{"repeated axis", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Unsqueeze", []string{"x"}, []string{"y"}, aInts("axes", 1, 1))}, x, y)
		}, ErrInvalidModel, "", "repeats"},
		{"axis beyond the output rank", func(t *testing.T) *onnxpb.Model {
			return model(11, []onnxpb.Node{node("Unsqueeze", []string{"x"}, []string{"y"}, aInts("axes", 3))}, x, y)
		}, ErrInvalidModel, "", "axes[0]"},
		{"axes from data", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Unsqueeze", []string{"x", "a"}, []string{"y"})},
				[]onnxpb.ValueInfo{x[0], tin("a", onnxpb.Int64, 1)}, y)
		}, ErrUnsupported, "a", "known at import"},
	})
}

func TestShapeTranspose(t *testing.T) {
	t.Run("default reverses", func(t *testing.T) {
		// [[0 1 2] [3 4 5]] transposed: [[0 3] [1 4] [2 5]].
		got := shapeRun1(t, 13, node("Transpose", []string{"x"}, []string{"y"}),
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []*tensor.Tensor{shapeF(shapeIota(6), 2, 3)})
		requireClose(t, got, shapeF([]float32{0, 3, 1, 4, 2, 5}, 3, 2))
	})
	t.Run("perm", func(t *testing.T) {
		// x[a,b,c] = 4a+2b+c; y[i,j,k] = x[j,k,i] = 4j+2k+i, in (i,j,k) order:
		// 0 2 4 6 1 3 5 7.
		got := shapeRun1(t, 6, node("Transpose", []string{"x"}, []string{"y"}, aInts("perm", 2, 0, 1)),
			[]onnxpb.ValueInfo{tin("x", onnxpb.Int32, 2, 2, 2)},
			[]*tensor.Tensor{tensor.MustFromSlice([]int32{0, 1, 2, 3, 4, 5, 6, 7}, 2, 2, 2)})
		requireClose(t, got, tensor.MustFromSlice([]int32{0, 2, 4, 6, 1, 3, 5, 7}, 2, 2, 2))
	})
	shapeRunErrs(t, []shapeErrCase{
		{"not a permutation", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Transpose", []string{"x"}, []string{"y"}, aInts("perm", 0, 0))},
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrInvalidModel, "", "permutation"},
	})
}

func TestShapeShape(t *testing.T) {
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3, 4)}
	cases := []struct {
		name  string
		opset int64
		attrs []onnxpb.Attribute
		want  []int64
	}{
		{"opset 6", 6, nil, []int64{2, 3, 4}},
		{"opset 15 full", 15, nil, []int64{2, 3, 4}},
		{"start 1", 15, []onnxpb.Attribute{aInt("start", 1)}, []int64{3, 4}},
		{"end -1", 15, []onnxpb.Attribute{aInt("end", -1)}, []int64{2, 3}},                     // end = 3-1 = 2
		{"clamped", 19, []onnxpb.Attribute{aInt("start", -2), aInt("end", 10)}, []int64{3, 4}}, // [1, 3)
		{"start past end", 21, []onnxpb.Attribute{aInt("start", 2), aInt("end", 1)}, []int64{}},
		{"start below -rank", 15, []onnxpb.Attribute{aInt("start", -10)}, []int64{2, 3, 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := model(tc.opset, []onnxpb.Node{node("Shape", []string{"x"}, []string{"y"}, tc.attrs...)}, in, []onnxpb.ValueInfo{tout("y")})
			art := shapeImport(t, m)
			require.Empty(t, art.Nodes, "Shape is folded to a constant")
			got := shapeRunArt(t, art, shapeF(make([]float32, 24), 2, 3, 4))
			requireClose(t, got[0], shapeI64(tc.want, len(tc.want)))
		})
	}
	t.Run("folds into Reshape", func(t *testing.T) {
		// Reshape(Flatten(x), Shape(x)) restores x.
		m := model(13, []onnxpb.Node{
			node("Shape", []string{"x"}, []string{"s"}),
			node("Flatten", []string{"x"}, []string{"f"}),
			node("Reshape", []string{"f", "s"}, []string{"y"}),
		}, in, []onnxpb.ValueInfo{tout("y")})
		x := shapeF(shapeIota(24), 2, 3, 4)
		requireClose(t, runModel(t, m, x)[0], x)
	})
	t.Run("static part of a symbolic shape", func(t *testing.T) {
		m := model(15, []onnxpb.Node{node("Shape", []string{"x"}, []string{"y"}, aInt("start", 1))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3)}, []onnxpb.ValueInfo{tout("y")})
		got := runModel(t, m, shapeF(make([]float32, 6), 2, 3))
		requireClose(t, got[0], shapeI64([]int64{3}, 1))
	})
	shapeRunErrs(t, []shapeErrCase{
		{"symbolic dim", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Shape", []string{"x"}, []string{"y"})},
				[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrUnsupported, "x", "dimension 0 is symbolic"},
		{"start before opset 15", func(t *testing.T) *onnxpb.Model {
			return model(14, []onnxpb.Node{node("Shape", []string{"x"}, []string{"y"}, aInt("start", 1))}, in, []onnxpb.ValueInfo{tout("y")})
		}, ErrUnsupported, "", `"start"`},
	})
}

func TestShapeSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   onnxpb.ValueInfo
		x    *tensor.Tensor
		want int64
	}{
		{"static", tin("x", onnxpb.Float, 2, 3, 4), shapeF(make([]float32, 24), 2, 3, 4), 24}, // 2*3*4
		{"empty with a symbolic dim", shapeSymIn("x", onnxpb.Float, "N", 0), shapeF(nil, 5, 0), 0},
		{"scalar", tin("x", onnxpb.Float), tensor.Scalar(float32(1)), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shapeRun1(t, 13, node("Size", []string{"x"}, []string{"y"}), []onnxpb.ValueInfo{tc.in}, []*tensor.Tensor{tc.x})
			requireClose(t, got, tensor.Scalar(tc.want))
		})
	}
	shapeRunErrs(t, []shapeErrCase{
		{"symbolic", func(t *testing.T) *onnxpb.Model {
			return model(13, []onnxpb.Node{node("Size", []string{"x"}, []string{"y"})},
				[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 3)}, []onnxpb.ValueInfo{tout("y")})
		}, ErrUnsupported, "x", "symbolic"},
	})
}
