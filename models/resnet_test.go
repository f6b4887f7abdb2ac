package models

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// resNetByHand is the textbook cost of a ResNet v1.5 on a size×size image,
// written from the architecture, not from the graph: MACs per conv are
// output pixels × output channels × (input channels × kernel area), and the
// parameters are conv weights, four values per batch-norm channel (scale,
// shift, running mean and variance) and the classifier.
func resNetByHand(size, width int, layers [4]int, classes int) (macs, params int64) {
	r := int64(size / 2) // the 7×7 stride-2 stem conv
	w := int64(width)
	macs += r * r * w * 3 * 49
	params += w*3*49 + 4*w
	r /= 2 // 3×3 stride-2 max pool
	in := w
	for s, n := range layers {
		w := int64(width << s)
		out := 4 * w
		for i := range n {
			stride := int64(1)
			if s > 0 && i == 0 {
				stride = 2
			}
			ro := r / stride
			macs += r*r*w*in + ro*ro*w*w*9 + ro*ro*out*w // 1×1 reduce, 3×3 (strided in v1.5), 1×1 expand
			params += w*in + w*w*9 + out*w + 4*(w+w+out)
			if stride != 1 || in != out { // projection shortcut
				macs += ro * ro * out * in
				params += out*in + 4*out
			}
			r, in = ro, out
		}
	}
	return macs + in*int64(classes), params + in*int64(classes) + int64(classes)
}

func TestResNet50Cost(t *testing.T) {
	a := fullModel(t, "resnet50")
	macs, params := resNetByHand(224, 64, [4]int{3, 4, 6, 3}, 1000)
	// Per stage at 224×224 (MACs):
	//   stem   112²·64·147                                         =   118,013,952
	//   layer1 56²: block 0 = 56²·(64·64 + 64·64·9 + 256·64 + 256·64) = 231,211,008,
	//          blocks 1-2 = 56²·(64·256 + 64·64·9 + 256·64) each      = 218,365,952 → 667,942,912
	//   layer2 28² (block 0's 1×1 reduce at 56²):                       1,027,604,480
	//   layer3 14²:                                                     1,464,336,384
	//   layer4 7²:                                                        809,238,528
	//   fc     2048·1000                                                    2,048,000
	//   total                                                           4,089,184,256 ≈ 4.09 GMACs (published: 4.1)
	require.Equal(t, int64(4_089_184_256), macs)
	// Parameters: 25,557,032 trained ones (torchvision's count) plus 2·26,560
	// batch-norm running statistics = 25,610,152.
	require.Equal(t, int64(25_610_152), params)

	for _, batch := range []int{1, 3} {
		c := costAt(t, a, batch)
		require.Equal(t, int64(batch)*macs, c.MACs)
	}
	require.Equal(t, params, Parameters(a))
	require.InEpsilon(t, 25.6e6, float64(Parameters(a)), 0.01, "published ResNet-50: 25.6M")
	requireCostScalesWithBatch(t, a)
}

func TestResNet50Shapes(t *testing.T) {
	a := fullModel(t, "resnet50")
	types := typesAt(t, a, 2)
	requireShapes(t, types, map[string]tensor.Shape{
		"image":            {2, 3, 224, 224},
		"relu:0":           {2, 64, 112, 112}, // stem conv + bn + relu
		"maxpool:0":        {2, 64, 56, 56},
		"layer1.2.relu:0":  {2, 256, 56, 56},
		"layer2.0.conv1:0": {2, 128, 56, 56}, // v1.5: the 1×1 reduce keeps the resolution,
		"layer2.0.conv2:0": {2, 128, 28, 28}, // the 3×3 strides
		"layer2.3.relu:0":  {2, 512, 28, 28},
		"layer3.5.relu:0":  {2, 1024, 14, 14},
		"layer4.2.relu:0":  {2, 2048, 7, 7},
		"logits":           {2, 1000},
	})
}

func TestResNetReducedCost(t *testing.T) {
	// The size knobs reach every layer: a narrow, shallow ResNet on 64×64
	// images costs what the formula says for that configuration.
	a, err := ResNet(ResNetConfig{Classes: 7, Size: 64, Width: 4, Layers: [4]int{1, 2, 1, 1}})
	require.NoError(t, err)
	macs, params := resNetByHand(64, 4, [4]int{1, 2, 1, 1}, 7)
	require.Equal(t, macs, costAt(t, a, 1).MACs)
	require.Equal(t, params, Parameters(a))
	requireShapes(t, typesAt(t, a, 1), map[string]tensor.Shape{
		"layer4.0.relu:0": {1, 4 * 4 * 8, 2, 2}, // 64 / 32 = 2
		"logits":          {1, 7},
	})
}
