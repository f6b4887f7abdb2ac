//go:build race

package xla_test

// raceEnabled is true under the race detector, which slows the pure-Go
// engine's loops ten-fold: full-size zoo models then run in a separate
// non-race step of `make test` instead.
const raceEnabled = true
