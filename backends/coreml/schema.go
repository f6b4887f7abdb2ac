package coreml

import "google.golang.org/protobuf/encoding/protowire"

// Field numbers and enum values of the Core ML model schema, transcribed from
// the .proto files in apple/coremltools, mlmodel/format (Model.proto,
// FeatureTypes.proto, NeuralNetwork.proto, as of Core ML specification version 10;
// Copyright (c) 2017 Apple Inc., BSD-3-Clause licence). Only the messages and
// fields this package writes are listed. Names follow the schema's message and
// field names.

// specificationVersion written by Convert: version 4 (iOS 13, macOS 10.15)
// introduced exact-rank array mapping and every N-d layer used here.
const specVersion = 4

// Model (Model.proto).
const (
	fModelSpecificationVersion protowire.Number = 1
	fModelDescription          protowire.Number = 2
	fModelNeuralNetwork        protowire.Number = 500
)

// ModelDescription, FeatureDescription and Metadata (Model.proto).
const (
	fDescInput    protowire.Number = 1
	fDescOutput   protowire.Number = 10
	fDescMetadata protowire.Number = 100

	fFeatureName protowire.Number = 1
	fFeatureType protowire.Number = 3

	fMetaShortDescription protowire.Number = 1
	fMetaUserDefined      protowire.Number = 100 // map<string, string>: entries with key 1, value 2
	fMapKey               protowire.Number = 1
	fMapValue             protowire.Number = 2
)

// FeatureType and ArrayFeatureType (FeatureTypes.proto).
const (
	fFeatureTypeMultiArray protowire.Number = 5
	fArrayShape            protowire.Number = 1
	fArrayDataType         protowire.Number = 2
	arrayFloat32                            = 65568 // ArrayDataType FLOAT32 = 0x10000 | 32
)

// NeuralNetwork and its enums (NeuralNetwork.proto).
const (
	fNNLayers                 protowire.Number = 1
	fNNArrayInputShapeMapping protowire.Number = 5
	fNNImageInputShapeMapping protowire.Number = 6
	exactArrayMapping                          = 1 // NeuralNetworkMultiArrayShapeMapping EXACT_ARRAY_MAPPING
	rank4ImageMapping                          = 1 // NeuralNetworkImageShapeMapping RANK4_IMAGE_MAPPING
)

// NeuralNetworkLayer: name, blobs, and the layer-type oneof.
const (
	fLayerName   protowire.Number = 1
	fLayerInput  protowire.Number = 2
	fLayerOutput protowire.Number = 3

	lConvolution           protowire.Number = 100
	lPooling               protowire.Number = 120
	lActivation            protowire.Number = 130
	lBatchnorm             protowire.Number = 160
	lLRN                   protowire.Number = 180
	lPadding               protowire.Number = 200
	lUnary                 protowire.Number = 220
	lClip                  protowire.Number = 660
	lCeil                  protowire.Number = 665
	lFloor                 protowire.Number = 670
	lSign                  protowire.Number = 680
	lErf                   protowire.Number = 790
	lGelu                  protowire.Number = 795
	lMinBroadcastable      protowire.Number = 870
	lMaxBroadcastable      protowire.Number = 875
	lAddBroadcastable      protowire.Number = 880
	lPowBroadcastable      protowire.Number = 885
	lDivideBroadcastable   protowire.Number = 890
	lMultiplyBroadcastable protowire.Number = 900
	lSubtractBroadcastable protowire.Number = 905
	lTile                  protowire.Number = 920
	lSoftmaxND             protowire.Number = 950
	lSplitND               protowire.Number = 975
	lConcatND              protowire.Number = 980
	lTranspose             protowire.Number = 985
	lSliceStatic           protowire.Number = 995
	lBatchedMatMul         protowire.Number = 1045
	lLoadConstantND        protowire.Number = 1070
	lBroadcastToStatic     protowire.Number = 1105
	lSqueeze               protowire.Number = 1120
	lExpandDims            protowire.Number = 1125
	lReshapeStatic         protowire.Number = 1140
	lConstantPad           protowire.Number = 1155
	lReduceMax             protowire.Number = 1260
	lReduceMin             protowire.Number = 1265
	lReduceSum             protowire.Number = 1270
	lReduceProd            protowire.Number = 1275
	lReduceMean            protowire.Number = 1280
	lLayerNormalization    protowire.Number = 1350
)

// WeightParams.
const (
	fWeightFloatValue   protowire.Number = 1 // repeated float
	fWeightFloat16Value protowire.Number = 2 // bytes: little-endian IEEE half floats
)

// ActivationParams oneof and the parameters of the activations used.
const (
	fActLinear      protowire.Number = 5
	fActReLU        protowire.Number = 10
	fActLeakyReLU   protowire.Number = 15
	fActTanh        protowire.Number = 30
	fActSigmoid     protowire.Number = 40
	fActSigmoidHard protowire.Number = 41
	fActELU         protowire.Number = 50
	fActSoftsign    protowire.Number = 60
	fActSoftplus    protowire.Number = 70

	fActAlpha protowire.Number = 1 // alpha of Linear, LeakyReLU, SigmoidHard, ELU
	fActBeta  protowire.Number = 2 // beta of Linear, SigmoidHard
)

// ConvolutionLayerParams, ValidPadding, BorderAmounts and EdgeSizes.
const (
	fConvOutputChannels protowire.Number = 1
	fConvKernelChannels protowire.Number = 2
	fConvNGroups        protowire.Number = 10
	fConvKernelSize     protowire.Number = 20
	fConvStride         protowire.Number = 30
	fConvDilation       protowire.Number = 40
	fConvValid          protowire.Number = 50
	fConvIsDeconv       protowire.Number = 60
	fConvHasBias        protowire.Number = 70
	fConvWeights        protowire.Number = 90
	fConvBias           protowire.Number = 91

	fValidPaddingAmounts protowire.Number = 1
	fBorderAmounts       protowire.Number = 10
	fEdgeStart           protowire.Number = 1
	fEdgeEnd             protowire.Number = 2
)

// PoolingLayerParams.
const (
	fPoolType          protowire.Number = 1
	fPoolKernelSize    protowire.Number = 10
	fPoolStride        protowire.Number = 20
	fPoolValid         protowire.Number = 30
	fPoolAvgExcludePad protowire.Number = 50
	fPoolGlobal        protowire.Number = 60
	poolMax                             = 0
	poolAverage                         = 1
)

// BatchnormLayerParams.
const (
	fBNChannels protowire.Number = 1
	fBNEpsilon  protowire.Number = 10
	fBNGamma    protowire.Number = 15
	fBNBeta     protowire.Number = 16
	fBNMean     protowire.Number = 17
	fBNVariance protowire.Number = 18
)

// LRNLayerParams.
const (
	fLRNAlpha     protowire.Number = 1
	fLRNBeta      protowire.Number = 2
	fLRNLocalSize protowire.Number = 3
	fLRNK         protowire.Number = 4
)

// PaddingLayerParams (legacy, last two axes) and ConstantPaddingLayerParams (N-d).
const (
	fPadConstant    protowire.Number = 1 // PaddingConstant {float value = 1}
	fPadReflection  protowire.Number = 2
	fPadReplication protowire.Number = 3
	fPadAmounts     protowire.Number = 10 // BorderAmounts, [H, W]
	fPadConstValue  protowire.Number = 1

	fConstPadValue   protowire.Number = 1
	fConstPadAmounts protowire.Number = 2 // before/after interleaved per axis
)

// UnaryFunctionLayerParams.
const (
	fUnaryType = protowire.Number(1)
	unarySqrt  = 0
	unaryExp   = 4
	unaryLog   = 5
	unaryAbs   = 6
)

// Parameters of the remaining layers.
const (
	fClipMin protowire.Number = 1
	fClipMax protowire.Number = 2

	fGeluMode      protowire.Number = 1
	geluExact                       = 0
	geluTanhApprox                  = 1

	fTileReps protowire.Number = 1

	fSoftmaxAxis protowire.Number = 1

	fSplitAxis  protowire.Number = 1
	fSplitNum   protowire.Number = 2
	fSplitSizes protowire.Number = 3

	fConcatAxis protowire.Number = 1

	fTransposeAxes protowire.Number = 1

	fSliceBeginIDs   protowire.Number = 1
	fSliceBeginMasks protowire.Number = 2
	fSliceEndIDs     protowire.Number = 3
	fSliceEndMasks   protowire.Number = 4
	fSliceStrides    protowire.Number = 5

	fBMMWeightRows protowire.Number = 5 // weightMatrixFirstDimension
	fBMMWeightCols protowire.Number = 6 // weightMatrixSecondDimension
	fBMMHasBias    protowire.Number = 7
	fBMMWeights    protowire.Number = 8 // [rows, cols] stored column-major
	fBMMBias       protowire.Number = 9

	fConstNDShape protowire.Number = 1
	fConstNDData  protowire.Number = 2

	fBroadcastTargetShape protowire.Number = 1
	fSqueezeAxes          protowire.Number = 1
	fExpandDimsAxes       protowire.Number = 1
	fReshapeTargetShape   protowire.Number = 1

	fReduceAxes     protowire.Number = 1
	fReduceKeepDims protowire.Number = 2

	fLNNormalizedShape protowire.Number = 1
	fLNEps             protowire.Number = 2
	fLNGamma           protowire.Number = 3
	fLNBeta            protowire.Number = 4
)
