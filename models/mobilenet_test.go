package models

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// mobileNetV2ByHand is MobileNetV2's cost from the paper's table at width
// 1.0: expansion 1×1 (when t > 1), 3×3 depthwise (9 MACs per output), linear
// 1×1 projection; four values per batch-norm channel.
func mobileNetV2ByHand(size, classes int) (macs, params int64) {
	table := [][4]int64{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}
	r := int64(size+1) / 2 // 3×3 stride-2 stem, pad 1
	in := int64(32)
	macs += r * r * in * 27
	params += in*27 + 4*in
	for _, row := range table {
		t, c, n, s := row[0], row[1], row[2], row[3]
		for i := range n {
			stride := int64(1)
			if i == 0 {
				stride = s
			}
			h := in * t
			if t != 1 {
				macs += r * r * h * in
				params += h*in + 4*h
			}
			r = (r-1)/stride + 1
			macs += r*r*h*9 + r*r*c*h
			params += h*9 + 4*h + c*h + 4*c
			in = c
		}
	}
	macs += r * r * 1280 * in
	params += 1280*in + 4*1280
	return macs + 1280*int64(classes), params + 1280*int64(classes) + int64(classes)
}

func TestMobileNetV2Cost(t *testing.T) {
	a := fullModel(t, "mobilenetv2")
	macs, params := mobileNetV2ByHand(224, 1000)
	// Per row of the table at 224×224 (MACs):
	//   stem 112²·32·27                     10,838,016
	//   t1 c16   n1 s1 (112²)               10,035,200
	//   t6 c24   n2 s2 (→56²)               54,942,720
	//   t6 c32   n3 s2 (→28²)               37,443,840
	//   t6 c64   n4 s2 (→14²)               38,497,536
	//   t6 c96   n3 s1 (14²)                58,103,808
	//   t6 c160  n3 s2 (→7²)                46,560,192
	//   t6 c320  n1 s1 (7²)                 23,002,560
	//   1×1 to 1280: 7²·1280·320            20,070,400
	//   fc 1280·1000                         1,280,000
	//   total                              300,774,272 ≈ 300 MMACs (published: 300M)
	require.Equal(t, int64(300_774_272), macs)
	// 3,504,872 trained parameters (torchvision) + 2·17,056 running statistics.
	require.Equal(t, int64(3_538_984), params)

	c := costAt(t, a, 2)
	require.Equal(t, 2*macs, c.MACs)
	require.Equal(t, params, Parameters(a))
	require.InEpsilon(t, 3.5e6, float64(Parameters(a)), 0.02, "published MobileNetV2: 3.5M")
	requireCostScalesWithBatch(t, a)
}

func TestMobileNetV2Shapes(t *testing.T) {
	a := fullModel(t, "mobilenetv2")
	requireShapes(t, typesAt(t, a, 2), map[string]tensor.Shape{
		"features.0.relu:0":        {2, 32, 112, 112},
		"features.1.project.bn:0":  {2, 16, 112, 112},
		"features.3.add:0":         {2, 24, 56, 56}, // second c24 block: residual
		"features.6.add:0":         {2, 32, 28, 28},
		"features.13.add:0":        {2, 96, 14, 14},
		"features.14.dw.relu:0":    {2, 576, 7, 7}, // 96·6 channels, stride 2
		"features.17.project.bn:0": {2, 320, 7, 7},
		"features.18.relu:0":       {2, 1280, 7, 7},
		"logits":                   {2, 1000},
	})
}

func TestMakeDivisible(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want int
	}{
		{32, 32},        // already a multiple of 8
		{32 * 0.35, 16}, // 11.2 → nearest multiple 8, but 8 < 0.9·11.2, so 16
		{16 * 0.35, 8},  // 5.6 → never below 8
		{24 * 0.5, 16},  // 12 rounds half up to 16
		{96 * 0.75, 72}, // 72 exactly
		{1280, 1280},
	} {
		require.Equal(t, c.want, makeDivisible(c.v), "makeDivisible(%v)", c.v)
	}
}
