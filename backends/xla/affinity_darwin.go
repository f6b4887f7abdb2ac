//go:build cgo && darwin && !noxla

package xla

// withCPUs runs f; a thread count other than the default needs CPU
// affinity, which macOS does not have.
func withCPUs(n int, f func() error) error {
	if n > 0 {
		return errNoAffinity
	}
	return f()
}
