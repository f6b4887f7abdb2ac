package zoobench

import (
	"errors"

	"github.com/backplane-ml/backplane/runtime"
)

// Exporter turns an artifact into the bytes of an equivalent .onnx model,
// the form the ONNX Runtime peer takes.
type Exporter func(a *runtime.Artifact) ([]byte, error)

// ErrNoExporter means no artifact→ONNX exporter is wired in, so zoo models
// cannot be given to ONNX Runtime; benchmarks and `backplane bench` skip
// the peer with this message.
var ErrNoExporter = errors.New("no ONNX exporter is wired in (see zoobench.ExportONNX), so zoo models cannot go to ONNX Runtime")

// ExportONNX is the Exporter benchmarks and `backplane bench` use.
//
// MERGE(onnx-export): this is the single call site of models/onnx's
// exporter. When it lands, replace the body with
//
//	return onnx.Export(a, onnx.ExportOptions{})
//
// (importing "github.com/backplane-ml/backplane/models/onnx").
func ExportONNX(a *runtime.Artifact) ([]byte, error) {
	return nil, ErrNoExporter
}
