package onnx

import (
	"fmt"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// ctrlScan unrolls Scan: the scan inputs are sliced along their scan axes,
// the body runs once per slice with the state flowing through, and the scan
// outputs are stacked along their axes. Scan-8 has a batch axis first on
// every input and output: it is unrolled per batch element.
func ctrlScan(c *converter, n *onnxpb.Node) error {
	body, err := c.attrGraph("body")
	if err != nil {
		return err
	}
	nScanIn, err := c.attrInt("num_scan_inputs", -1)
	if err != nil {
		return err
	}
	inputs := n.Inputs
	if c.opset < 9 {
		if len(inputs) == 0 {
			return c.errorf(ErrInvalidModel, "Scan-8 takes sequence_lens and then its states and scan inputs")
		}
		inputs = inputs[1:] // sequence_lens, checked in scan8
	}
	nState := len(inputs) - nScanIn
	if nScanIn < 1 || nState < 0 || len(body.Inputs) != len(inputs) {
		return c.errorf(ErrInvalidModel, "num_scan_inputs %d does not fit %d inputs and a body of %d inputs",
			nScanIn, len(inputs), len(body.Inputs))
	}
	nScanOut := len(body.Outputs) - nState
	if nScanOut < 0 || len(n.Outputs) > nState+nScanOut {
		return c.errorf(ErrInvalidModel, "the body has %d outputs for %d state values; the node has %d outputs",
			len(body.Outputs), nState, len(n.Outputs))
	}
	intsOr := func(name string, n int) ([]int, error) {
		v, err := c.attrInts(name, nil)
		if err != nil || v != nil {
			if v != nil && len(v) != n {
				return nil, c.errorf(ErrInvalidModel, "attribute %q has %d values, want %d", name, len(v), n)
			}
			return v, err
		}
		return make([]int, n), nil
	}
	sc := scan{body: body, nState: nState}
	if c.opset < 9 {
		if sc.inDirs, err = intsOr("directions", nScanIn); err != nil {
			return err
		}
		sc.inAxes, sc.outAxes, sc.outDirs = make([]int, nScanIn), make([]int, nScanOut), make([]int, nScanOut)
		return c.scan8(sc, inputs)
	}
	if sc.inAxes, err = intsOr("scan_input_axes", nScanIn); err != nil {
		return err
	}
	if sc.inDirs, err = intsOr("scan_input_directions", nScanIn); err != nil {
		return err
	}
	if sc.outAxes, err = intsOr("scan_output_axes", nScanOut); err != nil {
		return err
	}
	if sc.outDirs, err = intsOr("scan_output_directions", nScanOut); err != nil {
		return err
	}
	outs, err := c.unrollScan(sc, inputs, nState, c.nodeName+"/")
	if err != nil {
		return err
	}
	return c.bindOutputs(outs[:len(n.Outputs)], n.Outputs)
}

// scan is a Scan's body and axes.
type scan struct {
	body                             *onnxpb.Graph
	nState                           int
	inAxes, inDirs, outAxes, outDirs []int
}

// scan8 unrolls Scan-8 per batch element: the slices of every input along
// axis 0 go through the opset-9 unrolling (scan axis 0 of the slice), and the
// results are stacked back along axis 0.
func (c *converter) scan8(sc scan, inputs []string) error {
	n := c.node
	var batch = -1
	for i, in := range inputs {
		vt := c.typeOf(in)
		if len(vt.a) == 0 || vt.dynamic(0) {
			return c.inputErrorf(i+1, ErrUnsupported, "Scan-8's batch axis must be static: %w", errNeedsDims)
		}
		if batch >= 0 && vt.a[0] != batch {
			return c.inputErrorf(i+1, ErrInvalidModel, "batch axis has %d elements, another input %d", vt.a[0], batch)
		}
		batch = vt.a[0]
	}
	if c.in(0) != "" {
		lens, err := c.constInts(0)
		if err != nil {
			return err
		}
		seq := -1
		if sc.nState < len(inputs) {
			if vt := c.typeOf(inputs[sc.nState]); len(vt.a) > 1 {
				seq = vt.a[1]
			}
		}
		for _, l := range lens {
			if l != seq {
				return c.inputErrorf(0, ErrUnsupported, "sequence_lens %v shorter than the sequence (%d): only full sequences are supported", lens, seq)
			}
		}
	}
	perOut := make([][]string, len(sc.body.Outputs))
	for b := range batch {
		slices := make([]string, len(inputs))
		for i, in := range inputs {
			slices[i] = c.tmp()
			if err := c.emit("gather", ops.Attrs{"axis": int64(0)}, []string{in, c.addConst(tensor.Scalar(int64(b)))}, slices[i]); err != nil {
				return err
			}
		}
		outs, err := c.unrollScan(sc, slices, sc.nState, fmt.Sprintf("%s/batch%d/", c.nodeName, b))
		if err != nil {
			return err
		}
		for k, o := range outs {
			perOut[k] = append(perOut[k], o)
		}
	}
	outs := make([]string, len(n.Outputs))
	for k := range outs {
		if n.Outputs[k] == "" {
			continue
		}
		if batch == 0 {
			return c.errorf(ErrUnsupported, "Scan-8 over an empty batch: the shapes of its outputs are unknown")
		}
		stacked, err := c.stack(perOut[k], 0)
		if err != nil {
			return err
		}
		outs[k] = stacked
	}
	return c.bindOutputs(outs, n.Outputs)
}

// unrollScan unrolls one Scan over inputs (states, then scan inputs) and
// returns the final states, then the stacked scan outputs.
func (c *converter) unrollScan(sc scan, inputs []string, nState int, prefix string) ([]string, error) {
	body := sc.body
	nScanIn, nScanOut := len(inputs)-nState, len(body.Outputs)-nState
	inAxes := append([]int(nil), sc.inAxes...)
	// The iteration count: every scan input's scan axis, which must agree.
	iters := -1
	for k := range nScanIn {
		vt := c.typeOf(inputs[nState+k])
		ax := inAxes[k]
		if ax < 0 {
			ax += len(vt.a)
		}
		if ax < 0 || ax >= len(vt.a) {
			return nil, c.errorf(ErrInvalidModel, "scan input %d: scan axis %d is out of range for rank %d", k, inAxes[k], len(vt.a))
		}
		inAxes[k] = ax
		if vt.dynamic(ax) {
			return nil, c.errorf(ErrUnsupported, "scan input %d: the scan axis is symbolic: %w", k, errNeedsDims)
		}
		if iters >= 0 && vt.a[ax] != iters {
			return nil, c.errorf(ErrInvalidModel, "scan input %d: scan axis has %d elements, another scan input %d", k, vt.a[ax], iters)
		}
		iters = vt.a[ax]
	}
	if iters*max(len(body.Nodes), 1) > maxUnrolledNodes {
		return nil, c.errorf(ErrUnsupported, "unrolling Scan's %d iterations would add more than %d nodes", iters, maxUnrolledNodes)
	}
	if iters == 0 && nScanOut > 0 {
		return nil, c.errorf(ErrUnsupported, "Scan over zero elements: the shape of its scan outputs is unknown")
	}
	state := append([]string(nil), inputs[:nState]...)
	scans := make([][]string, nScanOut)
	for i := range iters {
		if err := c.unrollStep(); err != nil {
			return nil, err
		}
		bind := map[string]string{}
		for j, v := range state {
			bind[body.Inputs[j].Name] = v
		}
		for k := range nScanIn {
			idx := i
			if sc.inDirs[k] != 0 {
				idx = iters - 1 - i
			}
			slice := c.tmp()
			if err := c.emit("gather", ops.Attrs{"axis": int64(inAxes[k])},
				[]string{inputs[nState+k], c.addConst(tensor.Scalar(int64(idx)))}, slice); err != nil {
				return nil, err
			}
			bind[body.Inputs[nState+k].Name] = slice
		}
		outs, err := c.inlineGraph(body, fmt.Sprintf("%siter%d/", prefix, i), bind)
		if err != nil {
			return nil, err
		}
		state = outs[:nState]
		for k := range scans {
			scans[k] = append(scans[k], outs[nState+k])
		}
	}
	final := append(state, make([]string, nScanOut)...)
	for k, vals := range scans {
		if sc.outDirs[k] != 0 {
			for a, b := 0, len(vals)-1; a < b; a, b = a+1, b-1 {
				vals[a], vals[b] = vals[b], vals[a]
			}
		}
		ax := sc.outAxes[k]
		rank := len(c.typeOf(vals[0]).a) + 1
		if ax < 0 {
			ax += rank
		}
		if ax < 0 || ax >= rank {
			return nil, c.errorf(ErrInvalidModel, "scan_output_axes %d is out of range for rank %d", sc.outAxes[k], rank)
		}
		stacked, err := c.stack(vals, ax)
		if err != nil {
			return nil, err
		}
		final[nState+k] = stacked
	}
	return final, nil
}
