// bp_predict and bp_compute_plan.

import CoreML
import Foundation
import BackplaneCoreMLObjC

/// Finds the caller tensor named like feature f and checks it matches.
func match(_ ts: UnsafePointer<bp_tensor>, _ n: Int32, _ f: LoadedModel.Feature) throws -> bp_tensor {
    for i in 0..<Int(n) {
        let t = ts[i]
        guard let name = t.name, String(cString: name) == f.name else { continue }
        guard t.dtype == f.dtype, Int(t.rank) == f.shape.count, let shape = t.shape else {
            throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "tensor \(f.name) has the wrong dtype or rank")
        }
        var count = 1
        for d in 0..<f.shape.count {
            guard shape[d] == f.shape[d] else {
                throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "tensor \(f.name) dim \(d) is \(shape[d]), the model has \(f.shape[d])")
            }
            count *= Int(f.shape[d])
        }
        guard t.bytes == count * elementSize(f.dtype), count == 0 || t.data != nil else {
            throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "tensor \(f.name) has \(t.bytes) bytes")
        }
        return t
    }
    throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "no tensor named \(f.name)")
}

/// Copies a caller buffer into a new, bridge-owned multi-array.
func ownedArray(_ t: bp_tensor, _ f: LoadedModel.Feature) throws -> MLMultiArray {
    guard let type = mlType(f.dtype) else { throw BridgeError(status: BP_ERR_UNSUPPORTED, message: "dtype of \(f.name)") }
    let array: MLMultiArray
    do {
        array = try MLMultiArray(shape: f.shape.map { NSNumber(value: $0) }, dataType: type)
    } catch {
        throw BridgeError(status: BP_ERR_OUT_OF_MEMORY, message: "allocating \(f.name): \(error.localizedDescription)")
    }
    // A freshly allocated multi-array is contiguous in row-major order.
    if t.bytes > 0, let src = t.data {
        array.dataPointer.copyMemory(from: src, byteCount: t.bytes)
    }
    return array
}

/// Copies a multi-array, whatever its strides, into a row-major caller buffer.
func copyOut(_ a: MLMultiArray, _ f: LoadedModel.Feature, _ t: bp_tensor) throws {
    guard a.dataType == mlType(f.dtype), a.shape.count == f.shape.count else {
        throw BridgeError(status: BP_ERR_PREDICT, message: "output \(f.name) came back as a different type or rank")
    }
    let size = elementSize(f.dtype)
    let shape = a.shape.map { $0.intValue }
    let strides = a.strides.map { $0.intValue }
    let count = shape.reduce(1, *)
    guard count * size == t.bytes, let dst = t.data else {
        if count == 0 { return }
        throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "output buffer \(f.name) has \(t.bytes) bytes")
    }
    let src = a.dataPointer
    var contiguous = true
    var expect = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        if shape[d] != 1 && strides[d] != expect { contiguous = false }
        expect *= shape[d]
    }
    if contiguous {
        dst.copyMemory(from: src, byteCount: t.bytes)
        return
    }
    var index = [Int](repeating: 0, count: shape.count)
    for i in 0..<count {
        var off = 0
        for d in 0..<shape.count { off += index[d] * strides[d] }
        (dst + i * size).copyMemory(from: src + off * size, byteCount: size)
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { break }
            index[d] = 0
            d -= 1
        }
    }
}

/// The outcome of a prediction run on a background queue.
final class PredictionBox: @unchecked Sendable {
    var result: MLFeatureProvider?
    var error: BridgeError?
}

@_cdecl("bp_predict")
public func bp_predict(_ m: OpaquePointer?, _ inputs: UnsafePointer<bp_tensor>?, _ nIn: Int32,
                       _ outputs: UnsafeMutablePointer<bp_tensor>?, _ nOut: Int32, _ timeoutMs: Int64,
                       _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let lm = try handle(m)
        guard nIn == Int32(lm.inputs.count), nOut == Int32(lm.outputs.count),
              nIn == 0 || inputs != nil, nOut == 0 || outputs != nil else {
            throw BridgeError(status: BP_ERR_INVALID_ARGUMENT,
                              message: "\(nIn) inputs and \(nOut) outputs, the model has \(lm.inputs.count) and \(lm.outputs.count)")
        }
        var features: [String: MLFeatureValue] = [:]
        for f in lm.inputs {
            features[f.name] = MLFeatureValue(multiArray: try ownedArray(try match(inputs!, nIn, f), f))
        }
        var outs: [(LoadedModel.Feature, bp_tensor)] = []
        for f in lm.outputs { outs.append((f, try match(UnsafePointer(outputs!), nOut, f))) }
        let provider: MLDictionaryFeatureProvider
        do {
            provider = try MLDictionaryFeatureProvider(dictionary: features)
        } catch {
            throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: error.localizedDescription)
        }
        // The prediction runs on a global queue holding its own references
        // (the model, the bridge-owned inputs, the box), so returning on a
        // timeout leaves nothing that points at caller memory.
        let box = PredictionBox()
        let done = DispatchSemaphore(value: 0)
        let model = lm.model
        DispatchQueue.global(qos: .userInitiated).async {
            autoreleasepool {
                var msg: UnsafeMutablePointer<CChar>?
                let st = bp_objc_try({
                    do {
                        box.result = try model.prediction(from: provider)
                    } catch {
                        box.error = BridgeError(status: BP_ERR_PREDICT, message: error.localizedDescription)
                    }
                }, &msg)
                if st != BP_OK {
                    box.error = BridgeError(status: st, message: msg.map { String(cString: $0) } ?? "exception")
                    free(msg)
                }
            }
            done.signal()
        }
        let deadline: DispatchTime = timeoutMs > 0 ? .now() + .milliseconds(Int(timeoutMs)) : .distantFuture
        if done.wait(timeout: deadline) == .timedOut {
            throw BridgeError(status: BP_ERR_TIMEOUT, message: "prediction did not finish within \(timeoutMs) ms")
        }
        if let e = box.error { throw e }
        guard let result = box.result else { throw BridgeError(status: BP_ERR_INTERNAL, message: "no prediction result") }
        for (f, t) in outs {
            guard let array = result.featureValue(for: f.name)?.multiArrayValue else {
                throw BridgeError(status: BP_ERR_PREDICT, message: "the prediction has no output \(f.name)")
            }
            try copyOut(array, f, t)
        }
    }
}

@_cdecl("bp_compute_plan")
public func bp_compute_plan(_ m: OpaquePointer?, _ cpu: UnsafeMutablePointer<Int32>?, _ gpu: UnsafeMutablePointer<Int32>?,
                            _ ane: UnsafeMutablePointer<Int32>?, _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> bp_status {
    guarded(err) {
        let lm = try handle(m)
        guard let cpu = cpu, let gpu = gpu, let ane = ane else {
            throw BridgeError(status: BP_ERR_INVALID_ARGUMENT, message: "NULL count")
        }
        guard #available(macOS 14.4, *) else {
            throw BridgeError(status: BP_ERR_UNSUPPORTED, message: "MLComputePlan needs macOS 14.4")
        }
        let counts = try computePlanCounts(lm)
        cpu.pointee = counts.0
        gpu.pointee = counts.1
        ane.pointee = counts.2
    }
}

@available(macOS 14.4, *)
func computePlanCounts(_ lm: LoadedModel) throws -> (Int32, Int32, Int32) {
    let box = PlanBox()
    let done = DispatchSemaphore(value: 0)
    let url = lm.url
    let config = lm.config
    Task.detached {
        do {
            let plan = try await MLComputePlan.load(contentsOf: url, configuration: config)
            box.counts = tally(plan)
        } catch {
            box.error = BridgeError(status: BP_ERR_LOAD, message: "compute plan: \(error.localizedDescription)")
        }
        done.signal()
    }
    done.wait()
    if let e = box.error { throw e }
    return box.counts
}

final class PlanBox: @unchecked Sendable {
    var counts: (Int32, Int32, Int32) = (0, 0, 0)
    var error: BridgeError?
}

@available(macOS 14.4, *)
func tally(_ plan: MLComputePlan) -> (Int32, Int32, Int32) {
    var c: (Int32, Int32, Int32) = (0, 0, 0)
    func add(_ d: MLComputeDevice?) {
        switch d {
        case .cpu?: c.0 += 1
        case .gpu?: c.1 += 1
        case .neuralEngine?: c.2 += 1
        default: break
        }
    }
    switch plan.modelStructure {
    case .neuralNetwork(let nn):
        for layer in nn.layers { add(plan.deviceUsage(for: layer)?.preferred) }
    case .program(let program):
        for (_, function) in program.functions {
            for op in function.block.operations { add(plan.deviceUsage(for: op)?.preferred) }
        }
    default:
        break
    }
    return c
}
