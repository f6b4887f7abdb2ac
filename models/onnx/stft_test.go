package onnx

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// TestCompositeSTFT checks the identity STFT frame k = DFT(window · frame k)
// against a direct DFT sum in float64, with and without a window, onesided
// and not, and with frame_length given both ways.
func TestCompositeSTFT(t *testing.T) {
	const n, step, length = 19, 3, 8
	sig := make([]float64, n)
	for i := range sig {
		sig[i] = math.Sin(0.7*float64(i)) + 0.25*float64(i%4)
	}
	win := make([]float64, length)
	for j := range win {
		win[j] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(j)/length) // periodic Hann
	}
	frames := (n-length)/step + 1 // 4
	want := func(w []float64, onesided bool) *tensor.Tensor {
		bins := length
		if onesided {
			bins = length/2 + 1
		}
		out := make([]float64, 0, frames*bins*2)
		for f := range frames {
			for k := range bins {
				var re, im float64
				for j := range length {
					v := sig[f*step+j]
					if w != nil {
						v *= w[j]
					}
					th := -2 * math.Pi * float64(j*k) / length
					re += v * math.Cos(th)
					im += v * math.Sin(th)
				}
				out = append(out, re, im)
			}
		}
		return mustFloat32s(t, tensor.Shape{1, frames, bins, 2}, out)
	}
	x := mustFloat32s(t, tensor.Shape{1, n, 1}, sig)
	w := mustFloat32s(t, tensor.Shape{length}, win)
	stepInit := initializer(t, "step", tensor.Scalar(int64(step)))
	lenInit := initializer(t, "len", tensor.Scalar(int64(length)))
	xIn := tin("x", onnxpb.Float, 1, n, 1)
	wIn := tin("w", onnxpb.Float, length)

	out := cmpRun(t, 17, node("STFT", []string{"x", "step", "w"}, []string{"y"}), []string{"y"},
		[]onnxpb.ValueInfo{xIn, wIn}, []*tensor.Tensor{x, w}, stepInit)
	requireClose(t, out[0], want(win, true))
	out = cmpRun(t, 17, node("STFT", []string{"x", "step", "", "len"}, []string{"y"}, aInt("onesided", 0)), []string{"y"},
		[]onnxpb.ValueInfo{xIn}, []*tensor.Tensor{x}, stepInit, lenInit)
	requireClose(t, out[0], want(nil, false))

	// Neither a window nor frame_length: refused, naming the node.
	e := importErr(t, model(17, []onnxpb.Node{node("STFT", []string{"x", "step"}, []string{"y"})},
		[]onnxpb.ValueInfo{xIn}, []onnxpb.ValueInfo{tout("y")}, stepInit))
	require.ErrorIs(t, e, ErrInvalidModel)
	require.Equal(t, "STFT", e.OpType)
	require.ErrorContains(t, e, "frame length")
}

func mustFloat32s(t *testing.T, s tensor.Shape, v []float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64s(tensor.Float32, s, v)
	require.NoError(t, err)
	return x
}

// TestCompositeIRFFT: the inverse of a onesided spectrum gives back the
// real signal (x = irfft(rfft(x)), even and odd lengths), and a hand case:
// the spectrum [4, 0, 0] of length 4 (k = 0 only, imaginary parts of the
// self-conjugate bins ignored) is the constant 1.
func TestCompositeIRFFT(t *testing.T) {
	for _, n := range []int{8, 7} {
		sig := make([]float64, n)
		for i := range sig {
			sig[i] = math.Cos(0.9*float64(i)) - 0.3*float64(i%3)
		}
		x := mustFloat32s(t, tensor.Shape{1, n, 1}, sig)
		bins := int64(n/2 + 1)
		spec := cmpRun(t, 17, node("DFT", []string{"x"}, []string{"y"}, aInt("onesided", 1)), []string{"y"},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, int64(n), 1)}, []*tensor.Tensor{x})[0]
		lenInit := initializer(t, "len", tensor.Scalar(int64(n)))
		back := cmpRun(t, 17, node("DFT", []string{"s", "len"}, []string{"y"}, aInt("onesided", 1), aInt("inverse", 1)), []string{"y"},
			[]onnxpb.ValueInfo{tin("s", onnxpb.Float, 1, bins, 2)}, []*tensor.Tensor{spec}, lenInit)[0]
		requireClose(t, back, x)
	}
	// default length 2·(3−1) = 4; Im of bins 0 and 2 must not matter
	s := mustFloat32s(t, tensor.Shape{1, 3, 2}, []float64{4, 7, 0, 0, 0, -5})
	out := cmpRun(t, 17, node("DFT", []string{"s"}, []string{"y"}, aInt("onesided", 1), aInt("inverse", 1)), []string{"y"},
		[]onnxpb.ValueInfo{tin("s", onnxpb.Float, 1, 3, 2)}, []*tensor.Tensor{s})[0]
	requireClose(t, out, mustFloat32s(t, tensor.Shape{1, 4, 1}, []float64{1, 1, 1, 1}))
}
