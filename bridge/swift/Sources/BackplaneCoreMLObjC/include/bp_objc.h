// Objective-C exception guard for the Swift implementation of the bridge.
#ifndef BP_OBJC_H
#define BP_OBJC_H

#include "backplane_coreml.h"

#ifdef __cplusplus
extern "C" {
#endif

// bp_objc_try runs block inside an @autoreleasepool and an @try. It returns
// BP_OK, or BP_ERR_EXCEPTION with *message set to a malloc'd description of
// the caught NSException (the caller frees it with free or hands it on as a
// bridge error string).
bp_status bp_objc_try(void (^_Nonnull block)(void), char *_Nullable *_Nullable message);

#ifdef __cplusplus
}
#endif

#endif
