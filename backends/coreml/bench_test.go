package coreml

import (
	"testing"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// BenchmarkConvert measures converting the demo's MLP (784-256-128-10, batch
// 8, 235146 weights) and SmallCNN (3×32×32, batch 4) in both precisions, and
// the cost of CheckSupport alone. MB/s counts the bytes of the .mlmodel.
func BenchmarkConvert(b *testing.B) {
	mlp, err := models.MLP(models.MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	cnn, err := models.SmallCNN(models.SmallCNNConfig{Channels: 3, Size: 32, Classes: 10, Seed: 2})
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name   string
		a      *runtime.Artifact
		shapes [][]int
	}{{"mlp", mlp, [][]int{{8, 784}}}, {"cnn", cnn, [][]int{{4, 3, 32, 32}}}} {
		bound, err := Bind(m.a, m.shapes)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range []Precision{Float32, Float16} {
			b.Run(m.name+"/"+p.String(), func(b *testing.B) {
				b.ReportAllocs()
				var n int
				for b.Loop() {
					data, err := Convert(bound, p)
					if err != nil {
						b.Fatal(err)
					}
					n = len(data)
				}
				b.SetBytes(int64(n))
			})
		}
		b.Run(m.name+"/check", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := CheckSupport(m.a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
