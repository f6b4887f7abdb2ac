// swift-tools-version:5.7
// backplane's Core ML bridge: a static library exposing the C ABI declared in
// Sources/BackplaneCoreMLObjC/include/backplane_coreml.h, implemented in Swift
// over CoreML.framework. Objective-C exceptions, which Swift cannot catch, are
// caught by the small Objective-C target.
import PackageDescription

let package = Package(
    name: "BackplaneCoreML",
    platforms: [.macOS(.v12)],
    products: [
        .library(name: "BackplaneCoreML", type: .static, targets: ["BackplaneCoreML"]),
    ],
    targets: [
        .target(
            name: "BackplaneCoreMLObjC",
            path: "Sources/BackplaneCoreMLObjC",
            publicHeadersPath: "include",
            cSettings: [.unsafeFlags(["-fobjc-arc"])]
        ),
        .target(
            name: "BackplaneCoreML",
            dependencies: ["BackplaneCoreMLObjC"],
            path: "Sources/BackplaneCoreML",
            linkerSettings: [.linkedFramework("CoreML"), .linkedFramework("Foundation")]
        ),
        .testTarget(
            name: "BackplaneCoreMLTests",
            dependencies: ["BackplaneCoreML"],
            path: "Tests/BackplaneCoreMLTests"
        ),
    ]
)
