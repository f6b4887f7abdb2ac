//go:build cgo && linux && (amd64 || arm64) && !noxla

package xla

import (
	"fmt"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// withCPUs runs f on an OS thread whose CPU affinity is the first n CPUs of
// the process's mask (n <= 0: unchanged), then restores the thread's mask.
//
// XLA's CPU client sizes its thread pools from the affinity mask of the
// thread that creates it (tsl's NumSchedulableCPUs reads
// sched_getaffinity of the calling thread) and its pool threads inherit that
// mask, so a client created here runs every computation on at most n cores.
// Go's own threads are not affected.
func withCPUs(n int, f func() error) error {
	if n <= 0 {
		return f()
	}
	goruntime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		goruntime.UnlockOSThread()
		return fmt.Errorf("reading the CPU affinity mask: %w", err)
	}
	if n > old.Count() {
		goruntime.UnlockOSThread()
		return fmt.Errorf("Options.Threads is %d, but this process may run on %d CPUs", n, old.Count())
	}
	var set unix.CPUSet
	for cpu, picked := 0, 0; picked < n; cpu++ {
		if old.IsSet(cpu) {
			set.Set(cpu)
			picked++
		}
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		goruntime.UnlockOSThread()
		return fmt.Errorf("restricting the CPU affinity mask to %d CPUs: %w", n, err)
	}
	err := f()
	if unix.SchedSetaffinity(0, &old) == nil {
		goruntime.UnlockOSThread()
	} // else the thread keeps the narrow mask and stays locked: Go ends it with the goroutine
	return err
}
