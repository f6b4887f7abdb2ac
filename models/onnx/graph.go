package onnx

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
)

// Graph hygiene done before any node is mapped: ONNX Runtime accepts node
// lists in any order (float16 converters append casts at the end), so the
// importer orders them itself; values defined twice are refused; nodes that
// no graph output depends on are dropped, and what the graph never uses is
// reported in the artifact's "onnx_unused" metadata entry.

// maxUnusedListed bounds the "onnx_unused" metadata entry.
const maxUnusedListed = 32

// graphPlan is the result of ordering a graph's nodes.
type graphPlan struct {
	live   []bool   // per node of Graph.Nodes: whether a graph output depends on it
	order  []int    // indices into Graph.Nodes of the live nodes, producers first
	unused []string // "input x", "initializer w", "node n (Op)": defined or listed but never used
}

// nodeLabel names node i as errors do: its name, else "#i".
func nodeLabel(g *onnxpb.Graph, i int) string {
	if g.Nodes[i].Name != "" {
		return g.Nodes[i].Name
	}
	return fmt.Sprintf("#%d", i)
}

// nodeReads returns every value node n reads: its inputs, then the values its
// subgraphs (If branches, Loop and Scan bodies) take from the enclosing scope.
func nodeReads(n *onnxpb.Node) []string {
	reads := slices.Clone(n.Inputs)
	for i := range n.Attributes {
		a := &n.Attributes[i]
		if a.G != nil {
			reads = append(reads, outerReads(a.G)...)
		}
		for j := range a.Graphs {
			reads = append(reads, outerReads(&a.Graphs[j])...)
		}
	}
	return reads
}

// outerReads returns the values a subgraph reads that it does not define.
func outerReads(g *onnxpb.Graph) []string {
	defined := map[string]bool{}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for _, t := range g.Initializers {
		defined[t.Name] = true
	}
	for i := range g.Nodes {
		for _, out := range g.Nodes[i].Outputs {
			defined[out] = true
		}
	}
	var reads []string
	for i := range g.Nodes {
		for _, in := range nodeReads(&g.Nodes[i]) {
			if in != "" && !defined[in] {
				reads = append(reads, in)
			}
		}
	}
	return reads
}

// planGraph checks that every value is defined once, keeps the nodes the
// graph outputs depend on and orders them so that every node comes after the
// producers of what it reads (Kahn's algorithm, keeping the file's order
// among nodes ready together). A cycle is refused naming a node on it.
func (c *converter) planGraph(g *onnxpb.Graph) (*graphPlan, error) {
	const external = -1 // graph inputs and initializers
	producer := map[string]int{}
	definer := func(p int) string {
		if p == external {
			return "a graph input or initializer"
		}
		return fmt.Sprintf("node %q (%s)", nodeLabel(g, p), g.Nodes[p].OpType)
	}
	for _, t := range g.Initializers {
		producer[t.Name] = external
	}
	for _, in := range g.Inputs {
		producer[in.Name] = external // old exporters list initializers among the inputs too
	}
	for i := range g.Nodes {
		if !slices.ContainsFunc(g.Nodes[i].Outputs, func(o string) bool { return o != "" }) {
			return nil, &Error{Model: c.name, Node: nodeLabel(g, i), OpType: g.Nodes[i].OpType, Kind: ErrInvalidModel,
				Err: errors.New("node has no output")}
		}
		for _, out := range g.Nodes[i].Outputs {
			if out == "" {
				continue
			}
			if p, dup := producer[out]; dup {
				return nil, &Error{Model: c.name, Node: nodeLabel(g, i), OpType: g.Nodes[i].OpType, Input: out, Kind: ErrInvalidModel,
					Err: fmt.Errorf("output %q is also defined by %s (every value must be defined once)", out, definer(p))}
			}
			producer[out] = i
		}
	}

	// Liveness: walk back from the graph outputs.
	live := make([]bool, len(g.Nodes))
	read := map[string]bool{}
	var stack []int
	want := func(name string) {
		if name == "" || read[name] {
			return
		}
		read[name] = true
		if p, ok := producer[name]; ok && p != external && !live[p] {
			live[p] = true
			stack = append(stack, p)
		}
	}
	for _, out := range g.Outputs {
		want(out.Name)
	}
	reads := make([][]string, len(g.Nodes))
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		reads[p] = nodeReads(&g.Nodes[p])
		for _, in := range reads[p] {
			want(in)
		}
	}

	// Kahn over the live nodes.
	pending := make([]int, len(g.Nodes))
	consumers := make([][]int, len(g.Nodes))
	for i := range g.Nodes {
		if !live[i] {
			continue
		}
		for _, in := range reads[i] {
			if p, ok := producer[in]; ok && p != external {
				pending[i]++
				consumers[p] = append(consumers[p], i)
			}
		}
	}
	// The earliest ready node goes first, so a sorted graph keeps its order.
	ready := &intHeap{}
	var order []int
	for i := range g.Nodes {
		if live[i] && pending[i] == 0 {
			heap.Push(ready, i)
		}
	}
	for ready.Len() > 0 {
		n := heap.Pop(ready).(int)
		order = append(order, n)
		for _, cn := range consumers[n] {
			if pending[cn]--; pending[cn] == 0 {
				heap.Push(ready, cn)
			}
		}
	}
	for i := range g.Nodes {
		if live[i] && pending[i] > 0 {
			return nil, c.cycleError(g, i, pending, producer, reads)
		}
	}

	plan := &graphPlan{live: live, order: order}
	isInit := map[string]bool{}
	for _, t := range g.Initializers {
		isInit[t.Name] = true
	}
	for _, in := range g.Inputs {
		if !read[in.Name] && !isInit[in.Name] {
			plan.unused = append(plan.unused, "input "+in.Name)
		}
	}
	for _, t := range g.Initializers {
		if !read[t.Name] {
			plan.unused = append(plan.unused, "initializer "+t.Name)
		}
	}
	for i := range g.Nodes {
		if !live[i] {
			plan.unused = append(plan.unused, fmt.Sprintf("node %s (%s)", nodeLabel(g, i), g.Nodes[i].OpType))
		}
	}
	return plan, nil
}

// cycleError names a node on a cycle: starting from a node that waits on
// itself through its inputs, it follows unfinished producers until one repeats.
func (c *converter) cycleError(g *onnxpb.Graph, start int, pending []int, producer map[string]int, reads [][]string) error {
	// waitsOn returns the first value n reads from an unfinished node.
	waitsOn := func(n int) (string, int) {
		for _, in := range reads[n] {
			if p, ok := producer[in]; ok && p >= 0 && pending[p] > 0 {
				return in, p
			}
		}
		return "", -1 // cannot happen: a node left pending waits on one that is too
	}
	seen := map[int]bool{}
	n := start
	for !seen[n] {
		seen[n] = true
		_, next := waitsOn(n)
		if next < 0 {
			break
		}
		n = next
	}
	in, _ := waitsOn(n)
	return &Error{Model: c.name, Node: nodeLabel(g, n), OpType: g.Nodes[n].OpType, Input: in, Kind: ErrInvalidModel,
		Err: errors.New("node is on a cycle (what it reads depends on its own outputs)")}
}

// unusedSummary formats the unused values for the artifact's metadata.
func unusedSummary(unused []string) string {
	if len(unused) <= maxUnusedListed {
		return strings.Join(unused, "; ")
	}
	return strings.Join(unused[:maxUnusedListed], "; ") + fmt.Sprintf("; and %d more", len(unused)-maxUnusedListed)
}

// intHeap is a min-heap of node indices.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
