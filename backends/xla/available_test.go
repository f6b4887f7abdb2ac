package xla_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/internal/modroot"
	"github.com/backplane-ml/backplane/runtime"
)

func TestGoMLXAlwaysAvailable(t *testing.T) {
	require.NoError(t, xla.NewGoMLX(xla.Options{}).Available())
}

// Where no plugin is installed, the xla backend says what is missing and how
// to install it; where one is, it is available. Either way, never both.
func TestXLAAvailabilityIsHonest(t *testing.T) {
	b := xla.NewXLA(xla.Options{})
	err := b.Available()
	// `make xla`'s copy in this checkout is found without any environment
	// variable (unless PJRT_PLUGIN_LIBRARY_PATH chooses elsewhere).
	cached, _ := modroot.File(".cache/xla/"+xla.PluginCacheVersion+"/pjrt_c_api_cpu_plugin.so", modroot.Starts()...)
	if _, env := os.LookupEnv("PJRT_PLUGIN_LIBRARY_PATH"); cached != "" && !env && xla.PJRTBuilt {
		require.NoError(t, err)
		require.Contains(t, b.Detail(), "PJRT plugin "+cached+", PJRT C API 0.")
	}
	if err == nil {
		t.Logf("%s; the xla conformance and ONNX suites run", b.Detail())
		return
	}
	require.ErrorIs(t, err, runtime.ErrUnavailable)
	var e *runtime.Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, runtime.ModeUnavailable, e.Mode)
	require.Equal(t, "xla", e.Backend)
	require.Regexp(t, "PJRT plugin not found|built without PJRT support|did not finish", err.Error())
}

// probeChildEnv makes the test binary, re-run by TestXLAProbeSearchPath, print
// the xla backend's availability and exit.
const probeChildEnv = "BACKPLANE_XLA_PROBE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(probeChildEnv) == "1" {
		fmt.Println(xla.NewXLA(xla.Options{}).Available())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The plugin search honours PJRT_PLUGIN_LIBRARY_PATH (read at process start,
// hence the child process), skips a file named like a plugin that is not one,
// and with GOMLX_NO_AUTO_INSTALL set says so; nothing is downloaded (the
// child has no network proxy to use and finishes at once).
func TestXLAProbeSearchPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pjrt_c_api_bogus_plugin.so"), []byte("not a library"), 0o644))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), probeChildEnv+"=1", "PJRT_PLUGIN_LIBRARY_PATH="+dir, "GOMLX_NO_AUTO_INSTALL=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	if strings.Contains(string(out), "built without PJRT support") {
		t.Skip("this build has no PJRT support (no cgo)")
	}
	require.Contains(t, string(out), "PJRT plugin not found")
	require.Contains(t, string(out), fmt.Sprintf("PJRT_PLUGIN_LIBRARY_PATH=%q", dir))
	require.Contains(t, string(out), "GOMLX_NO_AUTO_INSTALL is set")
	require.Contains(t, string(out), "make xla")
}
