//go:build darwin && cgo && coreml

package mlbridge

// Links the Swift package's static library, built by `make coreml` (swift
// build -c release in bridge/swift), and the frameworks and Swift runtime it
// needs. The Swift runtime ships with macOS 12+ in /usr/lib/swift.

/*
#cgo darwin LDFLAGS: -L${SRCDIR}/../../../../bridge/swift/.build/release -lBackplaneCoreML -lBackplaneCoreMLObjC
#cgo darwin LDFLAGS: -framework CoreML -framework Foundation
#cgo darwin LDFLAGS: -L/usr/lib/swift -Wl,-rpath,/usr/lib/swift
*/
import "C"
