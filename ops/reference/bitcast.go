package reference

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// bitcastKernel copies x's bytes into a tensor of the target dtype (host
// byte order on both sides, so the bits are reinterpreted as they are).
func init() {
	register("bitcast", func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		y, err := tensor.New(out[0].DType, out[0].Shape...)
		if err != nil {
			return nil, err
		}
		src := in[0].Bytes()
		if out[0].DType == tensor.Bool {
			for i, b := range src {
				if b > 1 {
					return nil, fmt.Errorf("byte %d is %d, not a bool", i, b)
				}
			}
		}
		copy(y.Bytes(), src)
		return []*tensor.Tensor{y}, nil
	})
}
