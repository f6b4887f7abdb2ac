package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/backplane-ml/backplane/tensor/npy"
)

func cli(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, &out, &errb)
	return out.String(), errb.String(), status
}

func TestUsageAndUnknownCommand(t *testing.T) {
	_, stderr, status := cli(t)
	require.Equal(t, 2, status)
	require.Contains(t, stderr, "Usage:\n  backplane [flags]\n  backplane [command]")
	_, stderr, status = cli(t, "frobnicate")
	require.Equal(t, 2, status)
	require.Contains(t, stderr, `unknown command "frobnicate"`)
}

func TestBackendsListsRef(t *testing.T) {
	out, _, status := cli(t, "backends")
	require.Equal(t, 0, status)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Regexp(t, `^BACKEND\s+AVAILABLE\s+DETAIL`, lines[0])
	require.Contains(t, out, "ref")
	require.Regexp(t, `(?m)^ref\s+yes`, out)
}

func TestDemoPrintsTable(t *testing.T) {
	out, stderr, status := cli(t, "demo", "-iters", "1", "-models", "mlp,cnn")
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, "MAX ABS ERR VS REF")
	for _, m := range []string{"mlp", "cnn"} {
		// ref agrees with itself exactly.
		require.Regexp(t, `(?m)^`+m+`\s+\S+\s+ref\s+1\s+\S+\s+\S+\s+\S+\s+0\s+ok`, out)
		// Exactly one backend is marked as the runtime's choice, and it ran the model within tolerance.
		marked := regexp.MustCompile(`(?m)^`+m+`\s.*\sok\s+<- \S+$`).FindAllString(out, -1)
		require.Len(t, marked, 1, out)
	}
	require.NotContains(t, out, "DIVERGES")
	require.Contains(t, stderr, "[1/2] MLP")

	_, stderr, status = cli(t, "demo", "-models", "nosuch")
	require.Equal(t, 2, status)
	require.Contains(t, stderr, `no zoo model "nosuch"`)
}

func TestRunSavedArtifact(t *testing.T) {
	dir := t.TempDir()
	art, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 7})
	require.NoError(t, err)
	path := filepath.Join(dir, "mlp.bpa")
	require.NoError(t, art.Save(path))

	out, stderr, status := cli(t, "run", "--dim", "batch=3", "--iters", "2", "--out", dir, path)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, "output probs")
	require.Contains(t, out, "float32[3 2]")
	require.Contains(t, out, "2 runs: p50")
	// The runtime picks the most preferred backend that can run it (cpu here, xla with a plugin).
	require.Regexp(t, `served by (xla|cpu) \(2\); 0 with fallbacks`, out)
	require.Contains(t, out, "static preference: 2 of the 20 samples a backend needs before ranking")
	require.Regexp(t, `mlp-4-3-2\s+(xla|cpu)\s+2\s+2\s+-`, out) // telemetry row: 2 runs, 2 ok, no failures
	probs, err := npy.ReadFile(filepath.Join(dir, "probs.npy"))
	require.NoError(t, err)
	// Softmax rows sum to one.
	v := tensor.MustView[float32](probs)
	for r := 0; r < 3; r++ {
		require.InDelta(t, 1, v[2*r]+v[2*r+1], 1e-6)
	}

	// A named input read from a .npy file sets the batch (2) by its shape.
	x, err := tensor.Rand(tensor.Float32, 5, -1, 1, 2, 4)
	require.NoError(t, err)
	in := filepath.Join(dir, "x.npy")
	require.NoError(t, npy.WriteFile(in, x))
	out, stderr, status = cli(t, "run", "--input", "x="+in, path)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, "float32[2 2]")
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	art, err := models.MLP(models.MLPConfig{Inputs: 4, Classes: 2, Seed: 7})
	require.NoError(t, err)
	path := filepath.Join(dir, "mlp.bpa")
	require.NoError(t, art.Save(path))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"run", filepath.Join(dir, "nope.bpa")}, "no such file"},
		{"unknown backend", []string{"run", "--backend", "nope", path}, "not registered"},
		{"unknown dim", []string{"run", "--dim", "seq=4", path}, `no symbolic dimension "seq"`},
		{"unknown input", []string{"run", "--input", "y=" + path, path}, `no input "y"`},
		{"input not npy", []string{"run", "--input", path, path}, "npy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, status := cli(t, c.args...)
			require.Equal(t, 1, status)
			require.Contains(t, stderr, c.want)
		})
	}
	_, _, status := cli(t, "run")
	require.Equal(t, 2, status, "no artifact is a usage error")
	_, _, status = cli(t, "run", "-h")
	require.Equal(t, 0, status, "asking for help is not an error")
	x := filepath.Join(dir, "x.npy")
	require.NoError(t, npy.WriteFile(x, tensor.MustFromSlice([]float32{1, 2, 3, 4}, 1, 4)))
	_, stderr, status := cli(t, "run", "--input", "x="+x, "--input", "x="+x, path)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "given twice")
	_, stderr, status = cli(t, "run", "--dim", "batch=68719476736", path)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "more than")
}

func TestBackendsSaysWhetherAModelIsSupported(t *testing.T) {
	out, stderr, status := cli(t, "backends", "mlp")
	require.Equal(t, 0, status, stderr)
	require.Regexp(t, `^BACKEND\s+AVAILABLE\s+SUPPORTS mlp-784`, out)
	require.Regexp(t, `(?m)^ref\s+yes\s+yes`, out, "the reference backend runs every catalog op")

	_, stderr, status = cli(t, "backends", "no-such-model-or-file")
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "no-such-model-or-file")

	_, _, status = cli(t, "backends", "a", "b")
	require.Equal(t, 2, status)
}

func TestSoakShortRun(t *testing.T) {
	out, stderr, status := cli(t, "soak", "-duration", "1200ms", "-interval", "200ms", "-workers", "4", "-models", "mlp")
	require.Equal(t, 0, status, stderr+out)
	require.Regexp(t, `(?m)^\s+TIME\s+PHASE\s+OK`, out)
	// Phases alternate between a fault and clean, starting with errors.
	require.Regexp(t, `(?m)^\s+\S+\s+error\s+\d+`, out)
	require.Regexp(t, `(?m)^\s+\S+\s+clean\s+\d+`, out)
	require.Contains(t, out, "0 wrong results, 0 untyped errors")
	// The OK column counts each phase's requests: the phases add up to the total.
	var sum int
	for _, m := range regexp.MustCompile(`(?m)^\s+\S+\s+(?:error|clean|hostile|panic|nan|wrong-shape|hang|latency-spike|unavailable|drain)\s+(\d+)\s`).FindAllStringSubmatch(out, -1) {
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		sum += n
	}
	total := regexp.MustCompile(`requests: (\d+) ok`).FindStringSubmatch(out)
	require.NotNil(t, total, out)
	n, err := strconv.Atoi(total[1])
	require.NoError(t, err)
	require.Equal(t, n, sum, "per-phase OK counts add up to the total:\n%s", out)
	require.Regexp(t, `goroutines before \d+, after Close \d+`, out)
	// Every fourth phase mixes hostile requests into clean traffic.
	require.Regexp(t, `(?m)^\s+\S+\s+hostile\s+\d+`, out)
	require.Regexp(t, `hostile phases: \d+ hostile requests`, out)
	require.Regexp(t, `clean requests in hostile phases: \d+`, out)

	_, _, status = cli(t, "soak", "-rate", "2")
	require.Equal(t, 2, status)
}
