package xla

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/tensor"
)

// Tensor conversion between backplane tensors and GoMLX engine buffers.
//
// Copies, per engine (measured by CopyStats and BenchmarkConversion):
//   - inputs: one copy into an engine buffer (BufferFromFlatData). Neither engine
//     can adopt a Go slice it did not allocate: the pure-Go engine keeps its
//     buffers in pools keyed by size, PJRT owns device memory.
//   - outputs: zero copies on engines with shared buffers whose outputs the
//     caller may own (the pure-Go engine: an output buffer it hands back is never
//     reused unless finalized, and we never finalize it, so its Go slice becomes
//     the tensor's storage); one copy (BufferToFlatData) on PJRT, whose buffers
//     live in memory we must release.
//   - weights: one copy at Prepare; every run then passes the same buffers.
//   - a graph output that is a graph input or a weight itself never enters
//     the engine: it is cloned (counted as an output copy).
//
// float16 and bfloat16 slices are reinterpreted, not converted: backplane's
// Float16Value is GoMLX's float16 type, and BFloat16Value and GoMLX's BFloat16
// are both uint16.

// toGoMLXDType maps a backplane dtype to GoMLX's.
func toGoMLXDType(d tensor.DType) (dtypes.DType, bool) {
	switch d {
	case tensor.Float32:
		return dtypes.Float32, true
	case tensor.Float64:
		return dtypes.Float64, true
	case tensor.Float16:
		return dtypes.Float16, true
	case tensor.BFloat16:
		return dtypes.BFloat16, true
	case tensor.Int8:
		return dtypes.Int8, true
	case tensor.Uint8:
		return dtypes.Uint8, true
	case tensor.Int32:
		return dtypes.Int32, true
	case tensor.Int64:
		return dtypes.Int64, true
	case tensor.Bool:
		return dtypes.Bool, true
	case tensor.Int16:
		return dtypes.Int16, true
	case tensor.Uint16:
		return dtypes.Uint16, true
	case tensor.Uint32:
		return dtypes.Uint32, true
	case tensor.Uint64:
		return dtypes.Uint64, true
	}
	return dtypes.InvalidDType, false
}

// toGoMLXShape maps a backplane dtype and shape to a GoMLX shape.
func toGoMLXShape(d tensor.DType, s tensor.Shape) (shapes.Shape, error) {
	gd, ok := toGoMLXDType(d)
	if !ok {
		return shapes.Shape{}, fmt.Errorf("dtype %v has no GoMLX equivalent", d)
	}
	return shapes.Make(gd, s...), nil
}

// flatForEngine returns t's storage as the flat slice type GoMLX expects,
// without copying.
func flatForEngine(t *tensor.Tensor) any {
	if t.DType() == tensor.BFloat16 {
		v := tensor.MustView[tensor.BFloat16Value](t)
		return unsafe.Slice((*bfloat16.BFloat16)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
	}
	return t.Data()
}

// tensorFromFlat wraps a GoMLX flat slice (not a copy) as a tensor of shape s.
func tensorFromFlat(flat any, s tensor.Shape) (*tensor.Tensor, error) {
	switch v := flat.(type) {
	case []float32:
		return tensor.FromSlice(v, s...)
	case []float64:
		return tensor.FromSlice(v, s...)
	case []tensor.Float16Value:
		return tensor.FromSlice(v, s...)
	case []bfloat16.BFloat16:
		b := unsafe.Slice((*tensor.BFloat16Value)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
		return tensor.FromSlice(b, s...)
	case []int8:
		return tensor.FromSlice(v, s...)
	case []uint8:
		return tensor.FromSlice(v, s...)
	case []int32:
		return tensor.FromSlice(v, s...)
	case []int64:
		return tensor.FromSlice(v, s...)
	case []bool:
		return tensor.FromSlice(v, s...)
	case []int16:
		return tensor.FromSlice(v, s...)
	case []uint16:
		return tensor.FromSlice(v, s...)
	case []uint32:
		return tensor.FromSlice(v, s...)
	case []uint64:
		return tensor.FromSlice(v, s...)
	}
	return nil, fmt.Errorf("engine returned flat data of type %T, which has no backplane dtype", flat)
}

// CopyStats counts the tensor copies made between backplane and an engine.
// The figures are cumulative over the Prepared model's life.
type CopyStats struct {
	InCopies   int64 // input tensors copied into engine buffers
	InBytes    int64 // bytes of those copies
	OutCopies  int64 // outputs copied out of engine buffers
	OutBytes   int64 // bytes of those copies
	OutZeroCpy int64 // outputs handed over without a copy (engine storage adopted)
	WeightCopy int64 // bytes of weights uploaded (once, at Prepare)
}

// copyCounters is the concurrency-safe form of CopyStats.
type copyCounters struct {
	inCopies, inBytes, outCopies, outBytes, outZero, weightBytes atomic.Int64
}

func (c *copyCounters) snapshot() CopyStats {
	return CopyStats{
		InCopies: c.inCopies.Load(), InBytes: c.inBytes.Load(),
		OutCopies: c.outCopies.Load(), OutBytes: c.outBytes.Load(),
		OutZeroCpy: c.outZero.Load(), WeightCopy: c.weightBytes.Load(),
	}
}

// upload copies t into a new engine buffer on device 0; with carry16 (the
// pure-Go engine) a float16 tensor goes as float32.
func upload(be gobackends.Backend, t *tensor.Tensor, carry16 bool) (gobackends.Buffer, error) {
	if t.DType() == tensor.Float16 && carry16 {
		// The pure-Go engine carries float16 as float32 (bfloat16.go): widen, exactly.
		wide, err := t.AsType(tensor.Float32)
		if err != nil {
			return nil, err
		}
		t = wide
	}
	shape, err := toGoMLXShape(t.DType(), t.Shape())
	if err != nil {
		return nil, err
	}
	return be.BufferFromFlatData(0, flatForEngine(t), shape)
}

// download turns an output buffer the caller now owns into a tensor of shape
// s. With adopt set (engines whose output buffers are plain Go memory never
// reused unless finalized) the buffer's storage becomes the tensor's and the
// buffer is left to the garbage collector; otherwise the data is copied and
// the buffer released. It reports whether a copy was made. With carry16 a
// float16 output comes as float32 and is narrowed (a copy).
func download(be gobackends.Backend, buf gobackends.Buffer, d tensor.DType, s tensor.Shape, adopt, carry16 bool) (*tensor.Tensor, bool, error) {
	if d == tensor.Float16 && carry16 {
		// Carried as float32 holding float16 numbers: narrowing is exact.
		wide, _, err := download(be, buf, tensor.Float32, s, adopt, false)
		if err != nil {
			return nil, false, err
		}
		t, err := wide.AsType(tensor.Float16)
		return t, true, err
	}
	if adopt {
		flat, err := be.BufferData(buf)
		if err != nil {
			return nil, false, err
		}
		t, err := tensorFromFlat(flat, s)
		if err == nil && t.DType() != d {
			err = fmt.Errorf("engine returned %v data for a %v output", t.DType(), d)
		}
		return t, false, err
	}
	t, err := tensor.New(d, s...)
	if err != nil {
		_ = be.BufferFinalize(buf)
		return nil, false, err
	}
	err = be.BufferToFlatData(buf, flatForEngine(t))
	if ferr := be.BufferFinalize(buf); err == nil {
		err = ferr
	}
	return t, true, err
}
