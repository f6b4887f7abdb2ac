// Package benchmarks holds backplane's `go test -bench` comparisons: op
// micro-benchmarks, zoo models across backends, and the ONNX Runtime peer.
// It has no non-test code; run it with `make bench` or
//
//	go test -run '^$' -bench . -benchmem ./benchmarks/
//
// Each benchmark reports ns/op and allocs/op, plus GFLOP/s where the work is
// counted. BenchmarkZoo runs every zoo model (models.Zoo) at batch 1 and 8 on
// every available backend and also reports max-abs-err(1e-9), the largest
// difference from ref's outputs in units of 1e-9.
// BenchmarkORT runs the same cases on ONNX Runtime and reports best/ORT, the
// best backend's time over ONNX Runtime's; BenchmarkONNXFiles does the same
// on ONNX files of the shared test data. The ONNX Runtime benchmarks need its
// library (`make ort`) and skip, saying so under -v, without it.
// Compare backends as ratios taken in one run: the machines are noisy.
package benchmarks
