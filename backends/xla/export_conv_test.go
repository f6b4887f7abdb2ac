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

// SetXLAByTaps makes XLA lower convolutions by matrix products and window
// pools by taps, the pure-Go engine's lowerings, until restore is called.
// For benchmarks, which must not build graphs concurrently meanwhile.
func SetXLAByTaps(taps bool) (restore func()) {
	old := xlaByTaps
	xlaByTaps = taps
	return func() { xlaByTaps = old }
}

// PJRTBuilt reports whether this test binary can load PJRT plugins.
const PJRTBuilt = pjrtBuilt
