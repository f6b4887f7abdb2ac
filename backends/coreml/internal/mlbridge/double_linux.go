//go:build linux && cgo

package mlbridge

/*
#include <stdint.h>
#include <stdlib.h>
void bp_double_inject(const char *fn, int32_t status, int32_t delay_ms, int32_t count);
long long bp_double_live(void);
*/
import "C"

import "unsafe"

// InjectFault (test double only) makes the test double's next count calls of fn ("compile",
// "load", "predict", "compute_plan") fail with st (OK: only stall) after
// delayMs. It exists only on Linux, where the double is linked.
func InjectFault(fn string, st Status, delayMs, count int) {
	c := C.CString(fn)
	defer C.free(unsafe.Pointer(c))
	C.bp_double_inject(c, C.int32_t(st), C.int32_t(delayMs), C.int32_t(count))
}

// LiveAllocations (test double only) counts strings and models the double handed out that
// were not freed yet.
func LiveAllocations() int64 { return int64(C.bp_double_live()) }
