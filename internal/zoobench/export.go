package zoobench

import (
	"errors"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
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

// ExporterWired returns ErrNoExporter when export is nil or is not wired
// in yet, judged on a one-node probe model, so that callers can drop the
// ONNX Runtime peer up front instead of failing on every model.
func ExporterWired(export Exporter) error {
	if export == nil {
		return ErrNoExporter
	}
	b := runtime.NewBuilder("exporter_probe")
	b.Output("y", b.Op("relu", nil, b.Input("x", tensor.Float32, runtime.Static(1))))
	probe, err := b.Build()
	if err != nil {
		return err
	}
	if _, err := export(probe); errors.Is(err, ErrNoExporter) {
		return err
	}
	return nil
}
