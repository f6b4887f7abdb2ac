package onnx

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// The exporter's machinery: type inference under two bindings of the
// symbolic dims, the rule table that maps catalog ops to ONNX, dtype checks
// with float32 promotion, and helpers that emit ONNX nodes and initializers.

// dtypeSet is a set of dtypes.
type dtypeSet uint32

func dtypesOf(ds ...tensor.DType) dtypeSet {
	var s dtypeSet
	for _, d := range ds {
		s |= 1 << d
	}
	return s
}

func (s dtypeSet) has(d tensor.DType) bool { return d.Valid() && s&(1<<d) != 0 }

func (s dtypeSet) String() string {
	var names []string
	for _, d := range tensor.DTypes() {
		if s.has(d) {
			names = append(names, d.String())
		}
	}
	return strings.Join(names, ", ")
}

// The ONNX type constraints of the ops Export emits, restricted to
// backplane's dtypes. They hold for every opset from 17 to 26 except where a
// rule says otherwise (a few widen later; the rules keep the opset-17 sets) (from ONNX's docs/Changelog.md).
var (
	tsFloatNoBF  = dtypesOf(tensor.Float16, tensor.Float32, tensor.Float64) // Conv, pools, Softplus, Elu, InstanceNormalization, ... (bfloat16 from opset 22)
	tsFloat      = tsFloatNoBF | dtypesOf(tensor.BFloat16)                  // Sqrt, Exp, Softmax, LayerNormalization, ...
	tsInt32_64   = dtypesOf(tensor.Int32, tensor.Int64)
	tsMatMul     = tsFloat | tsInt32_64              // MatMul, PRelu, ReduceSum/Mean/Prod
	tsSigned     = tsMatMul | dtypesOf(tensor.Int8)  // Neg, Relu
	tsNumeric    = tsSigned | dtypesOf(tensor.Uint8) // Add, Abs, Clip, Max, ArgMax, comparisons, ReduceMax/Min
	tsMaxPool    = tsFloatNoBF | dtypesOf(tensor.Int8, tensor.Uint8)
	tsBool       = dtypesOf(tensor.Bool)
	tsWideInts   = dtypesOf(tensor.Int16, tensor.Uint16, tensor.Uint32, tensor.Uint64)
	tsArith      = tsNumeric | tsWideInts                   // Add, Sub, Mul, Div, Mod: every numeric type
	tsAll        = tsArith | tsBool                         // data movement, Where, Cast, Identity, Equal
	tsComputeF32 = dtypesOf(tensor.Float32, tensor.Float64) // expansions computed in float32 at least
)

// exportRule says how one catalog op becomes ONNX.
type exportRule struct {
	onnx  string                   // the ONNX op whose type constraints types are (for messages)
	types func(opset int) dtypeSet // dtypes that op takes for input in
	in    int                      // the input whose dtype the constraint is about
	emit  func(c *exportCtx) error // writes the node(s)
}

var exportRules = map[string]exportRule{}

// since is the types function of an ONNX op that arrived in opset first:
// types from it on, none before.
func since(first int, types dtypeSet) func(opset int) dtypeSet {
	return func(opset int) dtypeSet {
		if opset >= first {
			return types
		}
		return 0
	}
}

// registerExport installs the rule for a catalog op.
func registerExport(op, onnxOp string, types dtypeSet, emit func(c *exportCtx) error) {
	registerExportAt(op, exportRule{onnx: onnxOp, types: func(int) dtypeSet { return types }, emit: emit})
}

func registerExportAt(op string, r exportRule) {
	if _, dup := exportRules[op]; dup {
		panic("onnx: duplicate export rule for " + op)
	}
	exportRules[op] = r
}

// ExportableOps returns the catalog ops Export has a rule for, sorted. Every
// op of the catalog is in it; a node can still be refused for its dtype or
// attributes at the target opset.
func ExportableOps() []string {
	names := make([]string, 0, len(exportRules))
	for n := range exportRules {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

type exporter struct {
	art   *runtime.Artifact
	plan  *runtime.Plan
	opset int
	alias bool  // initializers may share the artifact's memory (see tensorProto)
	bytes int64 // initializer bytes written so far
	g     *onnxpb.Graph

	types map[string]valType // every value's type under the two bindings
	names map[string]bool    // every value name in use
	nodes map[string]bool    // every ONNX node name in use
	syms  []string           // symbolic dims of the inputs
	bindA map[string]int
	bindB map[string]int
}

// newExporter infers every value's type twice, with the symbolic dims bound
// to two different sets of sizes, so a dim that differs between them depends
// on a symbolic dim (the importer's probing, see valType). A graph that only
// works for particular sizes is typed with them all bound to 1 and every node
// output's dims taken as dynamic, so no later choice relies on a static size
// that may not hold.
func newExporter(a *runtime.Artifact, opset int) (*exporter, error) {
	plan, err := a.Plan()
	if err != nil {
		return nil, exportArtifactError(a, err)
	}
	x := &exporter{art: a, plan: plan, opset: opset, g: &onnxpb.Graph{Name: a.Name},
		types: map[string]valType{}, names: map[string]bool{}, nodes: map[string]bool{},
		syms: a.SymbolicDims(), bindA: map[string]int{}, bindB: map[string]int{}}
	for i, s := range x.syms {
		x.bindA[s] = 2 + i
		x.bindB[s] = 3 + len(x.syms) + 2*i
	}
	ta, errA := plan.InferTypes(a.InputTypes(x.bindA))
	tb, errB := plan.InferTypes(a.InputTypes(x.bindB))
	if errA != nil || errB != nil {
		t1, err := plan.InferTypes(a.InputTypes(nil))
		if err != nil {
			return nil, exportArtifactError(a, err)
		}
		ta, tb = t1, map[string]ops.Type{}
		for name, t := range t1 {
			_, isInit := a.Initializers[name]
			s := t.Shape.Clone()
			for i := range s {
				if !isInit {
					s[i] = -1 // unknown: differs from every size
				}
			}
			tb[name] = ops.Type{DType: t.DType, Shape: s}
		}
		for _, in := range a.Inputs { // an input's static dims are static whatever else
			s := tb[in.Name].Shape
			for i, d := range in.Dims {
				if !d.IsSymbolic() {
					s[i] = d.Size
				}
			}
		}
		x.bindB = nil
	}
	for name, t := range ta {
		x.types[name] = valType{dtype: t.DType, a: t.Shape, b: tb[name].Shape}
		x.names[name] = true
	}
	return x, nil
}

// symbolOf names the symbolic input dim a dim of sizes da and db (under the
// two bindings) is exactly, or returns "" when it is none of them.
func (x *exporter) symbolOf(da, db int) string {
	for _, s := range x.syms {
		if x.bindA[s] == da && x.bindB != nil && x.bindB[s] == db {
			return s
		}
	}
	return ""
}

// exportCtx is the state of one catalog node being exported.
type exportCtx struct {
	*exporter
	n    *runtime.Node
	rule exportRule
	in   []string     // the node's inputs, cast to dt when promoted ("" = omitted)
	out  []string     // the names the ONNX op writes (temporaries when promoted)
	dt   tensor.DType // dtype of the ONNX op's T after promotion
}

// node exports one catalog node. When the ONNX op lacks the node's dtype and
// that dtype is float16 or bfloat16, the op is computed in float32 between
// Casts: the catalog's ops compute in higher precision and round once, so
// float32 arithmetic rounded to the narrow type is at least as close.
func (x *exporter) node(n *runtime.Node) error {
	rule, ok := exportRules[n.Op]
	if !ok {
		return x.nodeError(n, ErrUnsupported, "op %q has no ONNX mapping", n.Op)
	}
	c := &exportCtx{exporter: x, n: n, rule: rule, in: slices.Clone(n.Inputs), out: slices.Clone(n.Outputs)}
	d := x.types[n.Inputs[rule.in]].dtype
	c.dt = d
	allowed := rule.types(x.opset)
	var back [][2]string // promoted output, node output
	if !allowed.has(d) {
		if (d != tensor.Float16 && d != tensor.BFloat16) || !allowed.has(tensor.Float32) {
			err := x.nodeError(n, ErrUnsupported, "ONNX %s takes %s at opset %d, not %v", rule.onnx, allowed, x.opset, d)
			for o := x.opset + 1; o <= MaxExportOpset; o++ {
				if rule.types(o).has(d) {
					err.needOpset = o
					err.Err = fmt.Errorf("%w (%v from opset %d)", err.Err, d, o)
					break
				}
			}
			return err
		}
		c.dt = tensor.Float32
		for i, name := range n.Inputs {
			if name != "" && x.types[name].dtype == d {
				c.in[i] = c.tmp(fmt.Sprintf("in%d_float32", i))
				c.emit("Cast", []string{name}, []string{c.in[i]}, xInt("to", int64(onnxpb.Float)))
			}
		}
		for i, name := range n.Outputs {
			if x.types[name].dtype == d {
				c.out[i] = c.tmp(fmt.Sprintf("out%d_float32", i))
				back = append(back, [2]string{c.out[i], name})
			}
		}
	}
	if err := rule.emit(c); err != nil {
		return err
	}
	et, err := onnxpb.DataTypeOf(d)
	if err != nil {
		return x.nodeError(n, ErrUnsupported, "%v", err)
	}
	for _, b := range back {
		c.emit("Cast", []string{b[0]}, []string{b[1]}, xInt("to", int64(et)))
	}
	return nil
}

func (x *exporter) nodeError(n *runtime.Node, kind error, format string, args ...any) *ExportError {
	return &ExportError{Model: x.art.Name, Node: n.Name, Op: n.Op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// unsupported reports that the current node cannot be expressed at the
// target opset nor at any other.
func (c *exportCtx) unsupported(format string, args ...any) error {
	return c.nodeError(c.n, ErrUnsupported, format, args...)
}

// needs reports that the current node needs opset (above the target), so
// that an export without a target can raise its opset to it.
func (c *exportCtx) needs(opset int, format string, args ...any) error {
	e := c.nodeError(c.n, ErrUnsupported, format, args...)
	e.Err = fmt.Errorf("%w (needs opset %d; the target is %d)", e.Err, opset, c.opset)
	e.needOpset = opset
	return e
}

// typ returns the type of the node's input i (as in the artifact, before promotion).
func (c *exportCtx) typ(i int) valType { return c.types[c.n.Inputs[i]] }

// static returns input i's shape when no dim of it depends on a symbolic dim.
func (c *exportCtx) static(i int) (tensor.Shape, bool) {
	t := c.typ(i)
	return t.a, t.static()
}

// tmp returns a fresh value name derived from the node's name.
func (c *exportCtx) tmp(hint string) string {
	name := c.n.Name + "/" + hint
	for k := 2; c.names[name]; k++ {
		name = fmt.Sprintf("%s/%s_%d", c.n.Name, hint, k)
	}
	c.names[name] = true
	return name
}

// emit appends one ONNX node. The node of the rule's ONNX op takes the
// catalog node's name, so a peer runtime's error about it names the node the
// artifact has; helper nodes (casts, expansions) add their op type to it.
func (c *exportCtx) emit(opType string, in, out []string, attrs ...onnxpb.Attribute) {
	for len(in) > 0 && in[len(in)-1] == "" {
		in = in[:len(in)-1] // trailing omitted optional inputs are left out, as ONNX writers do
	}
	name := c.n.Name
	if opType != c.rule.onnx || c.nodes[name] {
		name = c.n.Name + "/" + opType
		for k := 2; c.nodes[name]; k++ {
			name = fmt.Sprintf("%s/%s_%d", c.n.Name, opType, k)
		}
	}
	c.nodes[name] = true
	c.g.Nodes = append(c.g.Nodes, onnxpb.Node{Name: name, OpType: opType, Inputs: slices.Clone(in),
		Outputs: slices.Clone(out), Attributes: attrs})
}

// emitTmp emits a one-output node writing a fresh value, and returns its name.
func (c *exportCtx) emitTmp(opType string, in []string, attrs ...onnxpb.Attribute) string {
	out := c.tmp(strings.ToLower(opType))
	c.emit(opType, in, []string{out}, attrs...)
	return out
}

// ints adds a 1-D int64 initializer (the form of every ONNX shape input).
func (c *exportCtx) ints(hint string, v []int) (string, error) {
	vals := make([]int64, len(v))
	for i, x := range v {
		vals[i] = int64(x)
	}
	t, err := tensor.FromSlice(vals, len(vals))
	if err != nil {
		return "", c.unsupported("%s: %v", hint, err)
	}
	return c.constant(hint, t)
}

// scalar adds a rank-0 initializer of dtype d holding v (rounded to d).
func (c *exportCtx) scalar(hint string, d tensor.DType, v float64) (string, error) {
	t, err := tensor.FromFloat64s(d, tensor.Shape{}, []float64{v})
	if err != nil {
		return "", c.unsupported("%s: %v", hint, err)
	}
	return c.constant(hint, t)
}

func (c *exportCtx) constant(hint string, t *tensor.Tensor) (string, error) {
	name := c.tmp(hint)
	if err := c.addInitializer(name, t); err != nil {
		return "", err
	}
	return name, nil
}

// Attribute constructors.

func xInt(name string, v int64) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrInt, I: v}
}

func xInts(name string, v []int) onnxpb.Attribute {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrInts, Ints: out}
}

func xString(name, v string) onnxpb.Attribute {
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrString, S: []byte(v)}
}

// aFloat converts a float attribute to ONNX's float32. A finite value beyond
// float32's range is refused rather than written as an infinity.
func (c *exportCtx) xFloat(name string, v float64) (onnxpb.Attribute, error) {
	f := float32(v)
	if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
		return onnxpb.Attribute{}, c.unsupported("attribute %q is %g, beyond ONNX's float32 attributes", name, v)
	}
	return onnxpb.Attribute{Name: name, Type: onnxpb.AttrFloat, F: f}, nil
}

// attrs converts the named attributes the node sets, in the order given; ONNX
// and the catalog share their names and defaults for every op that uses this.
func (c *exportCtx) attrs(a ops.Attrs, names ...string) ([]onnxpb.Attribute, error) {
	var out []onnxpb.Attribute
	for _, name := range names {
		v, ok := a[name]
		if !ok {
			continue
		}
		switch v := v.(type) {
		case int:
			out = append(out, xInt(name, int64(v)))
		case []int:
			out = append(out, xInts(name, v))
		case string:
			out = append(out, xString(name, v))
		case float64:
			f, err := c.xFloat(name, v)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		default:
			return nil, c.unsupported("attribute %q of type %T", name, v)
		}
	}
	return out, nil
}

// simple is the emit function of an op that maps onto one ONNX op with the
// same inputs and the named attributes.
func simple(onnxOp string, attrNames ...string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		attrs, err := c.attrs(c.n.Attrs, attrNames...)
		if err != nil {
			return err
		}
		c.emit(onnxOp, c.in, c.out, attrs...)
		return nil
	}
}
