package benchmarks

import (
	"context"
	"fmt"
	"testing"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/internal/zoobench"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// kernelShape is a one-node model for BenchmarkCPUKernels: its first operand
// is the input, the rest are weights (as in a trained model).
type kernelShape struct {
	name   string
	op     string
	attrs  ops.Attrs
	shapes [][]int // input, then weights
	flops  float64
}

func cpuKernelShapes() []kernelShape {
	var out []kernelShape
	for _, n := range []int{64, 128, 256, 512, 1024} {
		out = append(out, kernelShape{name: fmt.Sprintf("gemm/%d", n), op: "matmul",
			shapes: [][]int{{n, n}, {n, n}}, flops: 2 * float64(n) * float64(n) * float64(n)})
	}
	conv := func(name string, c, m, hw, k, stride, group int) kernelShape {
		pad := k / 2
		out := (hw+2*pad-k)/stride + 1
		return kernelShape{name: "conv/" + name, op: "conv",
			attrs:  ops.Attrs{"pads": []int{pad, pad, pad, pad}, "strides": []int{stride, stride}, "group": group},
			shapes: [][]int{{1, c, hw, hw}, {m, c / group, k, k}, {m}},
			flops:  2 * float64(m) * float64(c/group) * float64(k*k) * float64(out*out)}
	}
	return append(out,
		conv("resnet50-stem-7x7s2-3to64-224", 3, 64, 224, 7, 2, 1),
		conv("resnet50-3x3-64to64-56", 64, 64, 56, 3, 1, 1),
		conv("resnet50-1x1-64to256-56", 64, 256, 56, 1, 1, 1),
		conv("resnet50-3x3-256to256-14", 256, 256, 14, 3, 1, 1),
		conv("resnet50-1x1-2048to512-7", 2048, 512, 7, 1, 1, 1),
		conv("mobilenetv2-1x1-24to144-56", 24, 144, 56, 1, 1, 1),
		conv("mobilenetv2-dw3x3-144-56", 144, 144, 56, 3, 1, 144),
		conv("mobilenetv2-dw3x3s2-144-56", 144, 144, 56, 3, 2, 144),
		conv("mobilenetv2-1x1-960to160-7", 960, 160, 7, 1, 1, 1),
	)
}

func (k kernelShape) build(b *testing.B) (*runtime.Artifact, []*tensor.Tensor) {
	bld := runtime.NewBuilder(k.op)
	vals := []runtime.Value{bld.Input("x", tensor.Float32, runtime.Dims(k.shapes[0]...)...)}
	for i, s := range k.shapes[1:] {
		vals = append(vals, bld.Weight(fmt.Sprintf("w%d", i), rand32(b, uint64(i+2), s...)))
	}
	bld.Output("y", bld.Op(k.op, k.attrs, vals...))
	art, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	return art, []*tensor.Tensor{rand32(b, 1, k.shapes[0]...)}
}

// BenchmarkCPUKernels times the cpu backend's GEMM (64³…1024³, weights
// packed once) and conv shapes from ResNet-50 and MobileNetV2, each beside
// ONNX Runtime on the same one-node model when `make ort` has fetched it:
// GFLOP/s, allocs/op, and cpu/ORT (cpu's ns/op over ORT's; above 1: slower).
func BenchmarkCPUKernels(b *testing.B) {
	ortErr := ortpeer.Available()
	for _, k := range cpuKernelShapes() {
		art, in := k.build(b)
		var cpuNs float64
		b.Run(k.name+"/cpu", func(b *testing.B) {
			r, err := zoobench.OpenBackend(context.Background(), "cpu", art)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			cpuNs = timeRunner(b, r, in, k.flops)
		})
		b.Run(k.name+"/onnxruntime", func(b *testing.B) {
			if ortErr != nil {
				b.Skip(ortErr)
			}
			onnx, err := zoobench.ExportONNX(art)
			if err != nil {
				b.Skip(err)
			}
			s, err := ortpeer.Load(onnx, ortpeer.Options{Name: k.name})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ns := timeRunner(b, ortRunnerOf{s}, in, k.flops)
			if cpuNs > 0 {
				b.ReportMetric(cpuNs/ns, "cpu/ORT")
			}
		})
	}
}

type ortRunnerOf struct{ s *ortpeer.Session }

func (r ortRunnerOf) Name() string { return ortpeer.Name }
func (r ortRunnerOf) Close() error { return r.s.Close() }
func (r ortRunnerOf) Run(_ context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return r.s.Run(in)
}

func timeRunner(b *testing.B, r zoobench.Runner, in []*tensor.Tensor, flops float64) float64 {
	ctx := context.Background()
	if _, err := r.Run(ctx, in); err != nil { // warm-up: plan compiled, weights packed
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
	b.ReportMetric(flops/ns, "GFLOP/s")
	return ns
}
