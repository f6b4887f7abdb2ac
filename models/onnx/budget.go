package onnx

import (
	"fmt"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// importMemory counts the bytes an import holds: initializers (external
// data included) and folded constants. Constants of dead nodes are never computed (see liveNodes).
type importMemory struct {
	used int64
}

// budgetOf is the import's memory budget.
func budgetOf(opt Options) int64 {
	if opt.MemoryBudget > 0 {
		return opt.MemoryBudget
	}
	return runtime.DefaultMemoryBudget()
}

// charge reserves n bytes for value, or returns an *Error wrapping
// runtime.ErrMemory naming it.
func (c *converter) charge(value string, n int64, what string) error {
	budget := budgetOf(c.opt)
	if n > budget-c.mem.used {
		e := &Error{Model: c.name, Input: value, Kind: ErrInvalidModel,
			Err: &runtime.Error{Kind: runtime.ErrMemory, Model: c.name, Input: value, Mode: runtime.ModeMemory,
				Err: fmt.Errorf("%s needs %d bytes, %d of the import's memory budget of %d are in use (Options.MemoryBudget)",
					what, n, c.mem.used, budget)}}
		if c.node != nil {
			e.Node, e.OpType = c.nodeName, c.node.OpType
		}
		return e
	}
	c.mem.used += n
	return nil
}

// chargeInitializer reserves an initializer's bytes before its data is
// converted (or read from its external file).
func (c *converter) chargeInitializer(t *onnxpb.Tensor) error {
	dt, err := t.DataType.DType()
	if err != nil {
		return nil // ToTensor reports it
	}
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 || (d > 0 && n > (1<<62)/d) {
			return nil // ToTensor reports it
		}
		n *= d
	}
	what := "initializer"
	if t.DataLocation == onnxpb.DataExternal {
		what = "initializer in external data" // read once, adopted as the tensor (onnxpb.ToTensor)
	}
	return c.charge(t.Name, n*int64(dt.Size()), what)
}

// chargeFold reserves the outputs of an op about to be folded at import.
func (c *converter) chargeFold(op string, out []ops.Type, names []string) error {
	var n int64
	for _, t := range out {
		n += int64(t.Shape.NumElements()) * int64(t.DType.Size())
	}
	return c.charge(strings.Join(names, ","), n, "constant folded at import ("+op+")")
}

// checkDeadNode reports a dead node the importer could not have converted
// at all (unknown op or domain), so that skipping dead nodes does not turn
// an unsupported model into a silently accepted one.
func (c *converter) checkDeadNode(i int, n *onnxpb.Node) error {
	c.node, c.nodeName = n, n.Name
	if c.nodeName == "" {
		c.nodeName = fmt.Sprintf("#%d", i)
	}
	defer func() { c.node, c.nodeName = nil, "" }()
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return c.errorf(ErrUnsupported, "op domain %q (only the default ONNX domain is supported)", n.Domain)
	}
	if _, ok := lookupMapper(n.OpType); !ok {
		return c.errorf(ErrUnsupported, "op type %q is not supported (supported: %s)", n.OpType, strings.Join(SupportedOps(), " "))
	}
	return nil
}
