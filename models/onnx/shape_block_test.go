package onnx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

func TestShapeDepthToSpace(t *testing.T) {
	cases := []struct {
		name  string
		opset int64
		attrs []onnxpb.Attribute
		x     *tensor.Tensor
		want  *tensor.Tensor
	}{
		// x[0,c,0,w] = 2c+w, b=2, C'=1: y[0,0,i,2w+j] = x[0, 2i+j, 0, w].
		// Row i=0: (w0,j0)=x[c0,w0]=0 (w0,j1)=x[c1,w0]=2 (w1,j0)=x[c0,w1]=1 (w1,j1)=3.
		// Row i=1: channels 2 and 3: 4 6 5 7.
		{"opset 6 (DCR)", 6, []onnxpb.Attribute{aInt("blocksize", 2)},
			shapeF(shapeIota(8), 1, 4, 1, 2), shapeF([]float32{0, 2, 1, 3, 4, 6, 5, 7}, 1, 1, 2, 4)},
		// x[0,c,0,0] = c, b=2, C'=2.
		// DCR: y[0,c',i,j] = x[(2i+j)*2 + c']: c'=0: 0 2 4 6; c'=1: 1 3 5 7.
		{"opset 13 DCR default", 13, []onnxpb.Attribute{aInt("blocksize", 2)},
			shapeF(shapeIota(8), 1, 8, 1, 1), shapeF([]float32{0, 2, 4, 6, 1, 3, 5, 7}, 1, 2, 2, 2)},
		{"opset 11 DCR explicit", 11, []onnxpb.Attribute{aInt("blocksize", 2), aString("mode", "DCR")},
			shapeF(shapeIota(8), 1, 8, 1, 1), shapeF([]float32{0, 2, 4, 6, 1, 3, 5, 7}, 1, 2, 2, 2)},
		// CRD: y[0,c',i,j] = x[4c' + 2i + j]: the same order as x.
		{"opset 11 CRD", 11, []onnxpb.Attribute{aInt("blocksize", 2), aString("mode", "CRD")},
			shapeF(shapeIota(8), 1, 8, 1, 1), shapeF(shapeIota(8), 1, 2, 2, 2)},
		// blocksize 1 changes nothing.
		{"blocksize 1", 13, []onnxpb.Attribute{aInt("blocksize", 1)},
			shapeF(shapeIota(4), 1, 2, 1, 2), shapeF(shapeIota(4), 1, 2, 1, 2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dims := make([]int64, 4)
			for i, d := range tc.x.Shape() {
				dims[i] = int64(d)
			}
			got := shapeRun1(t, tc.opset, node("DepthToSpace", []string{"x"}, []string{"y"}, tc.attrs...),
				[]onnxpb.ValueInfo{tin("x", onnxpb.Float, dims...)}, []*tensor.Tensor{tc.x})
			requireClose(t, got, tc.want)
		})
	}
	t.Run("symbolic batch", func(t *testing.T) {
		// Two batch items of the DCR case above: the second is the first plus 8.
		m := model(13, []onnxpb.Node{node("DepthToSpace", []string{"x"}, []string{"y"}, aInt("blocksize", 2))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 8, 1, 1)}, []onnxpb.ValueInfo{tout("y")})
		art := shapeImport(t, m)
		require.True(t, art.Inputs[0].Dims[0].IsSymbolic())
		got := shapeRunArt(t, art, shapeF(shapeIota(16), 2, 8, 1, 1))
		requireClose(t, got[0], shapeF([]float32{0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15}, 2, 2, 2, 2))
	})
	t.Run("symbolic width", func(t *testing.T) {
		// [1, 4, 1, W]: only W moves, so the reshapes infer it; W=2 is the first case.
		m := model(13, []onnxpb.Node{node("DepthToSpace", []string{"x"}, []string{"y"}, aInt("blocksize", 2))},
			[]onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, 1, 4, 1, "W")}, []onnxpb.ValueInfo{tout("y")})
		art := shapeImport(t, m)
		require.True(t, art.Inputs[0].Dims[3].IsSymbolic())
		got := shapeRunArt(t, art, shapeF(shapeIota(8), 1, 4, 1, 2))
		requireClose(t, got[0], shapeF([]float32{0, 2, 1, 3, 4, 6, 5, 7}, 1, 1, 2, 4))
	})
}

func TestShapeSpaceToDepth(t *testing.T) {
	// x[0,0,h,w] = 4h+w, b=2: y[0, 2i+j, 0, w'] = x[0, 0, i, 2w'+j] = 4i + 2w' + j.
	// Channel 0 (i0 j0): 0 2; 1 (i0 j1): 1 3; 2 (i1 j0): 4 6; 3 (i1 j1): 5 7.
	x := shapeF(shapeIota(8), 1, 1, 2, 4)
	want := shapeF([]float32{0, 2, 1, 3, 4, 6, 5, 7}, 1, 4, 1, 2)
	for _, opset := range []int64{6, 13, 21} {
		got := shapeRun1(t, opset, node("SpaceToDepth", []string{"x"}, []string{"y"}, aInt("blocksize", 2)),
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 1, 2, 4)}, []*tensor.Tensor{x})
		requireClose(t, got, want)
	}
	t.Run("two channels", func(t *testing.T) {
		// x[0,c,h,w] = 4c+2h+w with H=W=2, b=2: y[0, (2i+j)*2 + c, 0, 0] = x[0,c,i,j].
		// Channel k = 2(2i+j)+c: k0=x[c0,0,0]=0 k1=x[c1,0,0]=4 k2=x[c0,0,1]=1 k3=5 k4=x[c0,1,0]=2 k5=6 k6=3 k7=7.
		got := shapeRun1(t, 13, node("SpaceToDepth", []string{"x"}, []string{"y"}, aInt("blocksize", 2)),
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 2, 2, 2)}, []*tensor.Tensor{shapeF(shapeIota(8), 1, 2, 2, 2)})
		requireClose(t, got, shapeF([]float32{0, 4, 1, 5, 2, 6, 3, 7}, 1, 8, 1, 1))
	})
	t.Run("inverse of DepthToSpace DCR", func(t *testing.T) {
		m := model(13, []onnxpb.Node{
			node("SpaceToDepth", []string{"x"}, []string{"d"}, aInt("blocksize", 2)),
			node("DepthToSpace", []string{"d"}, []string{"y"}, aInt("blocksize", 2)),
		}, []onnxpb.ValueInfo{shapeSymIn("x", onnxpb.Float, "N", 2, 4, 2)}, []onnxpb.ValueInfo{tout("y")})
		x := shapeF(shapeIota(48), 3, 2, 4, 2)
		requireClose(t, runModel(t, m, x)[0], x)
	})
}

func TestShapeBlockErrors(t *testing.T) {
	y := []onnxpb.ValueInfo{tout("y")}
	one := func(opset int64, op string, in onnxpb.ValueInfo, attrs ...onnxpb.Attribute) func(t *testing.T) *onnxpb.Model {
		return func(t *testing.T) *onnxpb.Model {
			return model(opset, []onnxpb.Node{node(op, []string{"x"}, []string{"y"}, attrs...)}, []onnxpb.ValueInfo{in}, y)
		}
	}
	x := tin("x", onnxpb.Float, 1, 8, 2, 2)
	shapeRunErrs(t, []shapeErrCase{
		{"no blocksize", one(13, "DepthToSpace", x), ErrInvalidModel, "", "blocksize is required"},
		{"blocksize 0", one(13, "DepthToSpace", x, aInt("blocksize", 0)), ErrInvalidModel, "", "out of range"},
		{"huge blocksize", one(13, "SpaceToDepth", tin("x", onnxpb.Float, 1, 1, 0, 0), aInt("blocksize", 1<<30)),
			ErrInvalidModel, "", "blocksize"},
		{"channels not a multiple of b*b", one(13, "DepthToSpace", x, aInt("blocksize", 3)), ErrInvalidModel, "x", "multiple of 9"},
		{"height not a multiple of b", one(13, "SpaceToDepth", tin("x", onnxpb.Float, 1, 1, 3, 4), aInt("blocksize", 2)),
			ErrInvalidModel, "x", "multiple of 2"},
		{"rank 3", one(13, "DepthToSpace", tin("x", onnxpb.Float, 8, 2, 2), aInt("blocksize", 2)), ErrInvalidModel, "x", "rank 4"},
		{"bad mode", one(13, "DepthToSpace", x, aInt("blocksize", 2), aString("mode", "XYZ")), ErrInvalidModel, "", "mode"},
		{"mode before opset 11", one(10, "DepthToSpace", x, aInt("blocksize", 2), aString("mode", "CRD")), ErrUnsupported, "", `"mode"`},
		{"symbolic height and width", one(13, "DepthToSpace", shapeSymIn("x", onnxpb.Float, 1, 8, "H", "W"), aInt("blocksize", 2)),
			ErrUnsupported, "", "Options.Dims"},
		{"symbolic height in SpaceToDepth", one(13, "SpaceToDepth", shapeSymIn("x", onnxpb.Float, 1, 1, "H", 4), aInt("blocksize", 2)),
			ErrUnsupported, "x", "symbolic"},
	})
}
