// Package all registers every backend backplane ships. Import it for its side
// effect in programs that want the runtime to choose among all of them:
//
//	import _ "github.com/backplane-ml/backplane/backends/all"
package all

import (
	// Core ML: converts everywhere, runs on macOS with the bridge built in.
	_ "github.com/backplane-ml/backplane/backends/coreml"
	// The native CPU backend: Go and Go assembly kernels, no cgo.
	_ "github.com/backplane-ml/backplane/backends/cpu"
	// The reference backend: pure Go, always available.
	_ "github.com/backplane-ml/backplane/backends/ref"
	// GoMLX: "xla" (PJRT plugin, when one is installed) and "gomlx" (pure Go).
	_ "github.com/backplane-ml/backplane/backends/xla"
)
