package coreml

// Precision is the storage type of a converted model's weights.
type Precision int

const (
	// Float32 stores weights as 32-bit floats.
	Float32 Precision = iota
	// Float16 stores weights as 16-bit floats: half the size, and the form
	// the Neural Engine computes in. Layer-normalization parameters stay
	// float32, the only form Core ML's validator accepts for them.
	Float16
)

// String returns "fp32" or "fp16".
func (p Precision) String() string {
	switch p {
	case Float32:
		return "fp32"
	case Float16:
		return "fp16"
	}
	return "precision(?)"
}

// ComputeUnits selects the devices Core ML may use when it loads a model.
type ComputeUnits int

const (
	// All lets Core ML use the CPU, the GPU and the Neural Engine.
	All ComputeUnits = iota
	// CPUOnly restricts Core ML to the CPU.
	CPUOnly
	// CPUAndGPU allows the CPU and the GPU.
	CPUAndGPU
	// CPUAndNeuralEngine allows the CPU and the Neural Engine.
	CPUAndNeuralEngine
)

// String returns the name used in flags and telemetry, e.g. "cpu+ane".
func (c ComputeUnits) String() string {
	switch c {
	case All:
		return "all"
	case CPUOnly:
		return "cpu"
	case CPUAndGPU:
		return "cpu+gpu"
	case CPUAndNeuralEngine:
		return "cpu+ane"
	}
	return "compute-units(?)"
}

// Options configure the backend.
type Options struct {
	// Precision of the converted weights (default Float32).
	Precision Precision
	// ComputeUnits passed to Core ML at load (default All).
	ComputeUnits ComputeUnits
	// CacheDir holds compiled models; empty means a "backplane-coreml"
	// folder under os.UserCacheDir().
	CacheDir string
}
