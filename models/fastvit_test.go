package models

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/tensor"
)

// fastViTByHand is the cost of a reparameterized FastViT written from the
// architecture: every conv has a bias (reparameterized blocks fold their
// batch norms), except the ConvFFN's 7×7 depthwise conv, whose batch norm
// stays (four values per channel).
func fastViTByHand(size int, widths, layers [4]int, ratio, classes int) (macs, params int64) {
	r := int64(size / 2)
	w := int64(widths[0])
	macs += r * r * w * 27 // 3×3 stride 2, 3 → w
	r /= 2
	macs += r*r*w*9 + r*r*w*w // 3×3 depthwise stride 2, 1×1
	params += (w*27 + w) + (w*9 + w) + (w*w + w)
	for s, n := range layers {
		if s > 0 {
			w = int64(widths[s])
			r /= 2
			// 7×7 stride-2 conv grouped by input channel (each output sees
			// one input channel: 49 MACs), then 1×1.
			macs += r*r*w*49 + r*r*w*w
			params += (w*49 + w) + (w*w + w)
		}
		h := int64(ratio) * w
		// RepMixer 3×3 depthwise; ConvFFN 7×7 depthwise, 1×1 up, 1×1 down.
		macs += int64(n) * (r*r*w*9 + r*r*w*49 + 2*r*r*h*w)
		params += int64(n) * ((w*9 + w) + (w*49 + 4*w) + (h*w + h) + (h*w + w))
	}
	// Final MobileOne block: 3×3 conv grouped by input channel to 2w (9 MACs
	// per output), squeeze-excite 2w → 2w/16 → 2w on the pooled vector.
	o, rd := 2*w, 2*w/16
	macs += r*r*o*9 + 2*o*rd
	params += (o*9 + o) + (o*rd + rd) + (rd*o + o)
	return macs + o*int64(classes), params + o*int64(classes) + int64(classes)
}

func TestFastViTT8Cost(t *testing.T) {
	a := fullModel(t, "fastvit_t8")
	macs, params := fastViTByHand(256, [4]int{48, 96, 192, 384}, [4]int{2, 2, 4, 2}, 3, 1000)
	// Per part at 256×256 (MACs):
	//   stem: 128²·48·27 + 64²·48·9 + 64²·48²                       =  32,440,320
	//   stage 1 (64², w 48):  2·64²·(48·9 + 48·49 + 2·144·48)        = 136,052,736
	//   embed 2: 32²·96·49 + 32²·96²                                 =  14,254,080
	//   stage 2 (32², w 96):  2·32²·(96·9 + 96·49 + 2·288·96)        = 124,649,472
	//   embed 3: 16²·192·49 + 16²·192²                               =  11,845,632
	//   stage 3 (16², w 192): 4·16²·(192·9 + 192·49 + 2·576·192)     = 237,895,680
	//   embed 4: 8²·384·49 + 8²·384²                                 =  10,641,408
	//   stage 4 (8², w 384):  2·8²·(384·9 + 384·49 + 2·1152·384)     = 116,097,024
	//   final conv 8²·768·9 + SE 2·768·48                             =     516,096
	//   fc 768·1000                                                   =     768,000
	//   total                                                           685,160,448 ≈ 0.69 GMACs (published: 0.7)
	require.Equal(t, int64(685_160_448), macs)
	// 3,994,216 trained parameters + 2·1,824 running statistics of the ConvFFN
	// batch norms = 3,997,864: timm's fastvit_t8 card says 4.0M. (The
	// FastViT paper and Apple's Core ML card say 3.6M for T8.)
	require.Equal(t, int64(3_997_864), params)

	c := costAt(t, a, 2)
	require.Equal(t, 2*macs, c.MACs)
	require.Equal(t, params, Parameters(a))
	require.InEpsilon(t, 4.0e6, float64(Parameters(a)), 0.02, "timm's FastViT-T8: 4.0M")
	requireCostScalesWithBatch(t, a)
}

func TestFastViTT8Shapes(t *testing.T) {
	a := fullModel(t, "fastvit_t8")
	want := map[string]tensor.Shape{
		"stem.0.act:0":                    {2, 48, 128, 128},
		"stem.2.act:0":                    {2, 48, 64, 64},
		"stages.1.downsample.proj.0:0":    {2, 96, 32, 32},
		"stages.0.blocks.0.mlp.fc1.act:0": {2, 144, 64, 64}, // MLP ratio 3
		"final_conv.act:0":                {2, 768, 8, 8},
		"final_conv.se.reduce.act:0":      {2, 48, 1, 1},
		"logits":                          {2, 1000},
	}
	// Stage s runs at 256 / 2^(s+2): 64, 32, 16, 8.
	for s, c := range []struct{ blocks, width, res int }{{2, 48, 64}, {2, 96, 32}, {4, 192, 16}, {2, 384, 8}} {
		want[fmt.Sprintf("stages.%d.blocks.%d.add:0", s, c.blocks-1)] = tensor.Shape{2, c.width, c.res, c.res}
	}
	requireShapes(t, typesAt(t, a, 2), want)
}

func TestFastViTReducedCost(t *testing.T) {
	widths, layers := [4]int{8, 16, 48, 96}, [4]int{1, 3, 1, 2}
	a, err := FastViT(FastViTConfig{Classes: 5, Size: 96, Widths: widths, Layers: layers, MLPRatio: 2})
	require.NoError(t, err)
	macs, params := fastViTByHand(96, widths, layers, 2, 5)
	require.Equal(t, macs, costAt(t, a, 1).MACs)
	require.Equal(t, params, Parameters(a))
	requireShapes(t, typesAt(t, a, 1), map[string]tensor.Shape{
		"stages.3.blocks.1.add:0": {1, 96, 3, 3}, // 96 / 32
		"logits":                  {1, 5},
	})
}

func TestRepMixerKernelIsIdentityPlusFilter(t *testing.T) {
	// The folded token mixer is x + DW3×3(x): its kernel is 1 at every
	// channel's centre plus a filter drawn in ±0.2, so the centre taps lie in
	// [0.8, 1.2) and the others in [-0.2, 0.2).
	a, err := FastViT(FastViTConfig{Classes: 2, Size: 32, Widths: [4]int{4, 8, 16, 32}, Layers: [4]int{1, 1, 1, 1}})
	require.NoError(t, err)
	k := a.Initializers["stages.0.blocks.0.token_mixer.reparam_conv.weight"]
	require.NotNil(t, k)
	require.Equal(t, tensor.Shape{4, 1, 3, 3}, k.Shape())
	for i, v := range k.Float64s() {
		if i%9 == 4 {
			require.True(t, v >= 0.8 && v < 1.2, "centre tap %d = %v", i, v)
		} else {
			require.True(t, v >= -0.2 && v < 0.2, "tap %d = %v", i, v)
		}
	}
}
