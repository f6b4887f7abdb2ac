package xla

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/reference"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Rounding to bfloat16 on both engines (on the pure-Go engine, bfloat16.go's
// float32 arithmetic). Expected values are hand-computed bit patterns or the
// reference kernels' (which round through float64 once).

// runOneOp runs a one-node artifact on be.
func runOneOp(t *testing.T, be *Backend, op string, attrs ops.Attrs, in ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	b := runtime.NewBuilder("one-" + op)
	vals := make([]runtime.Value, len(in))
	for i, x := range in {
		vals[i] = b.Input(fmt.Sprintf("x%d", i), x.DType(), runtime.Dims(x.Shape()...)...)
	}
	b.Output("y", b.Op(op, attrs, vals...))
	a, err := b.Build()
	require.NoError(t, err)
	require.NoError(t, be.Supports(a))
	p, err := be.Prepare(context.Background(), a)
	require.NoError(t, err)
	defer p.Close()
	out, err := p.Run(context.Background(), in)
	require.NoError(t, err)
	return out[0]
}

// bf16Bits returns the bfloat16 bit patterns of t.
func bf16Bits(t *testing.T, x *tensor.Tensor) []uint16 {
	t.Helper()
	require.Equal(t, tensor.BFloat16, x.DType())
	v := tensor.MustView[tensor.BFloat16Value](x)
	out := make([]uint16, len(v))
	for i, b := range v {
		out[i] = uint16(b)
	}
	return out
}

// requireSameBFloat16 compares bit patterns; any NaN equals any NaN.
func requireSameBFloat16(t *testing.T, got, want []uint16, what string) {
	t.Helper()
	require.Len(t, got, len(want))
	isNaN := func(b uint16) bool { return b&0x7f80 == 0x7f80 && b&0x7f != 0 }
	for i := range want {
		if isNaN(want[i]) {
			require.True(t, isNaN(got[i]), "%s[%d]: got %#04x, want NaN", what, i, got[i])
			continue
		}
		require.Equal(t, want[i], got[i], "%s[%d]: got %#04x want %#04x", what, i, got[i], want[i])
	}
}

func TestCastToBFloat16RoundsToNearestEven(t *testing.T) {
	f32 := func(bits uint32) float32 { return math.Float32frombits(bits) }
	// Hand-computed: value, expected bfloat16 bits.
	hand := []struct {
		x    float32
		want uint16
	}{
		{1 + 3.0/512, 0x3f81},      // 3/4 ulp above 1: up to 1+2^-7 (truncation gives 1)
		{1 + 1.0/256, 0x3f80},      // a tie, 1 is even: stays
		{1 + 3.0/256, 0x3f82},      // a tie above 1+2^-7 (odd): up to 1+2^-6
		{-(1 + 3.0/256), 0xbf82},   // the same, negative
		{f32(0x3f80_7fff), 0x3f80}, // just below the tie
		{f32(0x3f80_8001), 0x3f81}, // just above it
		{f32(0x7f7f_ffff), 0x7f80}, // float32's largest: past bfloat16's top, +Inf
		{f32(0x7f7f_7fff), 0x7f7f}, // below the top's half ulp: bfloat16's largest
		{f32(0x0000_8000), 0x0000}, // subnormal tie (2^-134, half of 2^-133), 0 is even
		{f32(0x0000_c000), 0x0001}, // 3/4 of the smallest subnormal: up
		{f32(0x0001_8000), 0x0002}, // subnormal tie above an odd one
		{f32(0x0080_0000), 0x0080}, // the smallest normal
		{float32(math.Copysign(0, -1)), 0x8000},
		{float32(math.Inf(-1)), 0xff80},
		{float32(math.NaN()), 0x7fc0},
	}
	xs := make([]float32, len(hand))
	want := make([]uint16, len(hand))
	for i, h := range hand {
		xs[i], want[i] = h.x, h.want
	}
	in := tensor.MustFromSlice(xs, len(xs))
	// Float64 sources: ties of float32 rounding broken by the rest. (No
	// float64 whose float32 is subnormal: XLA's CPU conversion flushes
	// those to zero.)
	f64s := []float64{1 + 1.0/256 + 0x1p-40, 1 + 1.0/256 - 0x1p-40, 1 + 3.0/256 - 0x1p-40, 1 + 1.0/256, -(1 + 1.0/256 + 0x1p-40), 1e300, 3.3e-30}
	want64 := []uint16{0x3f81, 0x3f80, 0x3f81, 0x3f80, 0xbf81, 0x7f80}
	in64 := tensor.MustFromSlice(f64s, len(f64s))
	ints := []int32{257, 259, 261, 16777217, -259, 1 << 30}
	wantInts := []uint16{0x4380, 0x4382, 0x4382, 0x4b80, 0xc382, 0x4e80}
	in32 := tensor.MustFromSlice(ints, len(ints))
	in64i := tensor.MustFromSlice([]int64{1<<53 + 1<<45, 1<<53 + 1<<45 + 1}, 2)
	for _, be := range testEngines(t, Options{}) {
		t.Run(be.Name(), func(t *testing.T) {
			to := ops.Attrs{"to": "bfloat16"}
			requireSameBFloat16(t, bf16Bits(t, runOneOp(t, be, "cast", to, in)), want, "float32")
			got64 := bf16Bits(t, runOneOp(t, be, "cast", to, in64))
			requireSameBFloat16(t, got64[:len(want64)], want64, "float64")
			requireSameBFloat16(t, bf16Bits(t, runOneOp(t, be, "cast", to, in32)), wantInts, "int32")
			// Against the reference kernel, every value above included.
			for _, x := range []*tensor.Tensor{in, in64, in32, in64i} {
				r, err := reference.Eval("cast", to, x)
				require.NoError(t, err)
				requireSameBFloat16(t, bf16Bits(t, runOneOp(t, be, "cast", to, x)), bf16Bits(t, r[0]), x.DType().String()+" vs ref")
			}
		})
	}
}

// TestBFloat16ArithmeticMatchesRef runs bfloat16 ops on random inputs: add,
// sub, mul, div and sqrt must give ref's correctly rounded bits exactly (on
// the pure-Go engine, float32 then bfloat16 rounding is innocuous for them);
// the transcendental ones, ref's within one ulp.
func TestBFloat16ArithmeticMatchesRef(t *testing.T) {
	const n = 4096
	a, err := tensor.Rand(tensor.BFloat16, 1, -4, 4, n)
	require.NoError(t, err)
	b, err := tensor.Rand(tensor.BFloat16, 2, 0.25, 8, n)
	require.NoError(t, err)
	pos, err := tensor.Rand(tensor.BFloat16, 3, 0, 100, n)
	require.NoError(t, err)
	cases := []struct {
		op    string
		in    []*tensor.Tensor
		exact bool
	}{
		{"add", []*tensor.Tensor{a, b}, true},
		{"sub", []*tensor.Tensor{a, b}, true},
		{"mul", []*tensor.Tensor{a, b}, true},
		{"div", []*tensor.Tensor{a, b}, true},
		{"sqrt", []*tensor.Tensor{pos}, true},
		{"exp", []*tensor.Tensor{a}, false},
		{"tanh", []*tensor.Tensor{a}, false},
		{"log", []*tensor.Tensor{b}, false},
	}
	for _, be := range testEngines(t, Options{}) {
		for _, c := range cases {
			t.Run(be.Name()+"/"+c.op, func(t *testing.T) {
				r, err := reference.Eval(c.op, nil, c.in...)
				require.NoError(t, err)
				got, want := bf16Bits(t, runOneOp(t, be, c.op, nil, c.in...)), bf16Bits(t, r[0])
				if c.exact || be.Name() != GoMLXName {
					requireSameBFloat16(t, got, want, c.op)
					return
				}
				for i := range want {
					d := int(got[i]) - int(want[i])
					require.True(t, d >= -1 && d <= 1 && got[i]>>15 == want[i]>>15, "%s[%d]: got %#04x want %#04x", c.op, i, got[i], want[i])
				}
			})
		}
	}
}

// TestCastFloat64ToFloat16RoundsOnce: XLA converts float64 to float16
// through float32; the lowering rounds to odd first so the result is the
// float64's own rounding. 1+2^-11 is half a float16 ulp above 1.
func TestCastFloat64ToFloat16RoundsOnce(t *testing.T) {
	in := tensor.MustFromSlice([]float64{1 + 0x1p-11 + 0x1p-40, 1 + 0x1p-11 - 0x1p-40, 1 + 0x1p-11, 1 + 3*0x1p-11 - 0x1p-40}, 4)
	want := []tensor.Float16Value{0x3c01, 0x3c00, 0x3c00, 0x3c01}
	for _, be := range testEngines(t, Options{}) {
		if be.Name() == GoMLXName {
			continue // no float16 on the pure-Go engine
		}
		got := runOneOp(t, be, "cast", ops.Attrs{"to": "float16"}, in)
		require.Equal(t, want, tensor.MustView[tensor.Float16Value](got))
		r, err := reference.Eval("cast", ops.Attrs{"to": "float16"}, in)
		require.NoError(t, err)
		require.Equal(t, tensor.MustView[tensor.Float16Value](r[0]), tensor.MustView[tensor.Float16Value](got))
	}
}
