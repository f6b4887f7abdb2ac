//go:build !cgo

package ortpeer

import (
	"errors"

	"github.com/backplane-ml/backplane/tensor"
)

// errNoCgo is why the peer cannot run in a build without cgo: onnxruntime_go
// loads the library through cgo's dlopen.
var errNoCgo = unavailable(errors.New("built with CGO_ENABLED=0, but ONNX Runtime is loaded through cgo: " +
	"rebuild with cgo and run `make ort`"))

// Available always fails without cgo, saying so.
func Available() error { return errNoCgo }

// Version is "" without cgo.
func Version() string { return "" }

// Session is the cgo build's ONNX Runtime session; without cgo none can be made.
type Session struct{}

// Load fails without cgo with runtime.ErrUnavailable.
func Load(onnx []byte, opt Options) (*Session, error) { return nil, errNoCgo }

// Threads is 0 without cgo.
func (s *Session) Threads() int { return 0 }

// InputNames is nil without cgo.
func (s *Session) InputNames() []string { return nil }

// OutputNames is nil without cgo.
func (s *Session) OutputNames() []string { return nil }

// Run fails without cgo.
func (s *Session) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return nil, errNoCgo
}

// Close is a no-op without cgo.
func (s *Session) Close() error { return nil }
