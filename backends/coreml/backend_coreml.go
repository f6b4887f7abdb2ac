//go:build darwin && cgo && coreml

package coreml

import "github.com/backplane-ml/backplane/runtime"

// modelExt is the extension of converted models written to the cache.
const modelExt = ".mlmodel"

// encodeModel is the model file the bridge compiles: the Core ML model.
func encodeModel(a *runtime.Artifact, p Precision) ([]byte, error) { return Convert(a, p) }
