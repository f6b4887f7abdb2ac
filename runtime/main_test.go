package runtime_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: shadow
// checks, Close and the package-level Run's evictions must all end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
