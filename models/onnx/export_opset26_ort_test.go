package onnx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// TestExportOpset26MatchesORT exports the cumprod, bitcast and det hand
// cases at the lowest opset that expresses them (26 for CumProd and
// BitCast, IR version 13) and runs them on ONNX Runtime: the peer must load
// the models and return the hand-computed values. Cases the peer or its Go
// binding cannot run are skipped with the reason.
func TestExportOpset26MatchesORT(t *testing.T) {
	if err := ortpeer.Available(); err != nil {
		t.Skipf("ONNX Runtime peer not available: %v", err)
	}
	skip := map[string]string{
		"bitcast/uint16_int16":         "onnxruntime_go v1.27 has no uint16/int16 tensors",
		"det/lower_triangular_float64": "ONNX Runtime has no float64 Det kernel on CPU",
	}
	ran := 0
	for _, c := range optest.Cases() {
		if c.Op != "cumprod" && c.Op != "bitcast" && c.Op != "det" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			if why, ok := skip[c.Name]; ok {
				t.Skip(why)
			}
			if c.Want[0].Rank() == 0 || c.Want[0].NumElements() == 0 {
				t.Skip("onnxruntime_go v1.27 reads no rank-0 or empty outputs")
			}
			a, feed, err := exportSingleNode(strings.ReplaceAll(c.Name, "/", "_"), c.Op, c.Attrs, c.Inputs, len(c.Want))
			require.NoError(t, err)
			data, err := Export(a, ExportOptions{})
			require.NoError(t, err)
			s, err := ortpeer.Load(data, ortpeer.Options{Name: c.Name})
			require.NoError(t, err)
			defer s.Close()
			got, err := s.Run(feed)
			require.NoError(t, err)
			require.Len(t, got, len(c.Want))
			for i, w := range c.Want {
				cmp := tensor.Compare(got[i], w, exportTolerance(w.DType(), c.Tol))
				require.True(t, cmp.Equal, "output %d: %v\ngot  %v\nwant %v", i, cmp, got[i], w)
			}
			ran++
		})
	}
	t.Logf("%d cumprod, bitcast and det cases agree with ONNX Runtime", ran)

	// det's randomized float32 case (pivoting on every matrix) against ref.
	for _, c := range optest.RandomCases() {
		if c.Op != "det" || c.Inputs[0].DType != tensor.Float32 {
			continue
		}
		in, err := exportRandomInputs(c)
		require.NoError(t, err)
		want, err := ref.Eval(c.Op, c.Attrs, in...)
		require.NoError(t, err)
		a, feed, err := exportSingleNode(strings.ReplaceAll(c.Name, "/", "_"), c.Op, c.Attrs, in, 1)
		require.NoError(t, err)
		data, err := Export(a, ExportOptions{})
		require.NoError(t, err)
		s, err := ortpeer.Load(data, ortpeer.Options{Name: c.Name})
		require.NoError(t, err)
		got, err := s.Run(feed)
		s.Close()
		require.NoError(t, err)
		cmp := tensor.Compare(got[0], want[0], optest.DefaultTolerance(tensor.Float32))
		require.True(t, cmp.Equal, "%s: %v\ngot  %v\nwant %v", c.Name, cmp, got[0], want[0])
	}
}
