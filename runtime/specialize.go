package runtime

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/backplane-ml/backplane/tensor"
)

// Shapes decided at run time, kept static for the backends.
//
// A model whose shapes depend on the sizes of its symbolic input dims (ONNX
// Shape -> Gather -> Concat -> Reshape chains, Range, ConstantOfShape) or on
// the values of small inputs (an axes or shape input, an If condition) cannot
// be one static graph. The importer then returns a template: an Artifact with
// a Specializer and no nodes. Loading it prepares nothing; each run computes
// the input signature (the symbolic dims' sizes and the values of the
// Specializer's value inputs), and on the first run with a signature the
// Specializer folds the shape decisions into a static artifact, which is
// validated and loaded like any other (so it is prepared on the preferred
// backend that supports it, with fallbacks). The loaded specializations are
// kept in an LRU per model. Nothing is guessed: a signature is only ever the
// one a run brought.

// Specializer makes a static artifact of a template for one input signature.
// Implementations are provided by importers (models/onnx) and register a
// decoder with RegisterSpecializer so that saved templates load again.
type Specializer interface {
	// Kind names the implementation; saved files record it, and
	// RegisterSpecializer maps it back to a decoder.
	Kind() string
	// ValueInputs names the graph inputs whose values, not only sizes, the
	// specialization depends on. Each must be declared with static dims and
	// at most MaxValueInputElements elements.
	ValueInputs() []string
	// Specialize returns a static artifact for the signature: its inputs are
	// the template's, in order, with every dim static (value inputs may be
	// folded into constants but stay declared). It must not modify template
	// and may share its initializers.
	Specialize(template *Artifact, sig Signature) (*Artifact, error)
	// MarshalBinary encodes what Specialize needs beyond the template's own
	// inputs, outputs and initializers.
	MarshalBinary() ([]byte, error)
}

// Signature is what one run binds: the size of every symbolic input dim and
// the value of every value input.
type Signature struct {
	Dims   map[string]int
	Values map[string]*tensor.Tensor
}

// Prober is implemented by a Specializer whose specializations may also
// depend on values the graph computes from data (a Reshape target or a TopK
// k derived from an input's contents, NonZero's result): the prefix of the
// graph that computes them runs first, and the rest is specialized on the
// values it produced.
type Prober interface {
	// Probe returns a static artifact that computes, from the template's
	// inputs (in order, dims bound as in sig), the values the specialization
	// for sig needs beyond sig, as its named outputs; or nil when sig is
	// enough. The runtime runs it, adds its outputs to sig.Values by name,
	// and asks again, at most MaxProbeStages times.
	Probe(template *Artifact, sig Signature) (*Artifact, error)
}

// MaxProbeStages bounds how many probes one run of a template may need.
const MaxProbeStages = 4

// MaxValueInputElements bounds a value input: its values are part of the
// cache key of every run.
const MaxValueInputElements = 64

// DefaultMaxSpecializations is how many specializations a model keeps loaded
// before the least recently used one is closed; see WithMaxSpecializations.
const DefaultMaxSpecializations = 16

// WithMaxSpecializations sets how many specializations of a template each
// model keeps loaded (default DefaultMaxSpecializations).
func WithMaxSpecializations(n int) Option {
	return func(r *Runtime) error {
		if n <= 0 {
			return fmt.Errorf("runtime: WithMaxSpecializations(%d): need at least 1", n)
		}
		r.maxSpecs = n
		return nil
	}
}

var (
	specMu       sync.RWMutex
	specDecoders = map[string]func([]byte) (Specializer, error){}
)

// RegisterSpecializer makes saved templates of kind loadable: decode turns
// the bytes MarshalBinary wrote back into a Specializer. It panics when kind
// is registered twice, like Register.
func RegisterSpecializer(kind string, decode func(data []byte) (Specializer, error)) {
	specMu.Lock()
	defer specMu.Unlock()
	if _, dup := specDecoders[kind]; dup || kind == "" || decode == nil {
		panic("runtime: RegisterSpecializer: empty, nil or duplicate kind " + strconv.Quote(kind))
	}
	specDecoders[kind] = decode
}

func decodeSpecializer(kind string, data []byte) (Specializer, error) {
	specMu.RLock()
	decode, ok := specDecoders[kind]
	specMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("the artifact is a template specialized by %q, which is not linked into this program "+
			"(import the package that registers it, e.g. models/onnx for \"onnx\")", kind)
	}
	return decode(data)
}

// IsTemplate reports whether the artifact is specialized per input signature
// at run time (it has a Specializer).
func (a *Artifact) IsTemplate() bool { return a.Specializer != nil }

// validateTemplate checks what a template declares: a name, named outputs,
// valid inputs and initializers, no nodes, and value inputs that exist, are
// static and small.
func (a *Artifact) validateTemplate() error {
	fail := func(input, format string, args ...any) error {
		return &Error{Kind: ErrInvalidArtifact, Model: a.Name, Input: input, Err: fmt.Errorf(format, args...)}
	}
	if a.Name == "" {
		return fail("", "artifact has no name")
	}
	if len(a.Outputs) == 0 {
		return fail("", "artifact declares no outputs")
	}
	if len(a.Nodes) > 0 {
		return fail("", "a template (an artifact with a Specializer) has no nodes: its specializations do")
	}
	seen := map[string]bool{}
	types := a.InputTypes(nil)
	for i, in := range a.Inputs {
		if in.Name == "" || seen[in.Name] {
			return fail(in.Name, "graph input name is empty or repeated")
		}
		seen[in.Name] = true
		if !in.DType.Valid() {
			return fail(in.Name, "graph input has invalid dtype %v", in.DType)
		}
		if err := types[i].Shape.Validate(); err != nil {
			return fail(in.Name, "graph input: %w", err)
		}
	}
	for name, t := range a.Initializers {
		if t == nil || !t.DType().Valid() {
			return fail(name, "initializer is nil or has no dtype")
		}
	}
	for _, out := range a.Outputs {
		if out.Name == "" {
			return fail("", "graph output has no name")
		}
	}
	for _, name := range a.Specializer.ValueInputs() {
		i := slices.IndexFunc(a.Inputs, func(v ValueInfo) bool { return v.Name == name })
		if i < 0 {
			return fail(name, "value input is not a graph input")
		}
		n := 1
		for _, d := range a.Inputs[i].Dims {
			if d.IsSymbolic() {
				return fail(name, "value input has symbolic dim %s: value inputs must be static", d.Name)
			}
			n *= d.Size
			if n > MaxValueInputElements {
				return fail(name, "value input has more than %d elements", MaxValueInputElements)
			}
		}
	}
	return nil
}

// specCache holds a template model's loaded specializations, most recently
// used first.
type specCache struct {
	max         int
	valueInputs []int // indices into the template's inputs

	mu      sync.Mutex
	lru     *list.List // of *specEntry
	entries map[string]*list.Element

	hits, misses, evictions, failures int64
	nanos                             int64 // time spent specializing and loading

	probes *specCache // a Prober's probe models by signature so far (nil model: none needed)
}

type specEntry struct {
	key   string
	ready chan struct{} // closed when model or err is set
	model *Model
	err   error
}

// SpecializationStats counts a template model's specializations.
type SpecializationStats struct {
	Model string
	// Hits counts runs that found their signature's specialization loaded;
	// Misses those that specialized (or waited for a concurrent run doing it).
	Hits, Misses int64
	// Evictions counts specializations closed to keep at most the configured number.
	Evictions int64
	// Failures counts specializations that failed (the error went to the run).
	Failures int64
	// Loaded is how many specializations are loaded now.
	Loaded int
	// Time is the time spent specializing and loading.
	Time time.Duration
	// ProbeHits and ProbeMisses count probe lookups (a Prober's template,
	// for shapes computed from data): each run looks up a probe for its
	// signature, then again with each probed value added, until none is
	// needed; a hit finds the answer loaded, a miss asks the Prober.
	ProbeHits, ProbeMisses int64
}

func (s *specCache) stats(model string) SpecializationStats {
	s.mu.Lock()
	st := SpecializationStats{Model: model, Hits: s.hits, Misses: s.misses, Evictions: s.evictions,
		Failures: s.failures, Loaded: s.lru.Len(), Time: time.Duration(s.nanos)}
	s.mu.Unlock()
	if s.probes != nil {
		p := s.probes.stats(model)
		st.ProbeHits, st.ProbeMisses = p.Hits, p.Misses
		st.Failures += p.Failures
		st.Time += p.Time
	}
	return st
}

// Specializations returns the model's specialization counters; ok is false
// for a model that is not a template.
func (m *Model) Specializations() (s SpecializationStats, ok bool) {
	if m.spec == nil {
		return SpecializationStats{}, false
	}
	return m.spec.stats(m.art.Name), true
}

// loadTemplate loads a template: it validates the declarations and prepares
// nothing; runs specialize.
func (r *Runtime) loadTemplate(a *Artifact) (*Model, error) {
	if err := a.validateTemplate(); err != nil {
		return nil, err
	}
	spec := &specCache{max: r.maxSpecs, lru: list.New(), entries: map[string]*list.Element{}}
	if _, ok := a.Specializer.(Prober); ok {
		spec.probes = &specCache{max: r.maxSpecs, lru: list.New(), entries: map[string]*list.Element{}}
	}
	for _, name := range a.Specializer.ValueInputs() {
		spec.valueInputs = append(spec.valueInputs, slices.IndexFunc(a.Inputs, func(v ValueInfo) bool { return v.Name == name }))
	}
	m := &Model{rt: r, art: a, spec: spec, closeErr: make(chan struct{})}
	m.idle = sync.NewCond(&m.lifeMu)
	if err := m.reserveWeights(); err != nil { // decoded once, shared by every specialization
		return nil, err
	}
	order := []*candidate{}
	m.order.Store(&order)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		m.releaseMemory()
		return nil, &Error{Kind: ErrClosed, Model: a.Name, Err: errors.New("runtime is closed")}
	}
	r.models[m] = struct{}{}
	r.tel.add(m)
	return m, nil
}

// runTemplate serves one run of a template model: it finds or makes the
// specialization of the inputs' signature and runs it.
func (m *Model) runTemplate(ctx context.Context, inputs []*tensor.Tensor, info *RunInfo) ([]*tensor.Tensor, error) {
	key, pairs, err := m.bindInputs(inputs, make([]byte, 0, 128), nil)
	if err != nil {
		return nil, err
	}
	sig := Signature{Dims: make(map[string]int, len(pairs)), Values: map[string]*tensor.Tensor{}}
	for _, p := range pairs {
		sig.Dims[p.name] = p.size
	}
	for _, i := range m.spec.valueInputs {
		key = appendValueKey(key, m.art.Inputs[i].Name, inputs[i])
		sig.Values[m.art.Inputs[i].Name] = inputs[i]
	}
	if m.spec.probes != nil {
		if key, err = m.runProbes(ctx, key, sig, inputs); err != nil {
			return nil, err
		}
	}
	inner, err := m.cached(ctx, m.spec, string(key), func() (*Model, error) { return m.specialize(ctx, string(key), sig) })
	if err != nil {
		return nil, err
	}
	defer inner.leave()
	out, err := inner.runEntered(ctx, inputs, info)
	return out, err
}

// runProbes runs the probes the signature needs, adding what they compute
// to sig.Values and to the key (as a digest: a probed value may be large).
func (m *Model) runProbes(ctx context.Context, key []byte, sig Signature, inputs []*tensor.Tensor) ([]byte, error) {
	prober := m.art.Specializer.(Prober)
	for stage := 0; ; stage++ {
		k := string(key)
		probe, err := m.cached(ctx, m.spec.probes, k, func() (*Model, error) {
			art, err := prober.Probe(m.art, sig)
			if err != nil || art == nil {
				if err != nil {
					err = &Error{Kind: ErrInvalidInput, Model: m.art.Name, Err: fmt.Errorf("probing for %s: %w", k, err)}
				}
				return nil, err
			}
			if stage == MaxProbeStages {
				return nil, &Error{Kind: ErrInvalidInput, Model: m.art.Name,
					Err: fmt.Errorf("probing for %s: more than %d probes needed", k, MaxProbeStages)}
			}
			art.Name = m.art.Name + "[" + k + "] probe"
			return m.rt.load(ctx, art, m.art.Initializers)
		})
		if err != nil {
			return nil, err
		}
		if probe == nil {
			return key, nil
		}
		out, err := probe.runEntered(ctx, inputs, &RunInfo{})
		probe.leave()
		if err != nil {
			return nil, err
		}
		for i, o := range probe.art.Outputs {
			sig.Values[o.Name] = out[i]
			key = appendDigestKey(key, o.Name, out[i])
		}
	}
}

// appendDigestKey appends "name#<digest of dtype, shape and contents>;".
func appendDigestKey(key []byte, name string, t *tensor.Tensor) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%v%v", t.DType(), t.Shape())
	h.Write(t.Bytes())
	key = append(key, name...)
	key = append(key, '#')
	key = hex.AppendEncode(key, h.Sum(nil)[:12])
	return append(key, ';')
}

// appendValueKey appends "name=v0,v1,...;" to key.
func appendValueKey(key []byte, name string, t *tensor.Tensor) []byte {
	key = append(key, name...)
	key = append(key, '=')
	switch {
	case t.DType().IsInt() || t.DType() == tensor.Bool:
		for j, v := range t.Int64s() {
			if j > 0 {
				key = append(key, ',')
			}
			key = strconv.AppendInt(key, v, 10)
		}
	default:
		for j, v := range t.Float64s() {
			if j > 0 {
				key = append(key, ',')
			}
			key = strconv.AppendFloat(key, v, 'g', -1, 64)
		}
	}
	return append(key, ';')
}

// specialize makes, checks and loads the static artifact of one signature.
func (m *Model) specialize(ctx context.Context, key string, sig Signature) (*Model, error) {
	fail := func(err error) error {
		e := &Error{Kind: ErrInvalidInput, Model: m.art.Name, Err: fmt.Errorf("specializing for %s: %w", key, err)}
		var inner *Error
		if errors.As(err, &inner) {
			e.Node, e.Op, e.Input = inner.Node, inner.Op, inner.Input
		}
		return e
	}
	art, err := specializeRecovered(m.art, sig)
	if err != nil {
		return nil, fail(err)
	}
	if art == nil || art.IsTemplate() {
		return nil, fail(errors.New("the specializer returned no static artifact"))
	}
	if err := m.checkSpecialized(art); err != nil {
		return nil, fail(err)
	}
	art.Name = m.art.Name + "[" + key + "]"
	inner, err := m.rt.load(ctx, art, m.art.Initializers)
	if err != nil {
		e := fail(err).(*Error)
		if errors.Is(err, ErrNoBackend) {
			// No backend runs the static model (an op or dtype every backend
			// refuses): that is the runtime's limit, not the input's fault.
			e.Kind = ErrNoBackend
		}
		return nil, e
	}
	return inner, nil
}

func specializeRecovered(a *Artifact, sig Signature) (art *Artifact, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("specializer %s panicked: %v", a.Specializer.Kind(), p)
		}
	}()
	return a.Specializer.Specialize(a, sig)
}

// checkSpecialized holds a specialization to the template's declarations:
// the same inputs in order with the run's sizes, and outputs of the declared
// names, dtypes and static dims.
func (m *Model) checkSpecialized(art *Artifact) error {
	t := m.art
	if len(art.Inputs) != len(t.Inputs) || len(art.Outputs) != len(t.Outputs) {
		return fmt.Errorf("the specialization has %d inputs and %d outputs, the template %d and %d",
			len(art.Inputs), len(art.Outputs), len(t.Inputs), len(t.Outputs))
	}
	for i, in := range art.Inputs {
		if in.Name != t.Inputs[i].Name || in.DType != t.Inputs[i].DType || len(in.Dims) != len(t.Inputs[i].Dims) {
			return fmt.Errorf("specialization input %d is %q %v%v, the template declares %q %v%v",
				i, in.Name, in.DType, in.Dims, t.Inputs[i].Name, t.Inputs[i].DType, t.Inputs[i].Dims)
		}
	}
	for i, out := range art.Outputs {
		decl := t.Outputs[i]
		if out.Name != decl.Name {
			return fmt.Errorf("specialization output %d is %q, the template declares %q", i, out.Name, decl.Name)
		}
		// The template's declaration becomes the specialization's, so Load's
		// inference holds the specialization to it.
		if decl.DType != 0 {
			art.Outputs[i].DType = decl.DType
		}
		if decl.Dims != nil {
			art.Outputs[i].Dims = slices.Clone(decl.Dims)
		}
	}
	return nil
}

// closeSpecializations closes every loaded specialization (and probe) of a
// template model.
func (m *Model) closeSpecializations() error {
	err := closeCache(m.spec)
	if m.spec.probes != nil {
		err = errors.Join(err, closeCache(m.spec.probes))
	}
	return err
}

// Inputs returns the model's declared inputs: names, dtypes and dims, with
// symbolic dims by name. It is available before any run.
func (m *Model) Inputs() []ValueInfo { return cloneInfos(m.art.Inputs) }

// Outputs returns the model's declared outputs: names, and where known
// dtypes and dims (symbolic ones by name; Dims nil when the shape is only
// known per run). It is available before any run.
func (m *Model) Outputs() []ValueInfo { return cloneInfos(m.art.Outputs) }

func cloneInfos(vs []ValueInfo) []ValueInfo {
	out := slices.Clone(vs)
	for i := range out {
		out[i].Dims = slices.Clone(out[i].Dims)
	}
	return out
}
