// Swift implementation of backplane_coreml.h over CoreML.framework.
//
// Every entry point runs inside an autorelease pool and the Objective-C
// exception guard (bp_objc_try), turns every Swift error into a status code
// with an owned message, and never keeps a pointer to caller memory after it
// returns: inputs are copied into bridge-owned MLMultiArrays before the
// prediction starts (so a prediction that outlives its timeout reads only
// bridge memory), and outputs are copied into the caller's buffers on the
// calling thread, only when the prediction finished in time.
//
// Not compiled on the machine this was written on (Linux, no Swift
// toolchain): see bridge/swift/README.md for what a Mac must verify.

import CoreML
import Foundation
import BackplaneCoreMLObjC

// MARK: - Errors and strings

struct BridgeError: Error {
    let status: bp_status
    let message: String
}

/// Copies s into malloc'd memory the caller frees with bp_free_string.
func ownedCString(_ s: String) -> UnsafeMutablePointer<CChar>? { strdup(s) }

/// Runs body in an autorelease pool and the exception guard, mapping thrown
/// errors and caught exceptions to a status and an owned message in *err.
func guarded(_ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws -> Void) -> bp_status {
    var status = BP_OK
    var message: String?
    var exceptionMessage: UnsafeMutablePointer<CChar>?
    let caught = withoutActuallyEscaping(body) { body -> bp_status in
        bp_objc_try({
            autoreleasepool {
                do {
                    try body()
                } catch let e as BridgeError {
                    status = e.status
                    message = e.message
                } catch {
                    status = BP_ERR_INTERNAL
                    message = String(describing: error)
                }
            }
        }, &exceptionMessage)
    }
    if caught != BP_OK {
        status = caught
        message = exceptionMessage.map { String(cString: $0) } ?? "Objective-C exception"
        free(exceptionMessage)
    }
    if status != BP_OK, let err = err {
        err.pointee = ownedCString(message ?? "(no message)")
    }
    return status
}

func string(_ p: UnsafePointer<CChar>?, _ what: String) throws -> String {
    guard let p = p else { throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "\(what) is NULL") }
    return String(cString: p)
}

// MARK: - Version and strings

@_cdecl("bp_abi_version")
public func bp_abi_version() -> Int32 { Int32(BP_COREML_ABI_VERSION) }

@_cdecl("bp_free_string")
public func bp_free_string(_ s: UnsafeMutablePointer<CChar>?) { free(s) }

// MARK: - Cache and compile

let partialSuffix = ".partial"

@_cdecl("bp_cache_clean")
public func bp_cache_clean(_ dir: UnsafePointer<CChar>?, _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let url = URL(fileURLWithPath: try string(dir, "cache_dir"), isDirectory: true)
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: url.path) where name.hasSuffix(partialSuffix) {
                try? fm.removeItem(at: url.appendingPathComponent(name))
            }
        } catch {
            throw BridgeError(status: BP_ERR_IO, message: "cleaning \(url.path): \(error.localizedDescription)")
        }
    }
}

@_cdecl("bp_compile")
public func bp_compile(_ modelPath: UnsafePointer<CChar>?, _ dir: UnsafePointer<CChar>?, _ key: UnsafePointer<CChar>?,
                       _ compiledPath: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                       _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let model = URL(fileURLWithPath: try string(modelPath, "model_path"))
        let cache = URL(fileURLWithPath: try string(dir, "cache_dir"), isDirectory: true)
        let k = try string(key, "key")
        guard let out = compiledPath else { throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "compiled_path is NULL") }
        let fm = FileManager.default
        let final = cache.appendingPathComponent(k + ".mlmodelc", isDirectory: true)
        if !fm.fileExists(atPath: final.path) {
            do {
                try fm.createDirectory(at: cache, withIntermediateDirectories: true)
            } catch {
                throw BridgeError(status: BP_ERR_IO, message: "creating \(cache.path): \(error.localizedDescription)")
            }
            let temp: URL
            do {
                temp = try MLModel.compileModel(at: model) // into a temporary folder Core ML picks
            } catch {
                throw BridgeError(status: BP_ERR_COMPILE, message: "compiling \(model.path): \(error.localizedDescription)")
            }
            // Move next to the final name first (same volume), then rename:
            // a crash leaves only a ".partial" entry, which bp_cache_clean removes.
            let partial = cache.appendingPathComponent(k + partialSuffix, isDirectory: true)
            do {
                try? fm.removeItem(at: partial)
                try fm.moveItem(at: temp, to: partial)
                if fm.fileExists(atPath: final.path) { // another process won the race
                    try? fm.removeItem(at: partial)
                } else {
                    try fm.moveItem(at: partial, to: final)
                }
            } catch {
                throw BridgeError(status: BP_ERR_IO, message: "storing the compiled model in \(cache.path): \(error.localizedDescription)")
            }
        }
        out.pointee = ownedCString(final.path)
    }
}

// MARK: - Models

/// A loaded model and its features (sorted by name for stable indexes).
final class LoadedModel {
    let model: MLModel
    let url: URL
    let config: MLModelConfiguration
    let inputs: [Feature]
    let outputs: [Feature]

    struct Feature {
        let name: String
        let cName: UnsafeMutablePointer<CChar> // owned here, freed in deinit
        let dtype: bp_dtype
        let shape: [Int64]
    }

    init(model: MLModel, url: URL, config: MLModelConfiguration) throws {
        self.model = model
        self.url = url
        self.config = config
        inputs = try LoadedModel.features(model.modelDescription.inputDescriptionsByName)
        outputs = try LoadedModel.features(model.modelDescription.outputDescriptionsByName)
    }

    deinit {
        for f in inputs + outputs { free(f.cName) }
    }

    static func features(_ byName: [String: MLFeatureDescription]) throws -> [Feature] {
        try byName.keys.sorted().map { name in
            guard let c = byName[name]?.multiArrayConstraint else {
                throw BridgeError(status: BP_ERR_UNSUPPORTED, message: "feature \(name) is not a multi-array")
            }
            guard c.shape.count <= Int(BP_MAX_RANK) else {
                throw BridgeError(status: BP_ERR_UNSUPPORTED, message: "feature \(name) has rank \(c.shape.count)")
            }
            return Feature(name: name, cName: strdup(name), dtype: try dtype(c.dataType, name),
                           shape: c.shape.map { $0.int64Value })
        }
    }
}

func dtype(_ t: MLMultiArrayDataType, _ name: String) throws -> bp_dtype {
    switch t {
    case .float32: return BP_DTYPE_FLOAT32
    case .float16: return BP_DTYPE_FLOAT16
    case .double: return BP_DTYPE_FLOAT64
    case .int32: return BP_DTYPE_INT32
    @unknown default:
        throw BridgeError(status: BP_ERR_UNSUPPORTED, message: "feature \(name) has an unsupported data type")
    }
}

func mlType(_ d: bp_dtype) -> MLMultiArrayDataType? {
    switch d {
    case BP_DTYPE_FLOAT32: return .float32
    case BP_DTYPE_FLOAT16: return .float16
    case BP_DTYPE_FLOAT64: return .double
    case BP_DTYPE_INT32: return .int32
    default: return nil
    }
}

func elementSize(_ d: bp_dtype) -> Int {
    switch d {
    case BP_DTYPE_FLOAT16: return 2
    case BP_DTYPE_FLOAT64: return 8
    default: return 4
    }
}

func handle(_ m: OpaquePointer?) throws -> LoadedModel {
    guard let m = m else { throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "model is NULL") }
    return Unmanaged<LoadedModel>.fromOpaque(UnsafeRawPointer(m)).takeUnretainedValue()
}

@_cdecl("bp_load")
public func bp_load(_ path: UnsafePointer<CChar>?, _ units: bp_compute_units, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                    _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let url = URL(fileURLWithPath: try string(path, "compiled_path"), isDirectory: true)
        guard let out = out else { throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "out is NULL") }
        let config = MLModelConfiguration()
        switch units {
        case BP_COMPUTE_ALL: config.computeUnits = .all
        case BP_COMPUTE_CPU_ONLY: config.computeUnits = .cpuOnly
        case BP_COMPUTE_CPU_AND_GPU: config.computeUnits = .cpuAndGPU
        case BP_COMPUTE_CPU_AND_NEURAL_ENGINE:
            if #available(macOS 13.0, *) { config.computeUnits = .cpuAndNeuralEngine } else { config.computeUnits = .all }
        default: throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "compute units \(units.rawValue)")
        }
        let model: MLModel
        do {
            model = try MLModel(contentsOf: url, configuration: config)
        } catch {
            throw BridgeError(status: BP_ERR_LOAD, message: "loading \(url.path): \(error.localizedDescription)")
        }
        let loaded = try LoadedModel(model: model, url: url, config: config)
        out.pointee = OpaquePointer(Unmanaged.passRetained(loaded).toOpaque())
    }
}

@_cdecl("bp_describe")
public func bp_describe(_ m: OpaquePointer?, _ nIn: UnsafeMutablePointer<Int32>?, _ nOut: UnsafeMutablePointer<Int32>?,
                        _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let lm = try handle(m)
        guard let nIn = nIn, let nOut = nOut else { throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "NULL count") }
        nIn.pointee = Int32(lm.inputs.count)
        nOut.pointee = Int32(lm.outputs.count)
    }
}

@_cdecl("bp_feature_info")
public func bp_feature_info(_ m: OpaquePointer?, _ isOutput: Int32, _ index: Int32, _ out: UnsafeMutablePointer<bp_feature>?,
                            _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let lm = try handle(m)
        let fs = isOutput != 0 ? lm.outputs : lm.inputs
        guard let out = out, index >= 0, Int(index) < fs.count else {
            throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "feature index \(index) of \(fs.count)")
        }
        let f = fs[Int(index)]
        var info = bp_feature()
        info.name = UnsafePointer(f.cName)
        info.dtype = f.dtype
        info.rank = Int32(f.shape.count)
        withUnsafeMutableBytes(of: &info.shape) { raw in
            let dims = raw.bindMemory(to: Int64.self)
            for (i, d) in f.shape.enumerated() { dims[i] = d }
        }
        out.pointee = info
    }
}

@_cdecl("bp_free_model")
public func bp_free_model(_ m: OpaquePointer?) {
    guard let m = m else { return }
    // A prediction that timed out keeps its own reference to the model until it ends.
    Unmanaged<LoadedModel>.fromOpaque(UnsafeRawPointer(m)).release()
}
