package onnx

import (
	"context"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Round trips of the catalog's op cases: each case as a one-node artifact,
// exported, imported back with Import and run on the reference backend. The
// expected values are the cases' hand-computed ones (or, for the random
// cases, ref on the original artifact), never the exporter's.

// exportOpsets are the opsets every round trip runs at: each opset an op
// the exporter writes changed in, and the newest.
var exportOpsets = []int{17, 18, 19, 20, 21, 22, 24, 26}

// exportSingleNode builds the one-node artifact of an op case: every non-nil
// input a graph input, so the node's dtypes and shapes reach the exporter.
func exportSingleNode(name, op string, attrs ops.Attrs, inputs []*tensor.Tensor, outputs int) (*runtime.Artifact, []*tensor.Tensor, error) {
	b := runtime.NewBuilder(name)
	vals := make([]runtime.Value, len(inputs))
	var feed []*tensor.Tensor
	for i, in := range inputs {
		if in == nil {
			vals[i] = runtime.None
			continue
		}
		vals[i] = b.Input(fmt.Sprintf("in%d", i), in.DType(), runtime.Dims(in.Shape()...)...)
		feed = append(feed, in)
	}
	outs := b.NamedOp("node", op, outputs, attrs, vals...)
	for i, v := range outs {
		b.Output(fmt.Sprintf("out%d", i), v)
	}
	a, err := b.Build()
	return a, feed, err
}

// exportRoundTrip exports a at opset and imports the bytes back.
func exportRoundTrip(t *testing.T, a *runtime.Artifact, opset int) (*runtime.Artifact, []byte) {
	t.Helper()
	data, err := Export(a, ExportOptions{Opset: opset})
	require.NoError(t, err)
	back, err := Import(data, Options{Name: a.Name})
	require.NoError(t, err, "re-importing the exported model")
	return back, data
}

// exportRunRef runs a on the reference backend.
func exportRunRef(t *testing.T, a *runtime.Artifact, feed []*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	p, err := ref.Backend{}.Prepare(context.Background(), a)
	require.NoError(t, err)
	defer p.Close()
	out, err := p.Run(context.Background(), feed)
	require.NoError(t, err)
	return out
}

// exportRequireOutputsDeclared checks the exported graph outputs' declared
// element types and shapes against the values a run produced; every dim must
// be static here (the op cases have no symbolic dims).
func exportRequireOutputsDeclared(t *testing.T, data []byte, got []*tensor.Tensor) {
	t.Helper()
	m, err := onnxpb.DecodeModel(data)
	require.NoError(t, err)
	require.Len(t, m.Graph.Outputs, len(got))
	for i, vi := range m.Graph.Outputs {
		want, err := onnxpb.DataTypeOf(got[i].DType())
		require.NoError(t, err)
		require.Equal(t, want, vi.Type.Tensor.ElemType, "output %d element type", i)
		dims := make([]int, len(vi.Type.Tensor.Shape.Dims))
		for j, d := range vi.Type.Tensor.Shape.Dims {
			require.True(t, d.HasValue, "output %d dim %d is not static", i, j)
			dims[j] = int(d.Value)
		}
		require.Equal(t, []int(got[i].Shape()), dims, "output %d shape", i)
	}
}

func exportTolerance(d tensor.DType, override tensor.Tolerance) tensor.Tolerance {
	if override != (tensor.Tolerance{}) {
		return override
	}
	return optest.DefaultTolerance(d)
}

func exportRequireClose(t *testing.T, got, want []*tensor.Tensor, override tensor.Tolerance) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		cmp := tensor.Compare(got[i], w, exportTolerance(w.DType(), override))
		require.True(t, cmp.Equal, "output %d: %v\ngot  %v\nwant %v", i, cmp, got[i], w)
	}
}

// exportSince lists the op cases ONNX cannot express before an opset, with
// that opset: below it they must be refused with an *ExportError naming the
// node and op, from it they must round-trip.
var exportSince = map[string]int{
	"avg_pool/dilation": 19, // AveragePool has dilations from opset 19
	"avg_pool/dilated":  19, // (the random case)
	// Resize has antialias from opset 18, half_pixel_symmetric from 19.
	"resize/linear_antialias":            18,
	"resize/cubic_antialias":             18,
	"resize/linear_half_pixel_symmetric": 19,
	// BitwiseAnd/Or/Xor/Not arrived in opset 18.
	"bitwise_and/uint8": 18, "bitwise_or/uint8": 18, "bitwise_xor/int32": 18,
	"bitwise_not/int8": 18, "bitwise_not/uint8": 18, "bitwise_xor/uint64": 18,
	// CumProd and BitCast arrived in opset 26.
	"bitcast/int8_uint8": 26, "bitcast/uint16_int16": 26,
	"cumprod/inclusive": 26, "cumprod/exclusive_reverse": 26, "cumprod/axis0_int32": 26,
	// ScatterElements has reduction max from opset 18.
	"scatter_elements/max": 18,
}

// exportRequireRefused checks that a's export at opset fails with an
// *ExportError of kind ErrUnsupported naming its only node.
func exportRequireRefused(t *testing.T, a *runtime.Artifact, opset int) {
	t.Helper()
	_, err := Export(a, ExportOptions{Opset: opset})
	var e *ExportError
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, ErrUnsupported)
	require.Equal(t, a.Nodes[0].Name, e.Node)
	require.Equal(t, a.Nodes[0].Op, e.Op)
	require.Contains(t, err.Error(), fmt.Sprintf("node %q (%s)", e.Node, e.Op))
}

// TestExportOpCases round-trips every hand-computed op case at every opset
// and compares with the case's expected outputs.
func TestExportOpCases(t *testing.T) {
	for _, opset := range exportOpsets {
		t.Run(fmt.Sprintf("opset%d", opset), func(t *testing.T) {
			for _, c := range optest.Cases() {
				t.Run(c.Name, func(t *testing.T) {
					a, feed, err := exportSingleNode(c.Name, c.Op, c.Attrs, c.Inputs, len(c.Want))
					require.NoError(t, err)
					if since, ok := exportSince[c.Name]; ok && opset < since {
						exportRequireRefused(t, a, opset)
						return
					}
					back, data := exportRoundTrip(t, a, opset)
					got := exportRunRef(t, back, feed)
					exportRequireClose(t, got, c.Want, c.Tol)
					exportRequireOutputsDeclared(t, data, got)
				})
			}
		})
	}
}

// TestExportOpCasesLowestOpset exports every hand-computed op case without a
// target opset: each must be written at the lowest opset that expresses it
// (exportSince's, or the default) with that opset's IR version, and
// round-trip to the case's expected outputs.
func TestExportOpCasesLowestOpset(t *testing.T) {
	for _, c := range optest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			a, feed, err := exportSingleNode(c.Name, c.Op, c.Attrs, c.Inputs, len(c.Want))
			require.NoError(t, err)
			want := DefaultExportOpset
			if since, ok := exportSince[c.Name]; ok {
				want = since
			}
			back, data := exportRoundTrip(t, a, 0)
			m, err := onnxpb.DecodeModel(data)
			require.NoError(t, err)
			require.Equal(t, []onnxpb.OpsetID{{Domain: "", Version: int64(want)}}, m.OpsetImports)
			require.Equal(t, irVersions[want], m.IRVersion)
			lowest, err := LowestExportOpset(a)
			require.NoError(t, err)
			require.Equal(t, want, lowest)
			got := exportRunRef(t, back, feed)
			exportRequireClose(t, got, c.Want, c.Tol)
			exportRequireOutputsDeclared(t, data, got)
		})
	}
}

// exportRandomInputs materialises a random case's inputs, seeded by its name.
func exportRandomInputs(c optest.RandomCase) ([]*tensor.Tensor, error) {
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	seed := h.Sum64()
	in := make([]*tensor.Tensor, len(c.Inputs))
	for i, spec := range c.Inputs {
		switch {
		case spec.Omit:
			continue
		case spec.Fixed != nil:
			in[i] = spec.Fixed
			continue
		}
		lo, hi := spec.Lo, spec.Hi
		if lo == 0 && hi == 0 {
			lo, hi = -1, 1
		}
		t, err := tensor.Rand(spec.DType, seed+uint64(i), lo, hi, spec.Shape...)
		if err != nil {
			return nil, err
		}
		in[i] = t
	}
	return in, nil
}

// TestExportRandomCases round-trips the randomized parity cases (larger
// shapes, every dtype) at the lowest and highest opset, comparing with the
// original artifact run on the reference backend.
func TestExportRandomCases(t *testing.T) {
	for _, opset := range []int{MinExportOpset, MaxExportOpset} {
		t.Run(fmt.Sprintf("opset%d", opset), func(t *testing.T) {
			for _, c := range optest.RandomCases() {
				t.Run(c.Name, func(t *testing.T) {
					in, err := exportRandomInputs(c)
					require.NoError(t, err)
					want, err := ref.Eval(c.Op, c.Attrs, in...)
					require.NoError(t, err)
					a, feed, err := exportSingleNode(c.Name, c.Op, c.Attrs, in, len(want))
					require.NoError(t, err)
					if since, ok := exportSince[c.Name]; ok && opset < since {
						exportRequireRefused(t, a, opset)
						return
					}
					back, _ := exportRoundTrip(t, a, opset)
					exportRequireClose(t, exportRunRef(t, back, feed), want, c.Tol)
				})
			}
		})
	}
}

// TestExportCoversCatalog checks that no catalog op is silently missing: each
// has an export rule and a hand case, so TestExportOpCases exercised it.
func TestExportCoversCatalog(t *testing.T) {
	covered := optest.Covered()
	for _, op := range ops.Names() {
		require.Contains(t, exportRules, op, "op %s has no export rule", op)
		require.True(t, covered[op], "op %s has no hand case, so its export is not round-tripped", op)
	}
	require.Equal(t, ops.Names(), ExportableOps(), "an export rule for an op the catalog does not have")
}
