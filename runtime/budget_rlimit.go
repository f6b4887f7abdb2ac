//go:build linux || darwin || freebsd

package runtime

import "syscall"

// addressSpaceLimit returns the soft RLIMIT_AS (0 when unlimited, which the
// kernel reports as all ones, or unknown).
func addressSpaceLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur >= 1<<62 {
		return 0
	}
	return uint64(r.Cur)
}
