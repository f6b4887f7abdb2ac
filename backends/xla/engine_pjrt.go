//go:build cgo && ((linux && (amd64 || arm64)) || darwin) && !noxla

package xla

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/go-xla/pkg/pjrt"
	gobackends "github.com/gomlx/gomlx/backends"
	gxla "github.com/gomlx/gomlx/backends/xla"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/backplane-ml/backplane/internal/modroot"
)

// pjrtBuilt reports that this binary can load PJRT plugins (cgo, dlopen).
const pjrtBuilt = true

// PluginCacheVersion is the xla-cpu-pjrt release `make xla` installs (the
// Makefile's XLA_PLUGIN_VERSION): the probe looks for
// .cache/xla/<PluginCacheVersion>/pjrt_c_api_cpu_plugin.so in the checkout.
const PluginCacheVersion = "0.0.1"

// pluginCacheFile is where `make xla` leaves the plugin, relative to the
// checkout root.
var pluginCacheFile = ".cache/xla/" + PluginCacheVersion + "/pjrt_c_api_cpu_plugin.so"

// xlaEngines holds one XLA engine per thread count (Options.Threads): the
// thread count is fixed when the PJRT client is created.
var (
	xlaEnginesMu sync.Mutex
	xlaEngines   = map[int]*engine{}
)

// xlaEngineFor returns the process's XLA engine for a thread count (0: XLA's
// default, every CPU of the affinity mask).
func xlaEngineFor(threads int) *engine {
	xlaEnginesMu.Lock()
	defer xlaEnginesMu.Unlock()
	if e, ok := xlaEngines[threads]; ok {
		return e
	}
	e := &engine{
		name:    XLAName,
		caps:    xlaCapabilities(),
		threads: threads,
		probe:   func() error { _, err := findPlugin(); return err },
	}
	e.open = func() (gobackends.Backend, error) { return openPJRT(e.threads) }
	xlaEngines[threads] = e
	return e
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

// probeTimeout bounds the plugin search: it lists directories and dlopens
// each candidate, which on a network file system or with a broken plugin can
// stall. Past the bound the engine is reported unavailable.
const probeTimeout = 10 * time.Second

// plugin is the PJRT plugin file the probe chose, found once per process.
var plugin struct {
	once sync.Once
	path string
	err  error
}

// findPlugin chooses the PJRT plugin, once per process, without the network:
//  1. with PJRT_PLUGIN_LIBRARY_PATH set (read by go-xla when the process
//     starts), the plugins in its directories, cpu preferred after cuda;
//  2. else `make xla`'s copy in the checkout holding the working directory
//     or this binary's source (.cache/xla/<PluginCacheVersion>/);
//  3. else go-xla's install locations: ~/.local/lib/go-xla,
//     /usr/local/lib/go-xla, then the LD_LIBRARY_PATH and /etc/ld.so.conf
//     directories.
func findPlugin() (string, error) {
	plugin.once.Do(func() {
		plugin.path, plugin.err = searchPlugin()
		if plugin.err == nil {
			plugin.path, plugin.err = filepath.Abs(plugin.path) // go-xla loads absolute paths without a search
		}
	})
	return plugin.path, plugin.err
}

func searchPlugin() (string, error) {
	_, envSet := os.LookupEnv(pjrt.PJRTPluginPathsEnv)
	if !envSet {
		if p, _ := modroot.File(pluginCacheFile, modroot.Starts()...); p != "" {
			return p, nil
		}
	}
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
		return "", fmt.Errorf("searching for a PJRT plugin did not finish within %v; %s", probeTimeout, installHelp())
	}
	for _, name := range gxla.DefaultPlugins { // cuda first, then cpu
		if p, ok := plugins[name]; ok {
			return p, nil
		}
	}
	for _, name := range sortedKeys(plugins) {
		return plugins[name], nil
	}
	return "", fmt.Errorf("PJRT plugin not found: %s", installHelp())
}

// openPJRT creates GoMLX's XLA backend on the chosen plugin, its client
// pools sized for threads (see withCPUs). The CPU plugin's buffers are host
// memory, which GoMLX uses as shared buffers; GoMLX recognizes the CPU plugin
// by name only, and we load by path, hence the explicit option.
func openPJRT(threads int) (gobackends.Backend, error) {
	path, err := findPlugin()
	if err != nil {
		return nil, err
	}
	config := path
	if strings.HasPrefix(filepath.Base(path), "pjrt_c_api_cpu_plugin.") {
		config += ",shared_buffers"
	}
	var be gobackends.Backend
	err = withCPUs(threads, func() error {
		b, err := gxla.NewWithOptions(config, nil)
		if err == nil {
			be = b
		}
		return err
	})
	return be, err
}

// pluginDetail says which plugin the engine runs on and its PJRT C API version.
func pluginDetail(threads int) string {
	path, err := findPlugin()
	if err != nil {
		return ""
	}
	p, err := pjrt.GetPlugin(path) // already loaded: no second dlopen
	if err != nil {
		return ""
	}
	major, minor := p.Version()
	t := "threads: every CPU of the affinity mask"
	if threads > 0 {
		t = fmt.Sprintf("threads: %d", threads)
	}
	return fmt.Sprintf("PJRT plugin %s, PJRT C API %d.%d, %s", path, major, minor, t)
}

// installHelp says where plugins are searched and how to install one.
func installHelp() string {
	where := "`make xla`'s " + pluginCacheFile + " in the checkout, ~/.local/lib/go-xla, /usr/local/lib/go-xla, " +
		"the LD_LIBRARY_PATH entries and the /etc/ld.so.conf directories"
	if v, ok := os.LookupEnv(pjrt.PJRTPluginPathsEnv); ok {
		where = fmt.Sprintf("%s=%q", pjrt.PJRTPluginPathsEnv, v)
	}
	auto := "GoMLX's auto-install is not attempted here (backplane never downloads while probing)"
	if _, off := os.LookupEnv(gxla.NoAutoInstallEnv); off {
		auto = gxla.NoAutoInstallEnv + " is set, so GoMLX's auto-install is off"
	}
	return strings.Join([]string{
		"searched " + where + " for pjrt_c_api_<name>_plugin.so",
		"run `make xla` in a checkout (it fetches XLA's CPU plugin, xla-cpu-pjrt " + PluginCacheVersion +
			", into " + pluginCacheFile + "), copy that file to ~/.local/lib/go-xla/, or point " +
			pjrt.PJRTPluginPathsEnv + " at the absolute path of a directory holding a plugin (set it before the program starts)",
		auto,
	}, "; ")
}

var errNoAffinity = errors.New("Options.Threads needs CPU affinity (Linux); this system has none")
