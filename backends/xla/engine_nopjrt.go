//go:build !(cgo && ((linux && (amd64 || arm64)) || darwin) && !noxla)

package xla

import (
	"errors"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// pjrtBuilt reports that this binary cannot load PJRT plugins.
const pjrtBuilt = false

// PluginCacheVersion is the xla-cpu-pjrt release `make xla` installs (the
// Makefile's XLA_PLUGIN_VERSION); this build cannot load it.
const PluginCacheVersion = "0.0.1"

// xlaEngine stands in for GoMLX's XLA engine in builds that cannot load PJRT
// plugins: they are loaded with dlopen through cgo, which this build lacks.
// The capability table is the pure-Go engine's, used only by Supports.
var xlaEngine = &engine{
	name: XLAName,
	caps: simplego.Capabilities,
	probe: func() error {
		return errors.New("this binary was built without PJRT support (it needs cgo on linux/amd64, linux/arm64 " +
			"or darwin, and no noxla build tag): rebuild with CGO_ENABLED=1")
	},
	open: func() (gobackends.Backend, error) { return nil, errors.New("no PJRT support in this build") },
}

// xlaEngineFor returns the stand-in whatever the thread count.
func xlaEngineFor(int) *engine { return xlaEngine }

// pluginDetail is empty: there is no plugin in this build.
func pluginDetail(int) string { return "" }
