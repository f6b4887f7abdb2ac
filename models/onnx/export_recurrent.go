package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// Export rules of lstm, gru and rnn: ONNX LSTM, GRU and RNN take the same
// inputs in the same order. Attributes are written explicitly where readers
// have disagreed: hidden_size and direction always, and every alpha and beta
// an activation uses, in ONNX's packed form (only the activations that take
// one, in order), so no reader's defaults come into play.

func init() {
	for op, onnxOp := range map[string]string{"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"} {
		// bfloat16 from opset 22; before, it is computed in float32 between Casts.
		registerExportAt(op, exportRule{onnx: onnxOp, emit: exportRecurrent(onnxOp), types: func(opset int) dtypeSet {
			if opset >= 22 {
				return tsFloat
			}
			return tsFloatNoBF
		}})
	}
}

// onnxActivationNames maps the catalog's lower-case activation names to ONNX's.
var onnxActivationNames = map[string]string{
	"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "softsign": "Softsign", "softplus": "Softplus",
	"affine": "Affine", "leakyrelu": "LeakyRelu", "thresholdedrelu": "ThresholdedRelu",
	"scaledtanh": "ScaledTanh", "hardsigmoid": "HardSigmoid", "elu": "Elu",
}

// onnxAgreedDefaults lists the activations whose default alpha (beta)
// ONNX's operator docs and ONNX Runtime agree on, and the catalog uses.
var onnxAgreedDefaults = [2]map[string]bool{
	{"leakyrelu": true, "hardsigmoid": true, "elu": true},
	{"hardsigmoid": true, "affine": true},
}

// recurrentDefaultsAgree reports whether every activation that takes an
// alpha (beta, when alpha is false) has its default value, and every reader
// agrees on that default: then the list is left out, as ONNX writers do, and
// the values stay exact (a written list is rounded to float32).
func recurrentDefaultsAgree(acts []ops.RecurrentActivation, alpha bool) bool {
	agreed := onnxAgreedDefaults[1]
	if alpha {
		agreed = onnxAgreedDefaults[0]
	}
	for _, a := range acts {
		takesAlpha, takesBeta, _ := ops.RecurrentActivationTakes(a.Name)
		defAlpha, defBeta := ops.RecurrentActivationDefaults(a.Name)
		takes, v, def := takesBeta, a.Beta, defBeta
		if alpha {
			takes, v, def = takesAlpha, a.Alpha, defAlpha
		}
		if takes && (!agreed[a.Name] || v != def) {
			return false
		}
	}
	return true
}

func exportRecurrent(onnxOp string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		in := make([]ops.Type, len(c.n.Inputs))
		for i, name := range c.n.Inputs {
			if name != "" {
				t := c.types[name]
				in[i] = ops.Type{DType: t.dtype, Shape: t.a}
			}
		}
		r, err := ops.ResolveRecurrent(c.n.Op, in, c.n.Attrs)
		if err != nil {
			return c.unsupported("%v", err)
		}
		attrs := []onnxpb.Attribute{xInt("hidden_size", int64(r.Size)), xString("direction", r.Direction)}
		if r.Layout != 0 {
			attrs = append(attrs, xInt("layout", int64(r.Layout)))
		}
		if c.n.Attrs.Has("activations") {
			a := onnxpb.Attribute{Name: "activations", Type: onnxpb.AttrStrings}
			alpha := onnxpb.Attribute{Name: "activation_alpha", Type: onnxpb.AttrFloats}
			beta := onnxpb.Attribute{Name: "activation_beta", Type: onnxpb.AttrFloats}
			for _, act := range r.Activations {
				a.Strings = append(a.Strings, []byte(onnxActivationNames[act.Name]))
				takesAlpha, takesBeta, _ := ops.RecurrentActivationTakes(act.Name)
				for _, p := range []struct {
					takes bool
					v     float64
					dst   *onnxpb.Attribute
				}{{takesAlpha, act.Alpha, &alpha}, {takesBeta, act.Beta, &beta}} {
					if !p.takes {
						continue
					}
					f := float32(p.v)
					if math.IsInf(float64(f), 0) {
						return c.unsupported("%s %g is beyond ONNX's float32 attributes", p.dst.Name, p.v)
					}
					p.dst.Floats = append(p.dst.Floats, f)
				}
			}
			attrs = append(attrs, a)
			for _, p := range []onnxpb.Attribute{alpha, beta} {
				if len(p.Floats) > 0 && !recurrentDefaultsAgree(r.Activations, p.Name == "activation_alpha") {
					attrs = append(attrs, p)
				}
			}
		}
		if r.Clip > 0 {
			f, err := c.xFloat("clip", r.Clip)
			if err != nil {
				return err
			}
			attrs = append(attrs, f)
		}
		if r.InputForget {
			attrs = append(attrs, xInt("input_forget", 1))
		}
		if r.LinearBeforeReset {
			attrs = append(attrs, xInt("linear_before_reset", 1))
		}
		c.emit(onnxOp, c.in, c.out, attrs...)
		return nil
	}
}
