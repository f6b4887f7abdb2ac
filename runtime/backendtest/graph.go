package backendtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// graphCase is a multi-node model run on a list of input sets. want, when
// set, holds hand-computed outputs for each set; otherwise the reference
// backend's outputs are the expectation.
type graphCase struct {
	name  string
	build func(b *runtime.Builder) error
	art   *runtime.Artifact // used as-is when build is nil
	feeds [][]*tensor.Tensor
	want  [][]*tensor.Tensor
}

func must(t *tensor.Tensor, err error) *tensor.Tensor {
	if err != nil {
		panic(err) // only reached with the kit's own constant shapes
	}
	return t
}

func rnd(seed uint64, shape ...int) *tensor.Tensor {
	return must(tensor.Rand(tensor.Float32, seed, -1, 1, shape...))
}

// GraphCaseNames lists the graph-level cases, for documentation and tests.
func GraphCaseNames() []string {
	var names []string
	for _, c := range graphCases() {
		names = append(names, c.name)
	}
	return names
}

func graphCases() []graphCase {
	return []graphCase{
		{
			// relu(x·W + b) summed over the features, by hand:
			// x·W = [2·1+1·4, 2·2+1·5, 2·3+1·6] = [6, 9, 12]; +b = [6.5, -1, 13];
			// relu = [6.5, 0, 13]; sum = 19.5.
			name: "hand-affine-relu-sum",
			build: func(b *runtime.Builder) error {
				x := b.Input("x", tensor.Float32, runtime.Static(1), runtime.Static(2))
				w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
				bias := b.Weight("b", tensor.MustFromSlice([]float32{0.5, -10, 1}, 3))
				h := b.Op("relu", nil, b.Op("add", nil, b.Op("matmul", nil, x, w), bias))
				b.Output("relu", h)
				b.Output("sum", b.Op("reduce_sum", ops.Attrs{"axes": []int{1}, "keepdims": 0}, h))
				return nil
			},
			feeds: [][]*tensor.Tensor{{tensor.MustFromSlice([]float32{2, 1}, 1, 2)}},
			want: [][]*tensor.Tensor{{
				tensor.MustFromSlice([]float32{6.5, 0, 13}, 1, 3),
				tensor.MustFromSlice([]float32{19.5}, 1),
			}},
		},
		{
			name: "mlp-symbolic-batch",
			build: func(b *runtime.Builder) error {
				x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(16))
				h := b.Op("relu", nil, b.Op("add", nil, b.Op("matmul", nil, x, b.Weight("w1", rnd(1, 16, 32))), b.Weight("b1", rnd(2, 32))))
				y := b.Op("add", nil, b.Op("matmul", nil, h, b.Weight("w2", rnd(3, 32, 10))), b.Weight("b2", rnd(4, 10)))
				b.Output("probs", b.Op("softmax", ops.Attrs{"axis": -1}, y))
				return nil
			},
			feeds: [][]*tensor.Tensor{{rnd(10, 1, 16)}, {rnd(11, 5, 16)}, {rnd(12, 0, 16)}},
		},
		{
			name: "cnn",
			build: func(b *runtime.Builder) error {
				x := b.Input("image", tensor.Float32, runtime.Dims(2, 3, 8, 8)...)
				c := b.Op("conv", ops.Attrs{"pads": []int{1, 1, 1, 1}}, x, b.Weight("k", rnd(20, 4, 3, 3, 3)), b.Weight("kb", rnd(21, 4)))
				p := b.Op("max_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}}, b.Op("relu", nil, c))
				g := b.Op("global_avg_pool", nil, p)
				f := b.Op("reshape", ops.Attrs{"shape": []int{2, 4}}, g)
				b.Output("logits", b.Op("matmul", nil, f, b.Weight("fc", rnd(22, 4, 3))))
				b.Output("features", p)
				return nil
			},
			feeds: [][]*tensor.Tensor{{rnd(23, 2, 3, 8, 8)}},
		},
		{
			// A value read by several nodes, and a node whose two inputs are the same value.
			name: "shared-values",
			build: func(b *runtime.Builder) error {
				x := b.Input("x", tensor.Float32, runtime.Dims(3, 4)...)
				e := b.Op("exp", nil, x)
				s := b.Op("add", nil, e, b.Op("neg", nil, x))
				b.Output("y", b.Op("mul", nil, s, b.Op("mul", nil, e, e)))
				return nil
			},
			feeds: [][]*tensor.Tensor{{rnd(30, 3, 4)}},
		},
		{
			name: "multi-output-split-concat",
			build: func(b *runtime.Builder) error {
				x := b.Input("x", tensor.Float32, runtime.Dims(4, 6)...)
				parts := b.OpN("split", 2, ops.Attrs{"axis": 1, "num_outputs": 2}, x)
				b.Output("left", parts[0])
				b.Output("right", parts[1])
				b.Output("swapped", b.Op("concat", ops.Attrs{"axis": 1}, parts[1], parts[0]))
				return nil
			},
			feeds: [][]*tensor.Tensor{{rnd(40, 4, 6)}},
		},
		{
			// Graph outputs that are a weight and a graph input themselves (the
			// builder would insert identity nodes, so the artifact is written out).
			name: "passthrough-outputs",
			art: &runtime.Artifact{
				Name:         "passthrough-outputs",
				Inputs:       []runtime.ValueInfo{{Name: "x", DType: tensor.Int64, Dims: runtime.Dims(3)}},
				Initializers: map[string]*tensor.Tensor{"w": tensor.MustFromSlice([]int64{1 << 60, -3, 7}, 3)},
				Nodes:        []runtime.Node{{Name: "add", Op: "add", Inputs: []string{"x", "w"}, Outputs: []string{"sum"}}},
				Outputs:      []runtime.ValueInfo{{Name: "x"}, {Name: "w"}, {Name: "sum"}},
			},
			feeds: [][]*tensor.Tensor{{tensor.MustFromSlice([]int64{5, 6, -7}, 3)}},
			want: [][]*tensor.Tensor{{
				tensor.MustFromSlice([]int64{5, 6, -7}, 3),
				tensor.MustFromSlice([]int64{1 << 60, -3, 7}, 3),
				tensor.MustFromSlice([]int64{1<<60 + 5, 3, 0}, 3),
			}},
		},
	}
}

func (k *kit) graphCases(t *testing.T) {
	for _, c := range graphCases() {
		t.Run(c.name, func(t *testing.T) {
			a := c.art
			var err error
			if c.build != nil {
				b := runtime.NewBuilder(c.name)
				require.NoError(t, c.build(b))
				a, err = b.Build()
				require.NoError(t, err)
			}
			require.NoError(t, a.Validate())
			p := k.prepare(t, a)
			var oracle runtime.Prepared
			if c.want == nil {
				oracle, err = ref.Backend{}.Prepare(context.Background(), a)
				require.NoError(t, err)
			}
			for i, feed := range c.feeds {
				got, err := p.Run(context.Background(), feed)
				require.NoError(t, err, "input set %d", i)
				var want []*tensor.Tensor
				if c.want != nil {
					want = c.want[i]
				} else {
					want, err = oracle.Run(context.Background(), feed)
					require.NoError(t, err, "reference backend, input set %d", i)
				}
				k.check(t, got, want, tensor.Tolerance{})
			}
		})
	}
}
