package xla

// # Lowering: how each catalog op becomes GoMLX graph ops
//
// Every op of the catalog (package ops) that these backends run has exactly
// one lowering function, registered from an init function with
// registerLowering. The same function serves both engines ("gomlx", the pure-Go
// engine, and "xla", PJRT). Supports reports an op without a lowering as
// unsupported, naming it, so the dispatcher routes the model elsewhere.
//
// Adding a lowering:
//
//	func init() {
//		registerLowering("relu", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
//			x := in[0]
//			zero := graph.ScalarZero(x.Graph(), x.DType())
//			return one(graph.Where(graph.LessThan(x, zero), graph.ZerosLike(x), x)), nil
//		})
//	}
//
// The function gets a *nodeCtx (the artifact node with its attributes, the
// inferred input and output types c.In and c.Out, and the engine name) and the
// GoMLX nodes of the inputs, in order, nil for an omitted optional input. It
// returns one GoMLX node per node output. Rules:
//   - Read attributes through ops' exported helpers and default constants
//     (ops.ReduceAxes, ops.ResolveMatMul, ops.EluDefaultAlpha, ...) so a
//     default never differs from the reference backend's.
//   - Shapes are static: c.Out holds the exact output types, and the driver
//     checks every returned node against them (dtype and shape), so a lowering
//     that gets a shape wrong fails loudly instead of computing garbage.
//   - GoMLX graph functions panic on bad arguments; the driver recovers and
//     reports a compile error naming the node. Return an error yourself for
//     anything you can see coming (an attribute value the lowering cannot
//     express). Use c.errorf for it.
//   - Semantics are the catalog's (ops docs), which follow ONNX; where an
//     engine's primitive differs (NaN handling, integer division, rounding),
//     compose primitives so both engines give ref's answer.
//   - A data-dependent error ref would raise (an integer division by zero) is
//     expressed with c.check(cond, msg): the driver adds cond as an extra
//     output and Run fails with msg, naming the node, when it is false.
//   - When an engine lacks what an op needs for some dtype or attribute,
//     register a check with registerCheck(op, fn) so Supports says so up
//     front instead of Prepare failing.
//
// Testing a lowering: backends/xla's conformance test runs runtime/backendtest
// (every hand-computed case of ops/optest and every randomized case against the
// reference backend) on the pure-Go engine, and on XLA when a plugin is
// present. TestLoweredOps pins the set of lowered ops: remove the op from pendingOps
// (conformance_test.go), which also stops the kit from skipping its cases. Run
//
//	go test ./backends/xla -run 'TestConformance/gomlx/(ops|random)/<op>'
//
// Then the ONNX suite (TestSharedONNXSuite in this package) shows which
// shared ONNX tests the new op unlocked.

import (
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// loweringFunc lowers one artifact node; see the package comment above.
type loweringFunc func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error)

// checkFunc reports, before anything is built, why engine cannot run a node
// with these types (nil if it can). Its error names the reason; Supports adds
// the node and op.
type checkFunc func(e *engine, n *runtime.Node, in, out []ops.Type) error

var (
	lowerings = map[string]loweringFunc{}
	checks    = map[string]checkFunc{}
)

// registerLowering makes op runnable on both engines. It panics on an op
// missing from the catalog or registered twice: programming errors found at init.
func registerLowering(op string, f loweringFunc) {
	if _, ok := ops.Lookup(op); !ok {
		panic("backends/xla: lowering for unknown op " + op)
	}
	if _, dup := lowerings[op]; dup {
		panic("backends/xla: second lowering for op " + op)
	}
	lowerings[op] = f
}

// registerCheck adds a capability check for op, consulted by Supports.
func registerCheck(op string, f checkFunc) {
	if _, dup := checks[op]; dup {
		panic("backends/xla: second check for op " + op)
	}
	checks[op] = f
}

// LoweredOps returns the catalog ops these backends can lower, sorted.
func LoweredOps() []string {
	names := make([]string, 0, len(lowerings))
	for n := range lowerings {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// nodeCtx is what a lowering function knows about the node it lowers.
type nodeCtx struct {
	Node    *runtime.Node // name, op and attributes
	In, Out []ops.Type    // inferred input types (zero Type when omitted) and output types
	Engine  string        // "gomlx" or "xla"
	g       *graph.Graph
	checks  []runCheck
}

// runCheck is a data-dependent condition a node needs at run time.
type runCheck struct {
	node, op string
	ok       *graph.Node // scalar bool: true when the run may proceed
	msg      string
}

// Graph returns the graph being built.
func (c *nodeCtx) Graph() *graph.Graph { return c.g }

// errorf returns an error about the node being lowered.
func (c *nodeCtx) errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// check registers a run-time condition: ok must be a bool node; when any of
// its elements is false, Run fails with msg naming this node.
func (c *nodeCtx) check(ok *graph.Node, msg string) {
	if ok.Rank() > 0 {
		ok = graph.LogicalAll(ok)
	}
	c.checks = append(c.checks, runCheck{node: c.Node.Name, op: c.Node.Op, ok: ok, msg: msg})
}

// one wraps a single output node.
func one(n *graph.Node) []*graph.Node { return []*graph.Node{n} }
