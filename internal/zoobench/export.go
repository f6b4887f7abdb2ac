package zoobench

import (
	"errors"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Exporter turns an artifact into the bytes of an equivalent .onnx model,
// the form the ONNX Runtime peer takes.
type Exporter func(a *runtime.Artifact) ([]byte, error)

// ErrNoExporter means no artifact→ONNX exporter was given, so zoo models
// cannot be handed to ONNX Runtime; benchmarks and `backplane bench` skip
// the peer with this message.
var ErrNoExporter = errors.New("no ONNX exporter given, so zoo models cannot go to ONNX Runtime")

// ExportONNX is the Exporter benchmarks and `backplane bench` use: models/onnx's
// exporter at its default opset.
func ExportONNX(a *runtime.Artifact) ([]byte, error) {
	return onnx.Export(a, onnx.ExportOptions{})
}

// ExporterWired returns ErrNoExporter when export is nil or reports
// ErrNoExporter on a one-node probe model, so that callers can drop the
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
