//go:build cgo

package ortpeer

import (
	"errors"
	"fmt"
	"reflect"
	goruntime "runtime"
	"strconv"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

var (
	initOnce sync.Once
	initErr  error
	libPath  string
)

// Available loads ONNX Runtime and initializes its environment the first
// time it is called, and returns nil when the peer can run. Otherwise the
// error (kind runtime.ErrUnavailable) says what is missing and how to get it,
// e.g. "run `make ort`". The outcome is fixed for the life of the process:
// ONNX Runtime's environment is process-wide and never torn down, because
// sessions of any package may still be using it.
func Available() error {
	initOnce.Do(func() {
		libPath, initErr = LibraryPath()
		if initErr != nil {
			return
		}
		ort.SetSharedLibraryPath(libPath)
		// Warnings (e.g. about unused initializers) would interleave with
		// benchmark output; errors still come back through the API.
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			initErr = unavailable(fmt.Errorf("loading %s: %w (run `make ort` for a working copy, or set %s)",
				libPath, err, LibEnv))
		}
	})
	return initErr
}

// Version returns the loaded library's version, e.g. "1.30.0", or "" when
// the peer is not available.
func Version() string {
	if Available() != nil {
		return ""
	}
	return ort.GetVersion()
}

// Session is one ONNX model loaded into ONNX Runtime on the CPU execution
// provider, with sequential node execution (one node at a time, inter-op
// threads 1) and ONNX Runtime's full graph optimizations. Run may be called
// from several goroutines at once; Close waits for running calls.
type Session struct {
	name      string
	threads   int
	mu        sync.RWMutex
	sess      *ort.DynamicAdvancedSession // nil once closed
	in, out   []ort.InputOutputInfo
	inNames   []string
	outNames  []string
	outDTypes []tensor.DType
}

// Load compiles an ONNX model (the bytes of a .onnx file) into a session.
// The peer must be Available. A model ONNX Runtime rejects gives an error
// of kind runtime.ErrBackend, mode compile; a model whose inputs or outputs
// are not tensors of a dtype backplane has gives runtime.ErrUnsupported.
func Load(onnx []byte, opt Options) (*Session, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	s := &Session{name: opt.Name, threads: opt.IntraOpThreads}
	if s.name == "" {
		s.name = "onnx model"
	}
	if s.threads <= 0 {
		s.threads = goruntime.GOMAXPROCS(0)
	}
	if len(onnx) == 0 {
		return nil, s.fail(runtime.ErrInvalidArtifact, "", "", errors.New("empty ONNX model"))
	}
	in, out, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return nil, s.fail(runtime.ErrBackend, runtime.ModeCompile, "", err)
	}
	s.in, s.out = in, out
	if len(in) == 0 || len(out) == 0 {
		// onnxruntime_go v1.27 indexes the first input and output of every
		// Run: a model with none cannot be run through it.
		return nil, s.fail(runtime.ErrUnsupported, runtime.ModeUnsupported, "",
			fmt.Errorf("the model has %d inputs and %d outputs; onnxruntime_go runs only models with at least one of each", len(in), len(out)))
	}
	for _, io := range in {
		if _, err := dtypeOf(io); err != nil {
			return nil, s.fail(runtime.ErrUnsupported, runtime.ModeUnsupported, io.Name, err)
		}
		s.inNames = append(s.inNames, io.Name)
	}
	for _, io := range out {
		d, err := dtypeOf(io)
		if err == nil && (d == tensor.Float16 || d == tensor.BFloat16) {
			// onnxruntime_go copies one byte per element of such outputs.
			err = fmt.Errorf("%s outputs are not read back correctly by onnxruntime_go v1.27", d)
		}
		if err != nil {
			return nil, s.fail(runtime.ErrUnsupported, runtime.ModeUnsupported, io.Name, err)
		}
		s.outNames = append(s.outNames, io.Name)
		s.outDTypes = append(s.outDTypes, d)
	}
	opts, err := s.sessionOptions(opt.Spin)
	if err != nil {
		return nil, s.fail(runtime.ErrBackend, runtime.ModeCompile, "", err)
	}
	defer opts.Destroy()
	s.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(onnx, s.inNames, s.outNames, opts)
	if err != nil {
		return nil, s.fail(runtime.ErrBackend, runtime.ModeCompile, "", err)
	}
	return s, nil
}

// sessionOptions states every threading choice rather than inheriting
// ONNX Runtime's defaults, which depend on the machine.
func (s *Session) sessionOptions(spin bool) (*ort.SessionOptions, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	spinning := "0"
	if spin {
		spinning = "1"
	}
	for _, set := range []func() error{
		func() error { return opts.SetIntraOpNumThreads(s.threads) },
		func() error { return opts.SetInterOpNumThreads(1) },
		func() error { return opts.SetExecutionMode(ort.ExecutionModeSequential) },
		func() error { return opts.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning) },
	} {
		if err := set(); err != nil {
			opts.Destroy()
			return nil, err
		}
	}
	return opts, nil
}

// Threads is the intra-op thread count the session runs with.
func (s *Session) Threads() int { return s.threads }

// InputNames lists the model's inputs in the order Run takes them.
func (s *Session) InputNames() []string { return append([]string(nil), s.inNames...) }

// OutputNames lists the model's outputs in the order Run returns them.
func (s *Session) OutputNames() []string { return append([]string(nil), s.outNames...) }

// Run executes the model once. inputs follow InputNames; each must have the
// declared dtype, rank and every fixed dimension (runtime.ErrInvalidInput
// names the input otherwise). The outputs are fresh tensors the caller owns.
// ONNX Runtime reads the inputs in place, without a copy.
func (s *Session) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sess == nil {
		return nil, &runtime.Error{Kind: runtime.ErrClosed, Model: s.name, Backend: Name}
	}
	if len(inputs) != len(s.in) {
		return nil, s.fail(runtime.ErrInvalidInput, "", "",
			fmt.Errorf("got %d inputs, the model takes %d %q", len(inputs), len(s.in), s.inNames))
	}
	vals := make([]ort.Value, len(inputs))
	outs := make([]ort.Value, len(s.out))
	defer destroyAll(vals)
	defer destroyAll(outs)
	for i, t := range inputs {
		if err := checkInput(s.in[i], t); err != nil {
			return nil, s.fail(runtime.ErrInvalidInput, "", s.inNames[i], err)
		}
		v, err := toValue(t)
		if err != nil {
			return nil, s.fail(runtime.ErrInvalidInput, "", s.inNames[i], err)
		}
		vals[i] = v
	}
	if err := s.sess.Run(vals, outs); err != nil {
		return nil, s.fail(runtime.ErrBackend, runtime.ModeRuntime, "", err)
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, v := range outs {
		t, err := fromValue(v)
		if err == nil && t.DType() != s.outDTypes[i] {
			err = fmt.Errorf("ONNX Runtime returned %s, the model declares %s", t.DType(), s.outDTypes[i])
		}
		if err != nil {
			return nil, s.fail(runtime.ErrBackend, runtime.ModeRuntime, s.outNames[i], fmt.Errorf("output: %w", err))
		}
		res[i] = t
	}
	return res, nil
}

// Close releases the session; later Runs fail with runtime.ErrClosed.
// Closing twice is a no-op.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	s.sess = nil
	return err
}

func (s *Session) fail(kind error, mode runtime.FailureMode, input string, err error) error {
	return &runtime.Error{Kind: kind, Model: s.name, Backend: Name, Input: input, Mode: mode, Err: err}
}

// destroyAll frees values, skipping absent ones: onnxruntime_go leaves a
// typed nil (a nil *Tensor in a non-nil interface) in an output it failed
// to convert, and calling Destroy on that would crash.
func destroyAll(vs []ort.Value) {
	for _, v := range vs {
		if !isNilValue(v) {
			v.Destroy()
		}
	}
}

// isNilValue reports a nil interface or an interface holding a nil pointer.
func isNilValue(v ort.Value) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}

// dtypes maps ONNX Runtime's element types to backplane's.
var dtypes = map[ort.TensorElementDataType]tensor.DType{
	ort.TensorElementDataTypeFloat:    tensor.Float32,
	ort.TensorElementDataTypeDouble:   tensor.Float64,
	ort.TensorElementDataTypeFloat16:  tensor.Float16,
	ort.TensorElementDataTypeBFloat16: tensor.BFloat16,
	ort.TensorElementDataTypeInt8:     tensor.Int8,
	ort.TensorElementDataTypeUint8:    tensor.Uint8,
	ort.TensorElementDataTypeInt32:    tensor.Int32,
	ort.TensorElementDataTypeInt64:    tensor.Int64,
	ort.TensorElementDataTypeBool:     tensor.Bool,
}

// dtypeOf is the backplane dtype of a tensor input or output.
func dtypeOf(io ort.InputOutputInfo) (tensor.DType, error) {
	if io.OrtValueType != ort.ONNXTypeTensor {
		return tensor.Invalid, fmt.Errorf("%s values are not tensors", io.OrtValueType)
	}
	d, ok := dtypes[io.DataType]
	if !ok {
		return tensor.Invalid, fmt.Errorf("element type %s has no backplane dtype", io.DataType)
	}
	return d, nil
}

// checkInput compares a tensor with the model's declaration: dtype, rank and
// every dimension that is not free (ONNX Runtime reports free ones as -1).
func checkInput(io ort.InputOutputInfo, t *tensor.Tensor) error {
	if t == nil {
		return errors.New("nil tensor")
	}
	want, _ := dtypeOf(io) // checked at Load
	if t.DType() != want {
		return fmt.Errorf("dtype %s, the model declares %s", t.DType(), want)
	}
	shape := t.Shape()
	if len(shape) != len(io.Dimensions) {
		return fmt.Errorf("shape %v, the model declares %s", shape, declared(io.Dimensions))
	}
	for i, d := range io.Dimensions {
		if d >= 0 && int64(shape[i]) != d {
			return fmt.Errorf("shape %v, the model declares %s", shape, declared(io.Dimensions))
		}
	}
	return nil
}

// declared formats declared dimensions with "?" for free ones.
func declared(dims ort.Shape) string {
	b := []byte{'['}
	for i, d := range dims {
		if i > 0 {
			b = append(b, ' ')
		}
		if d < 0 {
			b = append(b, '?')
		} else {
			b = strconv.AppendInt(b, d, 10)
		}
	}
	return string(append(b, ']'))
}

// toValue wraps t's data in an ONNX Runtime value without copying it.
func toValue(t *tensor.Tensor) (ort.Value, error) {
	shape := make(ort.Shape, t.Rank())
	for i, d := range t.Shape() {
		shape[i] = int64(d)
	}
	switch t.DType() {
	case tensor.Float32:
		return newValue[float32](t, shape)
	case tensor.Float64:
		return newValue[float64](t, shape)
	case tensor.Int8:
		return newValue[int8](t, shape)
	case tensor.Uint8:
		return newValue[uint8](t, shape)
	case tensor.Int32:
		return newValue[int32](t, shape)
	case tensor.Int64:
		return newValue[int64](t, shape)
	case tensor.Bool:
		return newValue[bool](t, shape)
	case tensor.Float16, tensor.BFloat16:
		if t.Rank() == 0 || t.NumElements() == 0 {
			return nil, fmt.Errorf("onnxruntime_go cannot pass a %s tensor of shape %v", t.DType(), t.Shape())
		}
		et := ort.TensorElementDataType(ort.TensorElementDataTypeFloat16)
		if t.DType() == tensor.BFloat16 {
			et = ort.TensorElementDataTypeBFloat16
		}
		return ort.NewCustomDataTensor(shape, t.Bytes(), et)
	}
	return nil, fmt.Errorf("dtype %s has no ONNX Runtime element type", t.DType())
}

// newValue wraps a tensor of element type T; rank 0 becomes an ONNX
// Runtime scalar because onnxruntime_go's tensors need at least one axis.
func newValue[T float32 | float64 | int8 | uint8 | int32 | int64 | bool](t *tensor.Tensor, shape ort.Shape) (ort.Value, error) {
	data := tensor.MustView[T](t)
	if len(shape) == 0 {
		return ort.NewScalar(data[0])
	}
	return ort.NewTensor(shape, data)
}

// fromValue turns an output into a tensor sharing the Go slice onnxruntime_go
// already copied the result into.
func fromValue(v ort.Value) (*tensor.Tensor, error) {
	if isNilValue(v) {
		return nil, errors.New("missing")
	}
	switch v := v.(type) {
	case *ort.Tensor[float32]:
		return fromTensor(v)
	case *ort.Tensor[float64]:
		return fromTensor(v)
	case *ort.Tensor[int8]:
		return fromTensor(v)
	case *ort.Tensor[uint8]:
		return fromTensor(v)
	case *ort.Tensor[int32]:
		return fromTensor(v)
	case *ort.Tensor[int64]:
		return fromTensor(v)
	case *ort.Tensor[bool]:
		return fromTensor(v)
	}
	return nil, fmt.Errorf("a %T has no backplane tensor form", v)
}

func fromTensor[T float32 | float64 | int8 | uint8 | int32 | int64 | bool](v *ort.Tensor[T]) (*tensor.Tensor, error) {
	s := v.GetShape()
	shape := make([]int, len(s))
	for i, d := range s {
		shape[i] = int(d)
	}
	return tensor.FromSlice(v.GetData(), shape...)
}
