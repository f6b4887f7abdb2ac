// Package reference holds the reference kernel of every catalog op: plain Go
// loops that accumulate in float64 (int64 for integer dtypes) and round once
// per output element, favouring obviously correct code over speed.
//
// These kernels define the numbers every backend is tested against. The ref
// backend interprets whole graphs with them; other backends run them for the
// ops and dtypes they have no native kernel for (the cpu backend does), so no
// backend imports another.
package reference
