// Package benchmarks holds backplane's `go test -bench` comparisons: op
// micro-benchmarks and zoo models across backends. It has no non-test code;
// run it with `make bench` or
//
//	go test -run '^$' -bench . -benchmem ./benchmarks/
//
// Each benchmark reports ns/op and allocs/op, plus GFLOP/s where the work is
// counted. Compare backends as ratios taken in one run: the machines are noisy.
package benchmarks
