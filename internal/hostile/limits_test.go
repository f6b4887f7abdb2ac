package hostile

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// Every attack must end within this long: a hang is the failure mode looked
// for, so the bound is generous enough for a loaded CI machine under -race
// while catching anything that blocks (the target is 2 s; the
// measured time is logged).
const attackDeadline = 20 * time.Second

// rssLimit is how far the process's peak RSS may rise during one attack.
const rssLimit = 256 << 20

// statusKB reads a "Name:   123 kB" line of /proc/self/status.
func statusKB(field string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if f := bytes.Fields(line); len(f) >= 2 && string(f[0]) == field+":" {
			n, err := strconv.ParseInt(string(f[1]), 10, 64)
			return n << 10, err == nil
		}
	}
	return 0, false
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+).
func resetPeakRSS() bool { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil }

// attack runs f, failing the test if it does not return within
// attackDeadline or (where Linux lets the peak RSS be measured) if the
// process's peak RSS rises by more than rssLimit meanwhile. It returns f's error.
func attack(t *testing.T, name string, f func() error) error {
	t.Helper()
	runtime.GC()
	measured := resetPeakRSS()
	base, ok := statusKB("VmRSS")
	measured = measured && ok
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(attackDeadline):
		t.Fatalf("%s: no answer after %v (hang)", name, attackDeadline)
	}
	took := time.Since(start)
	if measured {
		peak, _ := statusKB("VmHWM")
		t.Logf("%s: %v, peak RSS +%d MiB: %v", name, took.Round(time.Millisecond), (peak-base)>>20, err)
		if peak-base > rssLimit {
			t.Errorf("%s: peak RSS rose by %d MiB, more than %d MiB", name, (peak-base)>>20, rssLimit>>20)
		}
	} else {
		t.Logf("%s: %v (RSS not measurable here): %v", name, took.Round(time.Millisecond), err)
	}
	return err
}
