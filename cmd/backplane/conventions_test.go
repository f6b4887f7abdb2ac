package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// commandPaths lists every command of the tree (but the root), e.g. "run",
// "completion bash".
func commandPaths() [][]string {
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			p := append(append([]string(nil), path...), sub.Name())
			out = append(out, p)
			walk(sub, p)
		}
	}
	root := newRoot(io.Discard, io.Discard)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walk(root, nil)
	return out
}

func TestEveryCommandHasHelpThatExitsZero(t *testing.T) {
	paths := commandPaths()
	require.GreaterOrEqual(t, len(paths), 9, "backends run check export bench demo soak version completion help")
	for _, p := range paths {
		name := strings.Join(p, " ")
		for _, argv := range [][]string{append(p, "--help"), append(p, "-h"), append([]string{"help"}, p...)} {
			t.Run(strings.Join(argv, " "), func(t *testing.T) {
				out, stderr, status := cli(t, argv...)
				require.Equal(t, 0, status, stderr)
				require.Contains(t, out, "Usage:\n  backplane "+name, "help for %q, not the top-level usage", name)
				require.NotContains(t, stderr, "no such file", "--help is never taken for a file name")
			})
		}
	}
	for _, cmd := range newRoot(io.Discard, io.Discard).Commands() {
		require.NotEmpty(t, cmd.Short, cmd.Name())
		require.NotEmpty(t, cmd.Long, "%s has a description", cmd.Name())
	}
}

func TestFlagsGoBeforeOrAfterArguments(t *testing.T) {
	dir := t.TempDir()
	art, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 7})
	require.NoError(t, err)
	path := filepath.Join(dir, "mlp.bpa")
	require.NoError(t, art.Save(path))
	for _, argv := range [][]string{
		{"run", "--iters", "3", "--backend", "ref", path},
		{"run", path, "--iters", "3", "--backend", "ref"},
		{"run", "--iters", "3", path, "--backend=ref"},
		{"run", "-iters", "3", path, "-backend", "ref"}, // the single dash of Go's flag package still works
	} {
		out, stderr, status := cli(t, argv...)
		require.Equal(t, 0, status, "%v: %s", argv, stderr)
		require.Contains(t, out, "3 runs: p50 ", argv)
		require.Contains(t, out, "served by ref (3)", argv)
	}

	root := t.TempDir()
	writeCheckFolders(t, root)
	pass := filepath.Join(root, "test_pass")
	out, stderr, status := cli(t, "check", pass, "--backend", "ref")
	require.Equal(t, 0, status, stderr)
	require.Equal(t, "1 passed, 0 failed, 0 skipped", strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]))
}

func TestZooNamesAreModels(t *testing.T) {
	out, stderr, status := cli(t, "run", "mlp", "--backend", "ref")
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, `model "mlp-784-256x128-10"`, "the zoo's MLP, named without spaces or brackets")
	require.Contains(t, out, "1 run: p50 ", `"1 run", not "1 runs"`)
	require.Regexp(t, `p50 \S+, p95 \S+, p99 \S+`, out, "the same percentiles as the telemetry table")
	require.Regexp(t, `(?m)^MODEL\s+BACKEND\s+RUNS\s+OK\s+FAILURES\s+P50\s+P95\s+P99`, out)

	_, stderr, status = cli(t, "run", "no-such-model")
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "not a zoo model either: the zoo has mlp, cnn")
}

func TestAvailabilityIsOneLineOutsideBackends(t *testing.T) {
	full, _, status := cli(t, "backends")
	require.Equal(t, 0, status)
	out, stderr, status := cli(t, "run", "mlp", "--backend", "auto")
	require.Equal(t, 0, status, stderr)
	for _, b := range runtime.Backends() {
		err := runtime.Availability(b)
		if err == nil {
			continue
		}
		require.Contains(t, full, cause(err), "backends gives %s's full reason", b.Name())
		brief := runtime.Brief(err)
		require.Equal(t, 2, strings.Count(out, brief), "run's Explain before and after the runs names %s's reason in one line", b.Name())
		if brief != cause(err) {
			require.NotContains(t, out, cause(err), "run does not repeat %s's full reason", b.Name())
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	out, stderr, status := cli(t, "version")
	require.Equal(t, 0, status, stderr)
	require.Regexp(t, `^backplane \S+`, out)
	require.Contains(t, out, "go1.")
	require.Regexp(t, `backends compiled in: .*\bref\b`, out)
	out, _, status = cli(t, "--version")
	require.Equal(t, 0, status)
	require.True(t, strings.HasPrefix(out, "backplane "))

	out, stderr, status = cli(t, "completion", "bash")
	require.Equal(t, 0, status, stderr)
	require.Contains(t, out, "__start_backplane")

	// What the shell asks when completing `backplane run <TAB>` and `--backend <TAB>`.
	out, _, status = cli(t, "__complete", "run", "")
	require.Equal(t, 0, status)
	require.Contains(t, out, "resnet50\n")
	out, _, status = cli(t, "__complete", "run", "--backend", "")
	require.Equal(t, 0, status)
	require.Contains(t, out, "gomlx\n")
	require.Contains(t, out, "auto\n")
}

func TestUsageErrorsNameWhatIsWrong(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "backplane run: missing one MODEL"},
		{[]string{"run", "a", "b"}, `unexpected argument "b" (takes one MODEL)`},
		{[]string{"run", "mlp", "--iters", "0"}, "--iters 0: need at least one run"},
		{[]string{"run", "mlp", "--frob"}, "unknown flag: --frob"},
		{[]string{"export", "mlp"}, `required flag(s) "output" not set`},
		{[]string{"backends", "a", "b"}, `unexpected argument "b"`},
		{[]string{"version", "x"}, `unexpected argument "x"`},
		{[]string{"help", "nosuch"}, `no command "nosuch"`},
	}
	for _, c := range cases {
		out, stderr, status := cli(t, c.args...)
		require.Equal(t, 2, status, "%v: %s", c.args, stderr)
		require.Empty(t, out)
		require.Contains(t, stderr, c.want)
		require.Contains(t, stderr, "--help' for usage.", "points at the command's help")
	}
}

func TestRunWithAnUnavailableBackendSaysWhyUpFront(t *testing.T) {
	for _, b := range runtime.Backends() {
		err := runtime.Availability(b)
		if err == nil {
			continue
		}
		_, stderr, status := cli(t, "run", "mlp", "--backend", b.Name())
		require.Equal(t, 1, status)
		require.Contains(t, stderr, cause(err), "the full reason, since %s was asked for by name", b.Name())
		require.Contains(t, stderr, "backend unavailable")
		return
	}
	t.Skip("every backend is available here")
}
