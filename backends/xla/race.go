//go:build race

package xla

// raceEnabled reports a build with the race detector (see goEngineConfig).
const raceEnabled = true
