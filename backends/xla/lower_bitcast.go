package xla

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowering of bitcast. PJRT has Bitcast; the pure-Go engine has not, but
// between integer dtypes of one width a conversion wraps to the same bits,
// so it serves there, and a float operand is refused on that engine. Bool
// is refused on both: its engine representation is not a byte both share.
func init() {
	registerLowering("bitcast", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		to, _ := toGoMLXDType(c.Out[0].DType)
		if c.In[0].DType.IsInt() && c.Out[0].DType.IsInt() {
			return one(graph.ConvertDType(in[0], to)), nil
		}
		return one(graph.Bitcast(in[0], to)), nil
	})
	registerCheck("bitcast", func(e *engine, n *runtime.Node, in, out []ops.Type) error {
		from, to := in[0].DType, out[0].DType
		if from == tensor.Bool || to == tensor.Bool {
			return fmt.Errorf("bitcast from or to bool")
		}
		if e.name == "gomlx" && !(from.IsInt() && to.IsInt()) {
			return fmt.Errorf("bitcast of %v to %v: the gomlx engine has no Bitcast", from, to)
		}
		return nil
	})
}
