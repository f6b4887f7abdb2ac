package kernels

import "math"

// ActKind names an activation the output step can apply.
type ActKind uint8

// Activations. Relu and Clip run inside the micro-kernels (a clamp); the
// others run over each finished tile while it is in cache.
const (
	ActNone ActKind = iota
	ActRelu
	ActClip      // clamp to [A, B] (relu6 is Clip 0, 6)
	ActSigmoid   // 1/(1+e^-x)
	ActSilu      // x·sigmoid(x) (swish)
	ActGelu      // 0.5·x·(1+erf(x/√2))
	ActGeluTanh  // 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³)))
	ActHardSwish // x·max(0, min(1, x/6+1/2))
	ActTanh
	// ActExpNeg is e^x for x ≤ 0 only (softmax after subtracting the
	// maximum); it is not an op of the catalog.
	ActExpNeg
	numActKinds
)

// Activation is an activation with its parameters.
type Activation struct {
	Kind ActKind
	A, B float32 // Clip's bounds
}

// clamp reports whether the activation is a clamp the kernels apply, and its bounds.
func (a Activation) clamp() (bool, float32, float32) {
	switch a.Kind {
	case ActRelu:
		return true, 0, float32(math.Inf(1))
	case ActClip:
		return true, a.A, a.B
	}
	return false, 0, 0
}

// post reports whether the activation runs after the micro-kernel.
func (a Activation) post() bool { return a.Kind > ActClip }

// Apply applies the activation to x in place. Each function computes in
// float64 and rounds once, as the reference backend does.
func (a Activation) Apply(x []float32) {
	switch a.Kind {
	case ActNone:
	case ActRelu, ActClip:
		_, lo, hi := a.clamp()
		clampTo(x, lo, hi)
	case ActSigmoid:
		for i, v := range x {
			x[i] = float32(sigmoid(float64(v)))
		}
	case ActSilu:
		for i, v := range x {
			x[i] = float32(float64(v) * sigmoid(float64(v)))
		}
	case ActGelu:
		for i, v := range x {
			f := float64(v)
			x[i] = float32(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
		}
	case ActGeluTanh:
		for i, v := range x {
			f := float64(v)
			x[i] = float32(0.5 * f * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(f+0.044715*f*f*f))))
		}
	case ActHardSwish:
		for i, v := range x {
			f := float64(v)
			x[i] = float32(f * math.Max(0, math.Min(1, f/6+0.5)))
		}
	case ActTanh:
		for i, v := range x {
			x[i] = float32(math.Tanh(float64(v)))
		}
	case ActExpNeg:
		for i, v := range x {
			x[i] = float32(math.Exp(float64(v)))
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// ApplyAct applies a to x in place with the ISA's vector kernel when it has
// one (gelu and sigmoid: polynomial approximations within a few float32
// ulps, see TestVectorActivations), else with Activation.Apply.
func (isa *ISA) ApplyAct(a Activation, x []float32) {
	if f := isa.vec[a.Kind]; f != nil && len(x) >= isa.lanes {
		n := len(x) - len(x)%isa.lanes
		f(&x[0], n)
		a.Apply(x[n:])
		return
	}
	a.Apply(x)
}
