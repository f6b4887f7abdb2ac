package xla

// SetGoNative makes the pure-Go engine lower convolutions and window pools
// with GoMLX's native ops (ConvGeneral, ReduceWindow), the lowerings XLA
// gets, until restore is called. For tests and benchmarks, which must not
// build graphs concurrently meanwhile.
func SetGoNative(native bool) (restore func()) {
	old := goNative
	goNative = native
	return func() { goNative = old }
}

// XLA lowering modes for SetXLALowering.
const (
	XLAAuto     = xlaAuto     // the measured choice per op family
	XLANative   = xlaNative   // ConvGeneral and ReduceWindow everywhere
	XLAProducts = xlaProducts // matrix products and taps everywhere
)

// SetXLALowering selects XLA's window lowerings until restore is called.
// For benchmarks and tests, which must not build graphs concurrently
// meanwhile.
func SetXLALowering(mode int) (restore func()) {
	old := xlaLowering
	xlaLowering = mode
	return func() { xlaLowering = old }
}

// PJRTBuilt reports whether this test binary can load PJRT plugins.
const PJRTBuilt = pjrtBuilt
