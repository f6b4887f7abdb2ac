// Package ortpeer runs ONNX models on ONNX Runtime, the peer that backplane's
// benchmarks and `backplane bench` compare against.
//
// ONNX Runtime is a C++ library loaded at run time (dlopen, through
// github.com/yalue/onnxruntime_go), so nothing is needed to build or vet the
// module; only running the peer needs the library. `make ort` fetches the
// Linux build of ONNX Runtime LibVersion into .cache/ort/ of the module; the
// environment variable LibEnv points at another copy. Available says whether
// the library could be loaded and, if not, what to do about it.
//
// The peer is not a runtime.Backend: it takes ONNX bytes, not an artifact,
// and exists to be measured against, not dispatched to.
package ortpeer

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/backplane-ml/backplane/internal/modroot"
	"github.com/backplane-ml/backplane/runtime"
)

// Name is the peer's name in errors, tables and benchmark names.
const Name = "onnxruntime"

// LibVersion is the ONNX Runtime release `make ort` fetches (the Makefile's
// ORT_VERSION). The library must provide C API version 24 or later, which
// onnxruntime_go v1.27.0 was built against.
const LibVersion = "1.30.0"

// LibEnv names the environment variable that overrides where the library is
// looked for: the path of libonnxruntime.so (or .dylib) itself.
const LibEnv = "BACKPLANE_ORT_LIB"

// libFile is where `make ort` leaves the library, relative to the module root.
var libFile = filepath.Join(".cache", "ort", LibVersion, "libonnxruntime.so.1")

// LibraryPath returns the library Available loads: $BACKPLANE_ORT_LIB when
// set, else .cache/ort/<LibVersion>/libonnxruntime.so.1 under the module root
// found above the working directory or, failing that, above this source
// file (so an installed binary still finds a checkout's cache). The error
// says how to get the library when it is absent.
func LibraryPath() (string, error) {
	return locate(os.Getenv(LibEnv), modroot.Starts()...)
}

// locate implements LibraryPath for an explicit env value and search starts.
func locate(env string, starts ...string) (string, error) {
	if env != "" {
		if fi, err := os.Stat(env); err != nil || fi.IsDir() {
			return "", unavailable(fmt.Errorf("%s=%s is not a library file (unset it to use `make ort`'s copy)", LibEnv, env))
		}
		return env, nil
	}
	var roots []string
	for _, root := range modroot.Find(starts...) {
		p := filepath.Join(root, libFile)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
		roots = append(roots, p)
	}
	if len(roots) == 0 {
		return "", unavailable(fmt.Errorf("ONNX Runtime %s not found: not inside the backplane module; "+
			"run `make ort` in a checkout and set %s to the library it fetches", LibVersion, LibEnv))
	}
	return "", unavailable(fmt.Errorf("ONNX Runtime %s not found at %s: run `make ort` (or set %s)",
		LibVersion, roots[0], LibEnv))
}

func unavailable(err error) error {
	return &runtime.Error{Kind: runtime.ErrUnavailable, Backend: Name, Mode: runtime.ModeUnavailable, Err: err}
}

// Options configures a session. The zero value is what the benchmarks use.
type Options struct {
	// Name names the model in errors; "onnx model" when empty.
	Name string
	// IntraOpThreads is the size of ONNX Runtime's thread pool for work
	// inside one node (a matmul, a convolution). 0 means GOMAXPROCS, the
	// parallelism Go backends get, so the comparison is like for like.
	IntraOpThreads int
	// Spin lets idle pool threads busy-wait for the next node instead of
	// sleeping. ONNX Runtime spins by default; the peer does not unless
	// asked, because Go's scheduler parks idle workers too and spinning
	// steals the CPU from everything else on a shared machine.
	Spin bool
}
