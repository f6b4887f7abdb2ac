// Package coreml is backplane's Core ML backend. The conversion of an artifact
// to a Core ML model is pure Go and runs everywhere, so Supports answers on every
// platform; running a model needs macOS, the Swift bridge in bridge/swift and a
// build with `-tags coreml` (see the README's Core ML section). Importing the
// package registers the backend under the name "coreml".
//
// # Model format: NeuralNetwork, not ML Program
//
// Convert emits a Core ML Model of the NeuralNetwork kind, specification
// version 4 (iOS 13 / macOS 10.15), with the N-d layers introduced in that
// version (BatchedMatMul, SoftmaxND, ReshapeStatic, SliceStatic, ConcatND,
// the *Broadcastable arithmetic layers, LayerNormalization, ...) and exact
// array shape mapping, so every tensor keeps its own rank instead of being
// forced to rank 5. The choice over an ML Program (specification 6+) is
// deliberate:
//
//   - one self-contained .mlmodel protobuf with the weights inline (float32
//     values, or float16 bytes), which Core ML compiles directly; an ML Program
//     needs an .mlpackage directory with a separate weight blob file and a
//     MIL program whose ops are versioned per OS release;
//   - every layer of the NeuralNetwork schema has a fixed message with fixed
//     parameters, which makes the output easy to verify by decoding it, which
//     is how this package is tested on machines without Core ML;
//   - the layers cover backplane's op catalog well for inference: matmul,
//     convolution, pooling, the normalizations and the data-movement ops all
//     have direct counterparts.
//
// The price is that every tensor of a NeuralNetwork model is a float32 array
// (the GPU and the Neural Engine may compute in float16), so artifacts whose
// values are not all float32 are not supported: CheckSupport names the first
// node and value that is not.
//
// # Static shapes
//
// A NeuralNetwork model is converted for one input shape per input. Bind fixes
// an artifact's symbolic dimensions (such as "batch") to the sizes of one
// input signature; Convert refuses artifacts whose inputs still have symbolic
// dimensions. CheckSupport accepts symbolic dimensions, since the answer does
// not depend on their size.
//
// # Models Core ML accepts
//
// Core ML validates a model when it loads it. The package's tests hold every
// converted zoo model and op case to the rules of that validator (read from
// coremltools' mlmodel/src/Validation sources) and to the layer shapes of
// NeuralNetwork.proto, and CheckSupport refuses, naming the node, graphs for
// which a rule cannot be met. docs/coreml.md lists the rules.
//
// # Schema
//
// The protobuf is written by hand with google.golang.org/protobuf's protowire
// from the field numbers of Core ML's published schema (Model.proto,
// FeatureTypes.proto and NeuralNetwork.proto in apple/coremltools,
// mlmodel/format, Copyright (c) 2017 Apple Inc., BSD-3-Clause licence). See
// schema.go. No generated code or schema file is vendored.
package coreml
