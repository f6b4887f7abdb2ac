package benchmarks

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/tensor"
)

// onnxBenchModels are the shared ONNX test folders benchmarked: the two
// whole networks, and layer tests that exercise a matmul (Linear) and the
// activations. The benchmark runs each on every available backend that
// supports it (a backend lacking an op is skipped and says which).
var onnxBenchModels = []string{
	"light/test_resnet50", "light/test_squeezenet",
	"pytorch-converted/test_Linear", "pytorch-converted/test_Softmax", "pytorch-converted/test_SELU",
}

// onnxDataDir is ../shared/testdata/onnx next to the repository root, or
// $BACKPLANE_ONNX_TESTDATA.
func onnxDataDir(b *testing.B) string {
	if dir := os.Getenv("BACKPLANE_ONNX_TESTDATA"); dir != "" {
		return dir
	}
	wd, err := os.Getwd() // the benchmarks directory
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(filepath.Dir(filepath.Dir(wd)), "shared", "testdata", "onnx")
}

// BenchmarkONNX runs shared ONNX test models on each backend with the inputs
// of their first test data set. ns/op is one inference; no FLOP count is
// reported because the importer does not count them.
func BenchmarkONNX(b *testing.B) {
	root := onnxDataDir(b)
	if _, err := os.Stat(root); err != nil {
		b.Skipf("shared ONNX test data not found at %s (set BACKPLANE_ONNX_TESTDATA)", root)
	}
	for _, rel := range onnxBenchModels {
		cases, err := onnxtest.Discover(filepath.Join(root, rel))
		if err != nil {
			b.Fatal(err)
		}
		c := cases[0]
		art, err := onnx.ImportFile(c.ModelPath, onnx.Options{})
		if err != nil {
			b.Fatal(err)
		}
		inputs := make([]*tensor.Tensor, len(c.DataSets[0].Inputs))
		for k, path := range c.DataSets[0].Inputs {
			if inputs[k], err = readPB(path); err != nil {
				b.Fatal(err)
			}
		}
		for _, be := range availableBackends() {
			b.Run(fmt.Sprintf("%s/%s", c.Name, be), func(b *testing.B) {
				benchModel(b, be, art, 0, inputs...)
			})
		}
	}
}

// readPB reads one serialized TensorProto (input_K.pb).
func readPB(path string) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := onnxpb.DecodeTensor(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return onnxpb.ToTensor(p, onnxpb.DirLoader(filepath.Dir(path)))
}
