//go:build (!amd64 && !arm64) || !gc || purego

package kernels

// On this platform or under purego only the Go kernels exist.
func supported(string) bool { return false }

var candidates []*ISA
