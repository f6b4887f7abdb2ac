package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// rowLengths cover rows shorter than a vector, whole vectors, and tails.
var rowLengths = []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 128, 773, 2*rowChunk + 37}

// requireClose checks got against want within atol + rtol·|want|, NaN
// matching NaN and an infinity only itself.
func requireClose(t *testing.T, got []float32, want []float64, atol, rtol float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		g := float64(got[i])
		switch {
		case math.IsNaN(w):
			require.True(t, math.IsNaN(g), "%s [%d]: got %v, want NaN", msg, i, g)
		case math.IsInf(w, 0):
			require.Equal(t, w, g, "%s [%d]", msg, i)
		default:
			require.LessOrEqual(t, math.Abs(g-w), atol+rtol*math.Abs(w), "%s [%d]: got %v, want %v", msg, i, g, w)
		}
	}
}

// softmax64 and layerNorm64 are the float64 definitions, written out
// independently of the kernels.
func softmax64(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	out := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func layerNorm64(x, g, b []float32, eps float64) []float64 {
	var mean float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	var vr float64
	for _, v := range x {
		vr += (float64(v) - mean) * (float64(v) - mean)
	}
	vr /= float64(len(x))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (float64(v) - mean) / math.Sqrt(vr+eps) * float64(g[i])
		if b != nil {
			out[i] += float64(b[i])
		}
	}
	return out
}

// TestSoftmaxAndLayerNormRows holds every path's rows to the float64
// definitions: softmax within the vector exp's error (1e-6 + 4 ulps),
// layer_norm within two float32 roundings.
func TestSoftmaxAndLayerNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, isa := range paths(t) {
		for _, n := range rowLengths {
			x := randSlice(r, n)
			for i := range x {
				x[i] *= 8 // scores of a few units, as attention's are
			}
			g, b := randSlice(r, n), randSlice(r, n)
			y := make([]float32, n)
			msg := fmt.Sprintf("%s n=%d", isa.Name, n)
			isa.SoftmaxRow(x, y)
			requireClose(t, y, softmax64(x), 1e-7, 5e-7, "softmax "+msg)
			isa.LayerNormRow(x, y, g, b, 1e-5)
			requireClose(t, y, layerNorm64(x, g, b, 1e-5), 1e-7, 2.5e-7, "layer_norm "+msg)
			isa.LayerNormRow(x, y, g, nil, 1e-12)
			requireClose(t, y, layerNorm64(x, g, nil, 1e-12), 1e-7, 2.5e-7, "layer_norm without bias "+msg)
			// Far from zero mean: the float64 statistics keep it exact.
			for i := range x {
				x[i] += 1000
			}
			isa.LayerNormRow(x, y, g, b, 1e-5)
			requireClose(t, y, layerNorm64(x, g, b, 1e-5), 1e-6, 1e-6, "layer_norm offset "+msg)
		}
		// Non-finite rows: NaN or +Inf anywhere makes every softmax output NaN,
		// as in float64.
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
			for _, at := range []int{0, 5, 20, 32} {
				x := randSlice(r, 33)
				x[at] = bad
				y := make([]float32, 33)
				isa.SoftmaxRow(x, y)
				requireClose(t, y, softmax64(x), 0, 0, fmt.Sprintf("%s softmax of %v at %d", isa.Name, bad, at))
				isa.LayerNormRow(x, y, x, x, 1e-5)
				requireClose(t, y, layerNorm64(x, x, x, 1e-5), 0, 0, fmt.Sprintf("%s layer_norm of %v at %d", isa.Name, bad, at))
			}
		}
		// −Inf entries get probability 0.
		x := randSlice(r, 40)
		x[3], x[35] = float32(math.Inf(-1)), float32(math.Inf(-1))
		y := make([]float32, 40)
		isa.SoftmaxRow(x, y)
		requireClose(t, y, softmax64(x), 1e-7, 5e-7, isa.Name+" softmax with −Inf")
	}
}
