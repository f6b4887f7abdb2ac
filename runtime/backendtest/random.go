package backendtest

import (
	"context"
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/ops/reference"
	"github.com/backplane-ml/backplane/tensor"
)

// randomInputs materialises a random case's inputs; the seed mixes the kit's
// seed with the case name so cases do not share streams.
func randomInputs(c optest.RandomCase, seed uint64) ([]*tensor.Tensor, error) {
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	seed ^= h.Sum64()
	in := make([]*tensor.Tensor, len(c.Inputs))
	for i, spec := range c.Inputs {
		switch {
		case spec.Omit:
			continue
		case spec.Fixed != nil:
			in[i] = spec.Fixed
			continue
		}
		lo, hi := spec.Lo, spec.Hi
		if lo == 0 && hi == 0 {
			lo, hi = -1, 1
		}
		t, err := tensor.Rand(spec.DType, seed+uint64(i)*0x9e3779b97f4a7c15, lo, hi, spec.Shape...)
		if err != nil {
			return nil, err
		}
		in[i] = t
	}
	return in, nil
}

func (k *kit) randomCases(t *testing.T) {
	for _, c := range optest.RandomCases() {
		t.Run(c.Name, func(t *testing.T) {
			in, err := randomInputs(c, k.o.Seed)
			require.NoError(t, err)
			want, err := reference.Eval(c.Op, c.Attrs, in...)
			require.NoError(t, err, "reference backend")
			a, feed, err := singleNode(c.Name, c.Op, c.Attrs, in, len(want), k.o.ConstantOperands)
			require.NoError(t, err)
			p := k.prepare(t, a)
			got, err := p.Run(context.Background(), feed)
			require.NoError(t, err)
			k.check(t, got, want, c.Tol)
		})
	}
}
