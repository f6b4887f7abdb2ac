package benchmarks

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/internal/zoobench"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/tensor"
)

// onnxBenchModels are the shared ONNX models BenchmarkONNXFiles measures:
// real architectures, and ONNX files ONNX Runtime can take as they are, so
// the peer comparison needs no exporter.
var onnxBenchModels = []string{"light/test_squeezenet", "light/test_resnet50"}

// BenchmarkONNXFiles runs ONNX model files from the shared test data on every
// available backend (through the importer) and on ONNX Runtime (the file
// itself), as model/runner, with the folder's first data set as input.
// max-abs-err is against the outputs stored beside the model (the ONNX test
// data, not ref); the ORT sub-benchmark adds best/ORT as BenchmarkORT does.
func BenchmarkONNXFiles(b *testing.B) {
	dir, err := onnxtest.SharedDir()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range onnxBenchModels {
		folder := filepath.Join(dir, name)
		cases, err := onnxtest.Discover(folder)
		if err != nil {
			b.Logf("skipping %s: %v (set %s to the shared ONNX test data)", name, err, onnxtest.SharedDataEnv)
			continue
		}
		c := cases[0]
		art, err := onnx.ImportFile(c.ModelPath, onnx.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cost, err := models.FLOPs(art, nil)
		if err != nil {
			b.Fatal(err)
		}
		in, want := readDataSet(b, c.DataSets[0])
		best := bestTime{}
		for _, be := range availableBackends() {
			b.Run(c.Name+"/"+be, func(b *testing.B) {
				r, err := zoobench.OpenBackend(ctx, be, art)
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				ns := runFile(b, r, in, want, cost.FLOPs)
				if best.ns == 0 || ns < best.ns {
					best = bestTime{be, ns}
				}
			})
		}
		b.Run(c.Name+"/"+ortpeer.Name, func(b *testing.B) {
			if err := ortpeer.Available(); err != nil {
				b.Skip(err)
			}
			data, err := os.ReadFile(c.ModelPath)
			if err != nil {
				b.Fatal(err)
			}
			s, err := ortpeer.Load(data, ortpeer.Options{Name: c.Name})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ns := runFile(b, ortFileRunner{s}, in, want, cost.FLOPs)
			if best.ns > 0 {
				b.ReportMetric(best.ns/ns, "best/ORT")
				b.Logf("best backend %s: %.3g ns/op; ONNX Runtime %s (%d threads): %.3g ns/op",
					best.backend, best.ns, ortpeer.Version(), s.Threads(), ns)
			}
		})
	}
}

// ortFileRunner adapts a session to zoobench.Runner.
type ortFileRunner struct{ s *ortpeer.Session }

func (r ortFileRunner) Name() string { return ortpeer.Name }
func (r ortFileRunner) Close() error { return r.s.Close() }
func (r ortFileRunner) Run(_ context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return r.s.Run(in)
}

// runFile times r after a warm-up run and reports GFLOP/s and the error
// against the stored outputs; it returns ns/op.
func runFile(b *testing.B, r zoobench.Runner, in, want []*tensor.Tensor, flops int64) float64 {
	ctx := context.Background()
	out, err := r.Run(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Run(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(flops)/ns, "GFLOP/s")
	maxErr, err := zoobench.MaxAbsErr(out, want)
	if err != nil {
		b.Fatalf("comparing with the stored outputs: %v", err)
	}
	b.ReportMetric(maxErr*1e9, errUnit)
	return ns
}

// readDataSet decodes a data set's input_K.pb and output_K.pb files.
func readDataSet(b *testing.B, ds onnxtest.DataSet) (in, out []*tensor.Tensor) {
	read := func(paths []string) []*tensor.Tensor {
		var ts []*tensor.Tensor
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			pb, err := onnxpb.DecodeTensor(data)
			if err != nil {
				b.Fatalf("%s: %v", p, err)
			}
			t, err := onnxpb.ToTensor(pb, onnxpb.DirLoader(filepath.Dir(p)))
			if err != nil {
				b.Fatalf("%s: %v", p, err)
			}
			ts = append(ts, t)
		}
		return ts
	}
	return read(ds.Inputs), read(ds.Outputs)
}
