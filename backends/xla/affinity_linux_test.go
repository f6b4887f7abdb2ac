//go:build cgo && linux && (amd64 || arm64) && !noxla

package xla

import (
	"context"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/backplane-ml/backplane/tensor"
)

func affinityCount(t *testing.T) int {
	var set unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &set))
	return set.Count()
}

// withCPUs narrows the calling thread's mask for f only.
func TestWithCPUsRestoresTheMask(t *testing.T) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	all := affinityCount(t)
	var inside int
	require.NoError(t, withCPUs(1, func() error { inside = affinityCount(t); return nil }))
	require.Equal(t, 1, inside)
	require.Equal(t, all, affinityCount(t))
	require.ErrorContains(t, withCPUs(all+1, func() error { return nil }), "may run on")
	require.NoError(t, withCPUs(0, func() error { inside = affinityCount(t); return nil }))
	require.Equal(t, all, inside)
}

// A client made for Threads: 1 runs its Eigen pool (threads XLA names
// tf_XLAEigen) on one CPU; the process's mask is untouched.
func TestThreadsPinXLAPools(t *testing.T) {
	if affinityCount(t) < 2 {
		t.Skip("needs at least 2 CPUs in the affinity mask")
	}
	all := affinityCount(t)
	pinned := func() (one, total int) {
		tasks, err := filepath.Glob("/proc/self/task/*")
		require.NoError(t, err)
		for _, task := range tasks {
			comm, err1 := os.ReadFile(filepath.Join(task, "comm"))
			status, err2 := os.ReadFile(filepath.Join(task, "status"))
			if err1 != nil || err2 != nil || strings.TrimSpace(string(comm)) != "tf_XLAEigen" {
				continue // the thread ended, or is not XLA's
			}
			total++
			for _, l := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok && !strings.ContainsAny(v, ",-") {
					one++
				}
			}
		}
		return one, total
	}
	before, _ := pinned()
	for _, b := range testEngines(t, Options{Threads: 1}) {
		if b.Name() != XLAName {
			continue
		}
		require.Contains(t, b.Detail(), "threads: 1")
		p, err := b.Prepare(context.Background(), scaleModel(t))
		require.NoError(t, err)
		out, err := p.Run(context.Background(), []*tensor.Tensor{batchOf(t, 2)})
		require.NoError(t, err)
		require.Equal(t, []float32{3, 3, 3, 3, 3, 3}, tensor.MustView[float32](out[0]))
		require.NoError(t, p.Close())
		after, total := pinned()
		require.Greater(t, after, before, "the 1-thread client's Eigen pool is pinned to one CPU (%d Eigen threads)", total)
		require.Equal(t, all, affinityCount(t))
	}
}
