// Catches Objective-C exceptions thrown by Core ML or Foundation, which
// would otherwise unwind through Swift and Go frames and abort the process.
#import <Foundation/Foundation.h>
#include <stdlib.h>
#include <string.h>

#include "bp_objc.h"

bp_status bp_objc_try(void (^block)(void), char **message) {
    @autoreleasepool {
        @try {
            block();
            return BP_OK;
        } @catch (NSException *e) {
            if (message) {
                NSString *s = [NSString stringWithFormat:@"%@: %@", e.name, e.reason ?: @"(no reason)"];
                *message = strdup(s.UTF8String ?: "Objective-C exception");
            }
            return BP_ERR_EXCEPTION;
        }
    }
}
