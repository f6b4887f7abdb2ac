package cpu

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops/reference"
	bpruntime "github.com/backplane-ml/backplane/runtime"
)

// Supports reports the first node whose op the backend cannot run. Every
// catalog op runs: float32 hot ops on native kernels, everything else
// (other ops, other dtypes) through the reference kernels, which are exact.
func (b *Backend) Supports(a *bpruntime.Artifact) error {
	for _, n := range a.Nodes {
		if !reference.Supported(n.Op) {
			return &bpruntime.Error{Kind: bpruntime.ErrUnsupported, Model: a.Name, Backend: Name, Node: n.Name, Op: n.Op,
				Mode: bpruntime.ModeUnsupported, Err: fmt.Errorf("no kernel for op %s", n.Op)}
		}
	}
	return nil
}
