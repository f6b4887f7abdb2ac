//go:build !(linux || darwin || freebsd)

package runtime

// addressSpaceLimit is 0 where the system has no RLIMIT_AS.
func addressSpaceLimit() uint64 { return 0 }
