package coreml

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// The rule checker: the checks Core ML runs on a NeuralNetwork model when it
// loads it, read from the specification validator in Apple's coremltools
// sources (mlmodel/src, BSD-3-Clause) and written again here from its
// behaviour, applied to the converter's own output through the tests'
// independent decoder (decode_test.go). Each rule names the coremltools file
// it comes from. Shape rules come from the layer descriptions in
// NeuralNetwork.proto (mlmodel/format): the validator checks ranks only where
// a model states them (its inputs and outputs, or a layer's optional
// inputTensor/outputTensor, which the converter does not write), while Core
// ML's compiler works the shapes out at load; the checker works every blob's
// shape out the same way and applies the validator's rank rules to all of
// them.
//
// The checker reports violations instead of failing at the first one, so
// that the tests can show it catching deliberately broken models
// (rules_cases_test.go).

// coremlRule is one rule: its id, the coremltools file it is read from, and
// what it requires.
type coremlRule struct {
	id, source, what string
}

// Sources, by file name in apple/coremltools.
const (
	srcModel     = "mlmodel/src/Model.cpp"
	srcGlobals   = "mlmodel/src/Globals.hpp"
	srcUtils     = "mlmodel/src/Utils.cpp"
	srcInterface = "mlmodel/src/Validation/InterfaceValidators.cpp"
	srcNN        = "mlmodel/src/Validation/NeuralNetwork/NeuralNetworkValidator.cpp"
	srcNNUtils   = "mlmodel/src/Validation/NeuralNetwork/NeuralNetworkValidatorUtils.hpp"
	srcLayer     = "mlmodel/src/Validation/NeuralNetwork/NeuralNetworkLayerValidator.cpp"
	srcWeights   = "mlmodel/src/Validation/ValidatorUtils-inl.hpp"
	srcProto     = "mlmodel/format/NeuralNetwork.proto"
	srcChecker   = "the converter's own promise"
)

// coremlRules lists every rule the checker enforces; checker.rule refuses an
// id that is not here, and TestCoreMLRulesOpCases requires every one of them
// to have been evaluated.
var coremlRules = []coremlRule{
	// The model and its interface.
	{"spec-version", srcModel + ", " + srcGlobals, "specificationVersion is set (non-zero) and no newer than the newest known (10)"},
	{"spec-version-features", srcUtils, "specificationVersion is at least what the features used need: 2 for float16 weights, 4 for any layer not in the iOS 12 set or a non-RANK5 shape mapping, 5 for the iOS 14 layers"},
	{"exact-array-mapping", srcNN, "a network with layers newer than iOS 12 and MultiArray inputs uses EXACT_ARRAY_MAPPING"},
	{"io-present", srcNN + ", " + srcInterface, "at least one input and one output feature"},
	{"input-not-optional", srcNN, "at least one input is not optional"},
	{"feature-valid", srcInterface + ", " + srcNNUtils, "every feature has a name and a MultiArray (or image) type; a MultiArray input has an explicit shape of rank >= 1 with no negative dim; its data type is FLOAT32, DOUBLE or INT32 (FLOAT16 from version 7)"},
	{"layers-present", srcNN, "the network has at least one layer"},
	{"layer-names", srcChecker, "every layer has a name, unique in the network"},
	{"blob-defined", srcNN, "every layer input is a model input or an earlier layer's output"},
	{"blob-single-producer", srcNN, "no blob is produced twice (nor a model input overwritten)"},
	{"outputs-produced", srcNN, "every model output is produced by a layer and listed once"},
	{"outputs-shape", srcProto, "the shape each model output gets from the layers is the one its description states"},
	{"io-count", srcLayer, "each layer has the number of inputs and outputs its type takes"},
	{"rank", srcLayer + ", " + srcNNUtils, "layer ranks: Convolution and Pooling >= 4, Batchnorm and LRN >= 3, Padding >= 2, each equal between input and output; Unary and ConstantPad keep the rank"},
	{"weights-one-type", srcWeights, "a WeightParams holds exactly one of float32 values, float16 bytes or quantized bytes"},
	// Layer parameters.
	{"conv.padding-type", srcLayer, "Convolution sets a padding type (valid or same)"},
	{"conv.dynamic-weights", srcLayer, "weights given as a second input only without deconvolution, dilation or a static bias"},
	{"conv.weights", srcLayer, "Convolution weights hold outputChannels*kernelChannels*kH*kW values (deconvolution: kernelChannels*outputChannels/nGroups*kH*kW), counted per precision"},
	{"conv.bias", srcLayer, "a Convolution bias is present exactly when hasBias, holds outputChannels values, in the weights' precision"},
	{"conv.shape", srcProto, "kernelChannels*nGroups is the input's channels (deconvolution: kernelChannels is); the output size follows the valid-padding formulas"},
	{"pooling.padding-type", srcLayer, "Pooling sets a padding type (valid, same or includeLastPixel), global pooling too"},
	{"pooling.shape", srcProto, "Pooling type is MAX, AVERAGE or L2; the output size follows the valid-padding formula, or is 1x1 when global"},
	{"activation.type", srcNNUtils, "an Activation layer sets one supported non-linearity"},
	{"batchnorm.params", srcLayer, "Batchnorm gamma, beta, mean and variance are all set in one precision and hold `channels` values"},
	{"batchnorm.shape", srcProto, "Batchnorm's channels is the input's dim -3"},
	{"lrn.k", srcLayer, "LRN's k is not negative"},
	{"padding.params", srcLayer, "Padding sets a padding type and 0 or 2 border amounts"},
	{"unary.type", srcProto, "Unary's operation is one of the schema's"},
	{"clip.range", srcLayer, "Clip's minval is not above maxval"},
	{"axis", srcLayer, "SoftmaxND, ConcatND, SplitND and reduction axes lie in [-rank, rank)"},
	{"concatND.shape", srcProto, "ConcatND inputs share rank and every dim but the axis"},
	{"splitND.params", srcLayer, "SplitND has splitSizes or numSplits, as many as its outputs; the sizes sum to the axis' dim (" + srcProto + ")"},
	{"transpose.axes", srcLayer, "Transpose has axes, a permutation of the input's rank (" + srcProto + ")"},
	{"sliceStatic.params", srcLayer, "SliceStatic has beginIds, endIds, strides, beginMasks and endMasks, one per input axis (" + srcProto + "), and selects at least one element per axis"},
	{"batchedMatmul.params", srcLayer, "a two-input BatchedMatMul has no bias; a one-input one has weightMatrixFirstDimension*SecondDimension weights and, exactly when hasBias, SecondDimension bias values in the weights' precision"},
	{"batchedMatmul.shape", srcProto, "BatchedMatMul's inner dims agree; two inputs give rank max(2, ranks) (a 1-D operand is promoted and stays so), one input keeps its rank"},
	{"loadConstantND.params", srcLayer, "LoadConstantND has a shape of length 1 to 5 and prod(shape) values"},
	{"target-shape", srcLayer, "ReshapeStatic and BroadcastToStatic have a target shape; a reshape keeps the element count and a broadcast is numpy-compatible (" + srcProto + ")"},
	{"squeeze-expand.axes", srcLayer, "Squeeze and ExpandDims have unique axes within the rank, output rank = input rank -/+ len(axes), and squeezed dims are 1 (" + srcProto + ")"},
	{"constantPad.params", srcLayer, "ConstantPad has a non-empty, even padAmounts, two per input axis (" + srcProto + ")"},
	{"layerNorm.params", srcLayer, "LayerNormalization has normalizedShape, unquantized gamma and beta, each holding prod(normalizedShape) float32 values (float16 bytes are not counted)"},
	{"layerNorm.shape", srcProto, "normalizedShape is the input's trailing dims"},
	{"tile.reps", srcProto, "Tile's reps has one entry per input axis or fewer, each >= 1"},
	{"broadcast.shape", srcProto, "the *Broadcastable layers' inputs broadcast numpy-style"},
	{"gelu.mode", srcProto, "Gelu's mode is EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION"},
}

// Field numbers of the messages the checker reads, transcribed from
// Model.proto, FeatureTypes.proto and NeuralNetwork.proto.
const (
	pbNNImageMapping  = 6
	pbFeatureOptional = 1000 // FeatureType.isOptional
	pbTypeImage       = 4
	pbFLOAT64         = 0x10000 | 64
	pbINT32           = 0x20000 | 32
	pbFLOAT16         = 0x10000 | 16
	pbWeightRaw       = 30
	pbWeightInt8Raw   = 31
	pbWeightQuant     = 40
)

// iOS 12's layer types (by the schema's names) that the checker can meet;
// every other layer type needs specification version 4 (Utils.cpp).
var ios12Layers = map[string]bool{"convolution": true, "pooling": true, "activation": true, "batchnorm": true,
	"lrn": true, "padding": true, "unary": true}

// The layer types added in iOS 14 (specification version 5) by the schema's
// names; none is in the decoder's table today, so meeting one fails decoding
// first, but the version rule is complete.
var ios14Layers = map[string]bool{"cumSum": true, "oneHot": true, "clampedReLU": true, "argSort": true,
	"pooling3d": true, "globalPooling3d": true, "sliceBySize": true, "convolution3d": true}

// newestSpecVersion is the newest specification version coremltools knows
// (Globals.hpp: MLMODEL_SPECIFICATION_VERSION_NEWEST, iOS 26).
const newestSpecVersion = 10

// weightInfo describes a WeightParams field without copying its values.
type weightInfo struct {
	set                   bool // the field is present
	floats                int  // floatValue count
	halfBytes             int  // length of float16Value
	raw, int8raw, quantOK bool
}

func readWeight(p pb, num protowire.Number) weightInfo {
	if !p.has(num) {
		return weightInfo{}
	}
	w := p.msg(num)
	wi := weightInfo{set: true, quantOK: w.has(pbWeightQuant)}
	for _, f := range w.f[pbWeightFloat] {
		if f.typ == protowire.Fixed32Type {
			wi.floats++
		} else {
			wi.floats += len(f.b) / 4
		}
	}
	if hs := w.f[pbWeightHalf]; len(hs) > 0 { // a singular bytes field: the last occurrence counts
		wi.halfBytes = len(hs[len(hs)-1].b)
	}
	wi.raw = len(w.f[pbWeightRaw]) > 0 && len(w.f[pbWeightRaw][0].b) > 0
	wi.int8raw = len(w.f[pbWeightInt8Raw]) > 0 && len(w.f[pbWeightInt8Raw][0].b) > 0
	return wi
}

// typ is the validator's valueType (ValidatorUtils-inl.hpp): "mixed" when
// more than one storage is filled, "empty" when none is.
func (w weightInfo) typ() string {
	n := 0
	for _, filled := range []bool{w.floats > 0, w.halfBytes > 0, w.raw, w.int8raw} {
		if filled {
			n++
		}
	}
	switch {
	case n > 1:
		return "mixed"
	case w.floats > 0:
		return "float32"
	case w.halfBytes > 0:
		return "float16"
	case (w.raw || w.int8raw) && w.quantOK:
		return "quantized"
	}
	return "empty"
}

// count is the number of values the validator sees: float32 values, or
// float16 bytes halved.
func (w weightInfo) count() int {
	switch w.typ() {
	case "float32":
		return w.floats
	case "float16":
		return w.halfBytes / 2
	}
	return 0
}

// ruleChecker checks one decoded model.
type ruleChecker struct {
	m        pbModel
	shapes   map[string][]int  // blob -> shape worked out so far (absent: unknown)
	producer map[string]string // blob -> the layer that produced it, "" for a model input
	applied  map[string]int    // rule id -> times evaluated
	bad      []string          // violations, "rule: where: what"
	blind    []string          // model outputs whose shape the checker could not work out
	halves   bool              // some weight is float16
}

// checkRules runs every rule over a decoded model and returns the
// violations (none for a model Core ML accepts) and how many times each rule
// was evaluated.
func checkRules(m pbModel) (violations []string, applied map[string]int) {
	c := runRules(m)
	return c.bad, c.applied
}

func runRules(m pbModel) *ruleChecker {
	c := &ruleChecker{m: m, shapes: map[string][]int{}, producer: map[string]string{}, applied: map[string]int{}}
	c.model()
	return c
}

// rule records the evaluation of rule id and, when ok is false, a violation
// at where. It returns ok.
func (c *ruleChecker) rule(id string, ok bool, where, format string, args ...any) bool {
	if !slices.ContainsFunc(coremlRules, func(r coremlRule) bool { return r.id == id }) {
		panic("rule checker: unknown rule " + id)
	}
	c.applied[id]++
	if !ok {
		c.bad = append(c.bad, fmt.Sprintf("%s: %s: %s", id, where, fmt.Sprintf(format, args...)))
	}
	return ok
}

// requireRules fails the test with every violation of the model's bytes.
func requireRules(t testing.TB, data []byte, what string) map[string]int {
	t.Helper()
	c := runRules(decodeModel(t, data))
	if len(c.bad) > 0 {
		t.Fatalf("%s: Core ML would refuse the model:\n  %s", what, strings.Join(c.bad, "\n  "))
	}
	// The shape rules hold only as far as the checker's shape model reaches:
	// every model output of the runs must be within it.
	if len(c.blind) > 0 {
		t.Fatalf("%s: the rule checker cannot work out the shapes of outputs %v", what, c.blind)
	}
	return c.applied
}

func (c *ruleChecker) model() {
	m := c.m
	c.rule("spec-version", m.version > 0 && m.version <= newestSpecVersion, "model",
		"specificationVersion %d, want 1 to %d", m.version, newestSpecVersion)

	ins, outs := m.desc.msgs(pbDescInput), m.desc.msgs(pbDescOutput)
	c.rule("io-present", len(ins) > 0 && len(outs) > 0, "model", "%d inputs and %d outputs", len(ins), len(outs))
	allOptional := len(ins) > 0
	hasArrayInput := false
	for _, f := range ins {
		name, shape, ok := c.feature(f, true)
		if f.has(pbFeatureType) && f.msg(pbFeatureType).bool(pbFeatureOptional) == false {
			allOptional = false
		}
		if f.has(pbFeatureType) && f.msg(pbFeatureType).has(pbTypeMultiArray) {
			hasArrayInput = true
		}
		if ok {
			c.shapes[name] = shape
		}
		c.producer[name] = ""
	}
	c.rule("input-not-optional", !allOptional, "model", "every input is optional")
	described := map[string][]int{}
	for _, f := range outs {
		name, shape, _ := c.feature(f, false)
		described[name] = shape
	}

	c.rule("layers-present", len(m.layers) > 0, "model", "no layers")
	names := map[string]bool{}
	needs, newLayer := 1, false
	if m.mapping != 0 || int(m.nn.uint(pbNNImageMapping)) != 0 {
		needs = 4
	}
	for _, l := range m.layers {
		c.rule("layer-names", l.name != "" && !names[l.name], fmt.Sprintf("layer %q", l.name), "empty or repeated layer name")
		names[l.name] = true
		if !ios12Layers[l.kind] {
			newLayer, needs = true, max(needs, 4)
		}
		if ios14Layers[l.kind] {
			needs = max(needs, 5)
		}
		c.layer(l)
	}
	if c.halves {
		needs = max(needs, 2)
	}
	c.rule("spec-version-features", m.version >= needs, "model",
		"specificationVersion %d, but the layers and mappings used need %d", m.version, needs)
	c.rule("exact-array-mapping", !(newLayer && hasArrayInput) || m.mapping != 0, "model",
		"layers newer than iOS 12 with MultiArray inputs need EXACT_ARRAY_MAPPING, not RANK5_ARRAY_MAPPING")

	listed := map[string]bool{}
	for _, f := range outs {
		name := f.str(pbFeatureName)
		layer, made := c.producer[name]
		c.rule("outputs-produced", made && layer != "" && !listed[name], fmt.Sprintf("output %q", name),
			"not produced by any layer, or listed twice")
		listed[name] = true
		if want, known := described[name], c.shapes[name]; made && layer != "" {
			if known == nil {
				c.blind = append(c.blind, name)
				continue
			}
			c.rule("outputs-shape", slices.Equal(want, known), fmt.Sprintf("output %q", name),
				"the layers give shape %v, the description states %v", known, want)
		}
	}
}

// feature checks one feature description and returns its name and, for a
// MultiArray, its shape.
func (c *ruleChecker) feature(f pb, input bool) (string, []int, bool) {
	name := f.str(pbFeatureName)
	where := fmt.Sprintf("feature %q", name)
	if !c.rule("feature-valid", name != "" && f.has(pbFeatureType), where, "no name or no type") {
		return name, nil, false
	}
	typ := f.msg(pbFeatureType)
	if typ.has(pbTypeImage) {
		return name, nil, false
	}
	if !c.rule("feature-valid", typ.has(pbTypeMultiArray), where, "neural networks take MultiArray or image features") {
		return name, nil, false
	}
	arr := typ.msg(pbTypeMultiArray)
	shape := arr.ints(pbArrayShape)
	ok := true
	if input {
		ok = c.rule("feature-valid", len(shape) > 0, where, "a MultiArray input needs an explicit shape of rank >= 1")
	}
	ok = c.rule("feature-valid", !slices.ContainsFunc(shape, func(d int) bool { return d < 0 }), where,
		"negative dim in %v", shape) && ok
	dt := int(arr.uint(pbArrayDataType))
	c.rule("feature-valid", dt == pbFLOAT32 || dt == pbFLOAT64 || dt == pbINT32 || (dt == pbFLOAT16 && c.m.version >= 7),
		where, "MultiArray data type %#x", dt)
	return name, shape, ok
}

// ruleCoverage lists the rules never evaluated in applied.
func ruleCoverage(applied map[string]int) []string {
	var missing []string
	for _, r := range coremlRules {
		if applied[r.id] == 0 {
			missing = append(missing, r.id)
		}
	}
	sort.Strings(missing)
	return missing
}
