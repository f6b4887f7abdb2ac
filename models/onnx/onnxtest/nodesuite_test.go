package onnxtest_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/xla" // registers gomlx (and xla)
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/runtime"
)

var (
	update       = flag.Bool("update", false, "rewrite the node suite's expected-outcome lists from this run")
	nodeBackends = flag.String("node-backends", "ref,gomlx", "comma-separated backends the node suite runs on (each needs testdata/node_expected_BACKEND.txt); "+
		"xla runs when its PJRT plugin is installed (make xla) and is skipped otherwise")
)

// expectedFile is the checked-in list of the node tests that do not pass on backend.
func expectedFile(backend string) string {
	return filepath.Join("testdata", "node_expected_"+backend+".txt")
}

const expectedHeader = `Outcomes of ONNX's operator tests (../shared/testdata/onnx-node) on backend %s
that are not PASS: NAME  STATUS  REASON. Every test not listed must pass.
TestNodeSuite fails when a listed test passes or an unlisted one does not.
Regenerate after adding ops (and review the diff):
  go test ./models/onnx/onnxtest -run TestNodeSuite -update -node-backends %s
(make node-suite-update regenerates the lists of every default backend.)`

// TestNodeSuite runs every ONNX operator test and holds each backend to its
// checked-in list of expected failures and skips.
func TestNodeSuite(t *testing.T) {
	dir, err := onnxtest.SharedNodeDir()
	require.NoError(t, err)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ONNX's operator tests not found at %s (set %s to point elsewhere): the node suite is not checked", dir, onnxtest.NodeDataEnv)
	}
	cases, err := onnxtest.Discover(dir)
	require.NoError(t, err)
	for _, backend := range strings.Split(*nodeBackends, ",") {
		t.Run(backend, func(t *testing.T) {
			b, ok := runtime.Lookup(backend)
			require.True(t, ok, "backend %q is not registered in this test binary", backend)
			if err := runtime.Availability(b); err != nil {
				if backend == "xla" && os.Getenv(xla.RequirePluginEnv) == "1" {
					t.Fatalf("%s=1 but the xla backend is unavailable: %v", xla.RequirePluginEnv, err)
				}
				t.Skipf("backend %s is not available here: %v", backend, err)
			}
			results := make([]onnxtest.Result, len(cases))
			for i, c := range cases {
				results[i] = onnxtest.Run(context.Background(), c, backend, onnxtest.DefaultTolerance)
			}
			if backend != "ref" {
				// Every test ref passes passes here too or is refused by
				// Supports naming the op or dtype: never a wrong answer.
				f, err := os.Open(expectedFile("ref"))
				require.NoError(t, err)
				refExp, err := onnxtest.ReadExpectations(f)
				f.Close()
				require.NoError(t, err)
				if bad := onnxtest.NotRefused(refExp, results); len(bad) > 0 {
					t.Errorf("%d node tests pass on ref but fail on %s without a refusal naming op or dtype:\n%s",
						len(bad), backend, strings.Join(bad, "\n"))
				}
			}
			path := expectedFile(backend)
			if *update {
				var buf bytes.Buffer
				require.NoError(t, onnxtest.WriteExpectations(&buf, sprintf(expectedHeader, backend, backend), results))
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
				t.Logf("wrote %s", path)
				return
			}
			f, err := os.Open(path)
			require.NoError(t, err, "no expected-outcome list for %s: create it with -update", backend)
			defer f.Close()
			exp, err := onnxtest.ReadExpectations(f)
			require.NoError(t, err, path)
			diff := exp.Diff(results)
			pass := 0
			for _, r := range results {
				if r.Status == onnxtest.Pass {
					pass++
				}
			}
			t.Logf("%s: %d of %d node tests pass", backend, pass, len(results))
			if len(diff) > 0 {
				shown := diff
				if len(shown) > 40 {
					shown = append(shown[:40:40], fmt.Sprintf("... and %d more", len(diff)-40))
				}
				t.Fatalf("%d node tests differ from %s (fix the regression, or regenerate the list with -update and review its diff):\n%s",
					len(diff), path, strings.Join(shown, "\n"))
			}
		})
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
