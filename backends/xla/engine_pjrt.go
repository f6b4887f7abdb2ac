//go:build cgo && ((linux && amd64) || darwin) && !noxla

package xla

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gomlx/go-xla/pkg/pjrt"
	gobackends "github.com/gomlx/gomlx/backends"
	gxla "github.com/gomlx/gomlx/backends/xla"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// pjrtBuilt reports that this binary can load PJRT plugins (cgo, dlopen).
const pjrtBuilt = true

// xlaEngine is GoMLX's XLA engine through a PJRT plugin found on this machine.
var xlaEngine = &engine{
	name:  XLAName,
	caps:  xlaCapabilities(),
	probe: probePJRT,
	open:  openPJRT,
}

// probeTimeout bounds the plugin search: it lists directories and dlopens
// each candidate, which on a network file system or with a broken plugin can
// stall. Past the bound the engine is reported unavailable.
const probeTimeout = 10 * time.Second

// pluginPath is the plugin chosen by probePJRT.
var pluginPath, pluginName string

// probePJRT looks for a PJRT plugin in go-xla's search paths. It never
// downloads: GoMLX's auto-install runs only when a plugin is asked for by name,
// and we always ask by absolute path.
func probePJRT() error {
	type found struct{ plugins map[string]string }
	ch := make(chan found, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- found{}
			}
		}()
		ch <- found{pjrt.AvailablePlugins()}
	}()
	var plugins map[string]string
	select {
	case f := <-ch:
		plugins = f.plugins
	case <-time.After(probeTimeout):
		return fmt.Errorf("searching for a PJRT plugin did not finish within %v; %s", probeTimeout, installHelp())
	}
	for _, name := range gxla.DefaultPlugins { // cuda first, then cpu
		if p, ok := plugins[name]; ok {
			pluginName, pluginPath = name, p
			return nil
		}
	}
	for name, p := range plugins {
		pluginName, pluginPath = name, p
		return nil
	}
	return fmt.Errorf("PJRT plugin not found: %s", installHelp())
}

// openPJRT creates GoMLX's XLA backend on the probed plugin. The CPU plugin's
// buffers are host memory, which GoMLX uses as shared buffers.
func openPJRT() (gobackends.Backend, error) {
	config := pluginPath
	if pluginName == "cpu" {
		config += ",shared_buffers"
	}
	return gxla.NewWithOptions(config, nil)
}

// installHelp says where plugins are searched and how to install one.
func installHelp() string {
	where := "~/.local/lib/go-xla, /usr/local/lib/go-xla, the LD_LIBRARY_PATH entries and the /etc/ld.so.conf directories"
	if v, ok := os.LookupEnv(pjrt.PJRTPluginPathsEnv); ok {
		where = fmt.Sprintf("%s=%q", pjrt.PJRTPluginPathsEnv, v)
	}
	auto := "GoMLX's auto-install is not attempted here (backplane never downloads while probing)"
	if _, off := os.LookupEnv(gxla.NoAutoInstallEnv); off {
		auto = gxla.NoAutoInstallEnv + " is set, so GoMLX's auto-install is off"
	}
	return strings.Join([]string{
		"searched " + where + " for pjrt_c_api_<name>_plugin.so",
		"install the CPU plugin with `go run github.com/gomlx/go-xla/cmd/pjrt_installer@latest -autoinstall` " +
			"(GoMLX's installer; it writes to ~/.local/lib/go-xla) or point " + pjrt.PJRTPluginPathsEnv +
			" at a directory holding a plugin (set it before the program starts)",
		auto,
	}, "; ")
}

// xlaCapabilities is GoMLX's capability table of its XLA engine plus
// float16: XLA has float16 (StableHLO f16) and the GoMLX XLA builder passes
// it through, but GoMLX v0.26.0's table leaves it out. The conformance kit
// runs every float16 case on XLA with RequireAll.
func xlaCapabilities() gobackends.Capabilities {
	caps := gxla.Capabilities.Clone()
	caps.DTypes[dtypes.Float16] = true
	return caps
}
