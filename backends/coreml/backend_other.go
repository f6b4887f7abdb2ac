//go:build !((darwin && cgo && coreml) || (linux && cgo && coremldouble))

package coreml

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"

	"github.com/backplane-ml/backplane/runtime"
)

// platformAvailable explains why Core ML cannot run in this build: it needs
// macOS, and there a build with cgo and `-tags coreml` that links the bridge.
func platformAvailable() error {
	var err error
	if goruntime.GOOS != "darwin" {
		err = fmt.Errorf("Core ML needs macOS 12 or later; this is %s/%s (conversion and Supports still work)",
			goruntime.GOOS, goruntime.GOARCH)
	} else {
		err = errors.New("built without -tags coreml (or without cgo): run `make coreml` to build the Swift bridge and link it")
	}
	return &runtime.Error{Kind: runtime.ErrUnavailable, Backend: Name, Mode: runtime.ModeUnavailable, Err: err}
}

// platformPrepare refuses: there is no Core ML to run the model on.
func platformPrepare(_ context.Context, a *runtime.Artifact, _ Options) (runtime.Prepared, error) {
	e := platformAvailable().(*runtime.Error)
	e.Model = a.Name
	return nil, e
}
