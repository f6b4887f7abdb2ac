// Tests of the C ABI that need no model file; the Go side's tests
// (`make coreml-test`) exercise compile, load and predict end to end.
import XCTest
@testable import BackplaneCoreML
import BackplaneCoreMLObjC

final class BridgeTests: XCTestCase {
    func testABIVersion() {
        XCTAssertEqual(bp_abi_version(), Int32(BP_COREML_ABI_VERSION))
    }

    func testNullArgumentsAreErrorsWithOwnedMessages() {
        var err: UnsafeMutablePointer<CChar>?
        XCTAssertEqual(bp_cache_clean(nil, &err), BP_ERR_INVALID_ARGUMENT)
        XCTAssertNotNil(err)
        bp_free_string(err)
        err = nil
        var n1: Int32 = 0, n2: Int32 = 0
        XCTAssertEqual(bp_describe(nil, &n1, &n2, &err), BP_ERR_INVALID_ARGUMENT)
        bp_free_string(err)
    }

    func testCacheCleanRemovesPartialCompiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let partial = dir.appendingPathComponent("k.partial")
        let kept = dir.appendingPathComponent("k.mlmodelc")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
        var err: UnsafeMutablePointer<CChar>?
        XCTAssertEqual(dir.path.withCString { bp_cache_clean($0, &err) }, BP_OK)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: kept.path))
    }

    func testCompilingGarbageIsACompileError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let model = dir.appendingPathComponent("bad.mlmodel")
        try Data("not a model".utf8).write(to: model)
        var out: UnsafeMutablePointer<CChar>?
        var err: UnsafeMutablePointer<CChar>?
        let st = model.path.withCString { m in dir.path.withCString { d in "k".withCString { k in bp_compile(m, d, k, &out, &err) } } }
        XCTAssertEqual(st, BP_ERR_COMPILE)
        XCTAssertNil(out)
        bp_free_string(err)
    }
}
