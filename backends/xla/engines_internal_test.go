package xla

import (
	"os"
	"testing"
)

// testEngines returns a backend on each engine that can run here: the
// pure-Go engine always, XLA where a plugin is found. With RequirePluginEnv
// set to 1, a missing plugin fails the test instead of narrowing it.
func testEngines(t *testing.T, o Options) []*Backend {
	out := []*Backend{NewGoMLX(o)}
	x := NewXLA(o)
	if err := x.Available(); err != nil {
		if os.Getenv(RequirePluginEnv) == "1" {
			t.Fatalf("%s=1 but the xla engine is unavailable: %v", RequirePluginEnv, err)
		}
		t.Logf("xla engine not run: %v", err)
		return out
	}
	return append(out, x)
}
