package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// flattenScale is a test Specializer: for x [n, w] (both symbolic) and the
// value input k (int64 [1]) it makes y = reshape(x, [n·w]) · k, a graph
// whose reshape target is only known per signature.
type flattenScale struct {
	calls atomic.Int64
	tag   string // round-trips through MarshalBinary
}

func (f *flattenScale) Kind() string                   { return "test-flatten-scale" }
func (f *flattenScale) ValueInputs() []string          { return []string{"k"} }
func (f *flattenScale) MarshalBinary() ([]byte, error) { return []byte(f.tag), nil }
func (f *flattenScale) Specialize(tpl *runtime.Artifact, sig runtime.Signature) (*runtime.Artifact, error) {
	f.calls.Add(1)
	n, w := sig.Dims["n"], sig.Dims["w"]
	if n == 13 {
		return nil, fmt.Errorf("n = 13 is unlucky")
	}
	k := sig.Values["k"].Int64s()[0]
	b := runtime.NewBuilder(tpl.Name)
	x := b.Input("x", tensor.Float32, runtime.Static(n), runtime.Static(w))
	b.Input("k", tensor.Int64, runtime.Static(1))
	flat := b.Op("reshape", ops.Attrs{"shape": []int64{int64(n * w)}}, x)
	b.Output("y", b.Op("mul", nil, flat, b.Weight("scale", tensor.MustFromSlice([]float32{float32(k)}, 1))))
	return b.Build()
}

var registerOnce sync.Once

func flattenTemplate(f *flattenScale) *runtime.Artifact {
	registerOnce.Do(func() {
		runtime.RegisterSpecializer("test-flatten-scale", func(data []byte) (runtime.Specializer, error) {
			return &flattenScale{tag: string(data)}, nil
		})
	})
	return &runtime.Artifact{
		Name: "flatten",
		Inputs: []runtime.ValueInfo{
			{Name: "x", DType: tensor.Float32, Dims: []runtime.Dim{runtime.Symbolic("n"), runtime.Symbolic("w")}},
			{Name: "k", DType: tensor.Int64, Dims: runtime.Dims(1)},
		},
		Outputs:     []runtime.ValueInfo{{Name: "y", DType: tensor.Float32, Dims: []runtime.Dim{runtime.Symbolic("nw")}}},
		Specializer: f,
	}
}

func TestTemplateSpecializesPerSignature(t *testing.T) {
	f := &flattenScale{}
	rt, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMaxSpecializations(2))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), flattenTemplate(f))
	require.NoError(t, err)
	require.Equal(t, int64(0), f.calls.Load(), "Load specializes nothing")
	require.Equal(t, "[n w]", fmt.Sprint(m.Inputs()[0].Dims), "input infos before any run")
	require.Equal(t, "y float32 [nw]", fmt.Sprint(m.Outputs()[0].Name, " ", m.Outputs()[0].DType, " ", m.Outputs()[0].Dims))

	run := func(n, w int, k int64) []float32 {
		vals := make([]float32, n*w)
		for i := range vals {
			vals[i] = float32(i)
		}
		out, err := m.Run(context.Background(), tensor.MustFromSlice(vals, n, w), tensor.MustFromSlice([]int64{k}, 1))
		require.NoError(t, err)
		require.Equal(t, tensor.Shape{n * w}, out[0].Shape())
		return tensor.MustView[float32](out[0])
	}
	require.Equal(t, []float32{0, 2, 4, 6, 8, 10}, run(2, 3, 2))  // i·2, by hand
	require.Equal(t, []float32{0, 2, 4, 6, 8, 10}, run(3, 2, 2))  // same elements, other signature
	require.Equal(t, []float32{0, 3, 6, 9, 12, 15}, run(2, 3, 3)) // another k: another specialization
	require.Equal(t, []float32{0, 2, 4, 6, 8, 10}, run(3, 2, 2))  // hit
	require.Equal(t, []float32{0, -1, -2, -3}, run(1, 4, -1))     // evicts the least recently used
	sp, ok := m.Specializations()
	require.True(t, ok)
	require.Equal(t, int64(1), sp.Hits)
	require.Equal(t, int64(4), sp.Misses)
	require.Equal(t, int64(2), sp.Evictions)
	require.Equal(t, 2, sp.Loaded)
	require.Equal(t, int64(4), f.calls.Load())

	snap := rt.Telemetry().Snapshot()
	require.Len(t, snap.Specializations, 1)
	require.Equal(t, "flatten", snap.Specializations[0].Model)
	var rows []string
	for _, b := range snap.Backends {
		rows = append(rows, b.Model+"/"+b.Backend)
	}
	require.ElementsMatch(t, []string{"flatten[n=3;w=2;k=2;]/ref", "flatten[n=1;w=4;k=-1;]/ref"}, rows)
	var prom bytes.Buffer
	require.NoError(t, rt.Telemetry().WritePrometheus(&prom))
	require.Contains(t, prom.String(), `backplane_specialization_misses_total{model="flatten"} 4`)

	// A failing specialization is the run's error, naming the signature, and is not cached.
	_, err = m.Run(context.Background(), zeros(t, 13, 1), tensor.MustFromSlice([]int64{1}, 1))
	require.ErrorIs(t, err, runtime.ErrInvalidInput)
	require.ErrorContains(t, err, "specializing for n=13;w=1;k=1;: n = 13 is unlucky")
	sp, _ = m.Specializations()
	require.Equal(t, int64(1), sp.Failures)

	// Input checks come first, as for any model.
	_, err = m.Run(context.Background(), zeros(t, 2, 3), tensor.MustFromSlice([]int64{1, 2}, 2))
	require.ErrorIs(t, err, runtime.ErrInvalidInput)
	require.ErrorContains(t, err, `input "k"`)

	require.NoError(t, m.Close())
	require.Empty(t, rt.Telemetry().Snapshot().Backends, "closing the template closes its specializations")
}

func TestTemplateConcurrentRuns(t *testing.T) {
	f := &flattenScale{}
	rt, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMaxSpecializations(3))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), flattenTemplate(f))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				n := 1 + (g+i)%5 // five signatures through a cache of three
				out, err := m.Run(context.Background(), zeros(t, n, 2), tensor.MustFromSlice([]int64{1}, 1))
				if !assertNoErr(t, err) {
					return
				}
				if out[0].Shape()[0] != 2*n {
					t.Errorf("n=%d: got shape %v", n, out[0].Shape())
				}
			}
		}()
	}
	wg.Wait()
	sp, _ := m.Specializations()
	require.GreaterOrEqual(t, sp.Hits+sp.Misses, int64(160), "a run that retries after an eviction counts again")
	require.LessOrEqual(t, sp.Loaded, 3)
}

func zeros(t testing.TB, shape ...int) *tensor.Tensor {
	z, err := tensor.New(tensor.Float32, shape...)
	require.NoError(t, err)
	return z
}

func assertNoErr(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

func TestTemplateSavesAndLoads(t *testing.T) {
	f := &flattenScale{tag: "v1"}
	a := flattenTemplate(f)
	a.Initializers = map[string]*tensor.Tensor{"unused_weight": tensor.MustFromSlice([]float32{1, 2}, 2)}
	data, err := a.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, uint32(runtime.TemplateFormatVersion), uint32(data[8]), "a template is written as format version 2")
	b, err := runtime.UnmarshalArtifact(data)
	require.NoError(t, err)
	require.True(t, b.IsTemplate())
	require.Equal(t, "v1", b.Specializer.(*flattenScale).tag)
	require.Equal(t, a.Inputs, b.Inputs)
	fa, err := a.Fingerprint()
	require.NoError(t, err)
	fb, err := b.Fingerprint()
	require.NoError(t, err)
	require.Equal(t, fa, fb)
	f.tag = "v2"
	fc, err := a.Fingerprint()
	require.NoError(t, err)
	require.NotEqual(t, fa, fc, "the specializer's data is part of the fingerprint")

	// A static artifact is still written as version 1.
	plain, err := affine(t).MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, byte(runtime.FormatVersion), plain[8])

	// The decoder refuses an unregistered kind by name.
	bad := &runtime.Artifact{Name: "x", Inputs: a.Inputs, Outputs: a.Outputs, Specializer: unregistered{}}
	data, err = bad.MarshalBinary()
	require.NoError(t, err)
	_, err = runtime.UnmarshalArtifact(data)
	require.ErrorIs(t, err, runtime.ErrCorrupt)
	require.ErrorContains(t, err, `specialized by "nobody-registered-this", which is not linked into this program`)

	// Templates have no nodes, and value inputs must be static and small.
	withNode := flattenTemplate(f)
	withNode.Nodes = []runtime.Node{{Name: "n", Op: "relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	require.ErrorContains(t, withNode.Validate(), "has no nodes")
	big := flattenTemplate(f)
	big.Inputs[1].Dims = runtime.Dims(runtime.MaxValueInputElements + 1)
	require.ErrorContains(t, big.Validate(), "more than "+strconv.Itoa(runtime.MaxValueInputElements)+" elements")
}

type unregistered struct{}

func (unregistered) Kind() string                   { return "nobody-registered-this" }
func (unregistered) ValueInputs() []string          { return nil }
func (unregistered) MarshalBinary() ([]byte, error) { return nil, nil }
func (unregistered) Specialize(*runtime.Artifact, runtime.Signature) (*runtime.Artifact, error) {
	return nil, fmt.Errorf("never")
}

// sharedScale is flattenScale whose scale weight is the template's own
// tensor, shared by every specialization.
type sharedScale struct{ flattenScale }

func (s *sharedScale) Specialize(tpl *runtime.Artifact, sig runtime.Signature) (*runtime.Artifact, error) {
	n, w := sig.Dims["n"], sig.Dims["w"]
	b := runtime.NewBuilder(tpl.Name)
	x := b.Input("x", tensor.Float32, runtime.Static(n), runtime.Static(w))
	b.Input("k", tensor.Int64, runtime.Static(1))
	flat := b.Op("reshape", ops.Attrs{"shape": []int64{int64(n * w)}}, x)
	b.Weight("big", tpl.Initializers["big"]) // held, not computed with: only its charge matters here
	b.Output("y", b.Op("relu", nil, flat))
	return b.Build()
}

// A template's weights are charged once: its specializations share them.
func TestTemplateSharedWeightsChargedOnce(t *testing.T) {
	const mib = 1 << 20
	big, err := tensor.New(tensor.Float32, mib/4) // 1 MiB
	require.NoError(t, err)
	tpl := flattenTemplate(&flattenScale{})
	tpl.Specializer = &sharedScale{}
	tpl.Initializers = map[string]*tensor.Tensor{"big": big}
	// Room for the weight once, and the runs' small values; not for five copies.
	rt, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMemoryBudget(2*mib))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), tpl)
	require.NoError(t, err)
	for n := 1; n <= 4; n++ {
		_, err := m.Run(context.Background(), zeros(t, n, 2), tensor.MustFromSlice([]int64{1}, 1))
		require.NoError(t, err, "n=%d", n)
	}
	sp, _ := m.Specializations()
	require.Equal(t, 4, sp.Loaded)
}

// TestTemplateSpecializationNoBackend: when no backend supports the static
// model a signature gives, the run fails with ErrNoBackend naming the
// refusal, not with ErrInvalidInput: the input is not at fault.
func TestTemplateSpecializationNoBackend(t *testing.T) {
	refuses := &fake{name: "refuses", unsupported: true}
	rt, err := runtime.New(runtime.UsingBackends(refuses))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), flattenTemplate(&flattenScale{}))
	require.NoError(t, err)
	_, err = m.Run(context.Background(), zeros(t, 2, 3), tensor.MustFromSlice([]int64{1}, 1))
	require.ErrorIs(t, err, runtime.ErrNoBackend)
	var re *runtime.Error
	require.ErrorAs(t, err, &re)
	require.Equal(t, runtime.ErrNoBackend, re.Kind)
	require.ErrorContains(t, err, "no kernel")
}
