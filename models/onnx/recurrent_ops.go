package onnx

import (
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// Mappers of the recurrent ops LSTM, GRU and RNN onto the catalog's lstm,
// gru and rnn, which take ONNX's inputs in ONNX's order. What differs is the
// attributes: the catalog lists activations as one comma-separated string and
// takes one alpha and one beta per activation, where ONNX hands out its
// activation_alpha/activation_beta values only to the activations that use
// them, in order (ONNX Runtime's reading), a missing value meaning the
// activation's default.

func init() {
	register("LSTM", recurrentMapper("lstm", 8, 3))
	register("GRU", recurrentMapper("gru", 6, 2))
	register("RNN", recurrentMapper("rnn", 6, 2))
}

// recurrentDefaults is each op's activation list for one direction.
var recurrentDefaults = map[string]int{"lstm": 3, "gru": 2, "rnn": 1}

func recurrentMapper(op string, maxIn, maxOut int) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		if err := c.requireInputs(3, maxIn); err != nil {
			return err
		}
		if len(n.Outputs) > maxOut {
			return c.errorf(ErrInvalidModel, "has %d outputs, want at most %d", len(n.Outputs), maxOut)
		}
		if err := nnSince(c, 14, "layout"); err != nil {
			return err
		}
		if err := nnUntil(c, 7, "output_sequence"); err != nil {
			return err
		}
		// Opset 1's output_sequence only said whether Y is produced, which
		// the node's output list says too.
		c.ignore("output_sequence")
		attrs := ops.Attrs{}
		for _, name := range []string{"hidden_size", "layout", "input_forget", "linear_before_reset"} {
			if !c.hasAttr(name) {
				continue
			}
			if (name == "input_forget" && op != "lstm") || (name == "linear_before_reset" && op != "gru") {
				continue // left unread: convertNode refuses it as unsupported
			}
			v, err := c.attrInt(name, 0)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
		dir, err := c.attrString("direction", ops.RecurrentForward)
		if err != nil {
			return err
		}
		attrs["direction"] = dir
		if c.hasAttr("clip") {
			v, err := c.attrFloat("clip", 0)
			if err != nil {
				return err
			}
			attrs["clip"] = v
		}
		if err := recurrentActivations(c, op, dir, attrs); err != nil {
			return err
		}
		var outs []string
		for i := range maxOut {
			outs = append(outs, c.out(i))
		}
		return c.emit(op, attrs, nnInputs(c, maxIn), outs...)
	}
}

// recurrentActivations converts activations, activation_alpha and
// activation_beta into the catalog's form (see the file comment).
func recurrentActivations(c *converter, op, dir string, attrs ops.Attrs) error {
	a, err := c.attr("activations", onnxpb.AttrStrings)
	if err != nil {
		return err
	}
	alphas, err := c.attrFloats("activation_alpha", nil)
	if err != nil {
		return err
	}
	betas, err := c.attrFloats("activation_beta", nil)
	if err != nil {
		return err
	}
	if a == nil || len(a.Strings) == 0 {
		if alphas != nil || betas != nil {
			return c.errorf(ErrInvalidModel, "activation_alpha or activation_beta without activations")
		}
		return nil
	}
	names := make([]string, len(a.Strings))
	for i, s := range a.Strings {
		names[i] = strings.ToLower(string(s))
	}
	per := recurrentDefaults[op]
	dirs := 1
	if dir == ops.RecurrentBidirectional {
		dirs = 2
	}
	switch {
	case op == "rnn" && dirs == 1 && len(names) == 2:
		// RNN's schema default was [Tanh, Tanh] whatever the direction; a
		// one-direction RNN uses the first.
		names = names[:1]
	case dirs == 2 && len(names) == per:
		names = append(names, names...) // one list for both directions
	}
	attrs["activations"] = strings.Join(names, ",")
	posAlpha := make([]float64, len(names))
	posBeta := make([]float64, len(names))
	anyAlpha, anyBeta := false, false
	for i, name := range names {
		takesAlpha, takesBeta, ok := ops.RecurrentActivationTakes(name)
		if !ok {
			return c.errorf(ErrUnsupported, "activation %q is not supported", string(a.Strings[i]))
		}
		posAlpha[i], posBeta[i] = ops.RecurrentActivationDefaults(name)
		if takesAlpha {
			anyAlpha = true
			if len(alphas) > 0 {
				posAlpha[i], alphas = alphas[0], alphas[1:]
			}
		}
		if takesBeta {
			anyBeta = true
			if len(betas) > 0 {
				posBeta[i], betas = betas[0], betas[1:]
			}
		}
	}
	if anyAlpha {
		attrs["activation_alpha"] = posAlpha
	}
	if anyBeta {
		attrs["activation_beta"] = posBeta
	}
	return nil
}
