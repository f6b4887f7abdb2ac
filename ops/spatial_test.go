package ops

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpatialOutputDims(t *testing.T) {
	for _, tc := range []struct {
		name                           string
		in, kernel, strides, dilations []int
		pads                           []int
		autoPad                        string
		ceil                           bool
		wantOut, wantPads              []int
	}{
		// floor((5−2)/2)+1 = 2; ceil mode: ceil(3/2)+1 = 3, the last window starting at 4 < 5
		{"floor", []int{5}, []int{2}, []int{2}, []int{1}, nil, spatialAutoPadNotSet, false, []int{2}, []int{0, 0}},
		{"ceil", []int{5}, []int{2}, []int{2}, []int{1}, nil, spatialAutoPadNotSet, true, []int{3}, []int{0, 0}},
		// span 4+0+1−2 = 3: ceil gives 3 windows, but the third would start at 4, inside
		// the end padding (input ends at 4), so it is dropped
		{"ceil drops window in end padding", []int{4}, []int{2}, []int{2}, []int{1}, []int{0, 1}, spatialAutoPadNotSet, true,
			[]int{2}, []int{0, 1}},
		// span 6+2−3 = 5: floor 3, ceil 4; the fourth window starts at padded 6 = input 5
		{"ceil keeps window overlapping input", []int{6}, []int{3}, []int{2}, []int{1}, []int{1, 1}, spatialAutoPadNotSet, true,
			[]int{4}, []int{1, 1}},
		// dilated kernel extent 5 over 7: span 2, floor(2/2)+1 = 2 either way
		{"dilated", []int{7}, []int{3}, []int{2}, []int{2}, nil, spatialAutoPadNotSet, true, []int{2}, []int{0, 0}},
		// VALID is explicit zero pads, ceil mode included
		{"valid ceil", []int{5}, []int{2}, []int{2}, []int{1}, nil, spatialAutoPadValid, true, []int{3}, []int{0, 0}},
		// SAME: ceil(5/2) = 3, total (3−1)·2 + 3 − 5 = 2 → 1 and 1; ceil mode changes nothing
		{"same_upper even", []int{5}, []int{3}, []int{2}, []int{1}, nil, spatialAutoPadSameUpper, true, []int{3}, []int{1, 1}},
		// 2-D: dim 0 out ceil(4/2) = 2, total (2−1)·2+3−4 = 1; dim 1 out ceil(7/3) = 3,
		// total (3−1)·3+2−7 = 1; SAME_UPPER puts both odd units at the end, SAME_LOWER first
		{"same_upper 2d", []int{4, 7}, []int{3, 2}, []int{2, 3}, []int{1, 1}, nil, spatialAutoPadSameUpper, false,
			[]int{2, 3}, []int{0, 0, 1, 1}},
		{"same_lower 2d", []int{4, 7}, []int{3, 2}, []int{2, 3}, []int{1, 1}, nil, spatialAutoPadSameLower, false,
			[]int{2, 3}, []int{1, 1, 0, 0}},
		// 3-D explicit pads, begins then ends: (3+1+0−3)+1 = 2, (4+0+2−1)/2+1 = 3, (2+1+1−2)+1 = 3
		{"3d", []int{3, 4, 2}, []int{3, 1, 2}, []int{1, 2, 1}, []int{1, 1, 1}, []int{1, 0, 1, 0, 2, 1}, spatialAutoPadNotSet,
			false, []int{2, 3, 3}, []int{1, 0, 1, 0, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, pads, err := spatialOutputDims(tc.in, tc.kernel, tc.strides, tc.dilations, tc.pads, tc.autoPad, tc.ceil)
			require.NoError(t, err)
			require.Equal(t, tc.wantOut, out)
			require.Equal(t, tc.wantPads, pads)
		})
	}
}

func TestSpatialOutputDimsErrors(t *testing.T) {
	// kernel 4 over 2 + pads 1: no window fits
	_, _, err := spatialOutputDims([]int{2}, []int{4}, []int{1}, []int{1}, []int{0, 1}, spatialAutoPadNotSet, false)
	require.True(t, errors.Is(err, ErrInput), "%v", err)
	// an empty input with SAME gives an empty output
	_, _, err = spatialOutputDims([]int{0}, []int{1}, []int{1}, []int{1}, nil, spatialAutoPadSameLower, false)
	require.True(t, errors.Is(err, ErrInput), "%v", err)
	// ceil mode with the only window inside the end padding
	_, _, err = spatialOutputDims([]int{0}, []int{1}, []int{1}, []int{1}, []int{0, 1}, spatialAutoPadNotSet, true)
	require.True(t, errors.Is(err, ErrInput), "%v", err)
}

func TestSpatialAttrReaders(t *testing.T) {
	v, err := spatialIntsAttr(Attrs{}, "strides", 3, 1, 1)
	require.NoError(t, err)
	require.Equal(t, []int{1, 1, 1}, v)

	given := []int{2, 3}
	v, err = spatialIntsAttr(Attrs{"strides": given}, "strides", 2, 1, 1)
	require.NoError(t, err)
	require.Equal(t, given, v)
	v[0] = 9 // a fresh slice: the attribute is untouched
	require.Equal(t, []int{2, 3}, given)

	_, err = spatialIntsAttr(Attrs{"strides": []int{2}}, "strides", 2, 1, 1)
	require.True(t, errors.Is(err, ErrAttr))

	p, err := spatialPadsAttr(Attrs{}, 2, spatialAutoPadNotSet)
	require.NoError(t, err)
	require.Equal(t, []int{0, 0, 0, 0}, p)
	_, err = spatialPadsAttr(Attrs{"pads": []int{0, 0}}, 1, spatialAutoPadSameUpper)
	require.True(t, errors.Is(err, ErrAttr))

	for _, s := range []string{"NOTSET", "", "SAME_UPPER", "SAME_LOWER", "VALID"} {
		_, err := spatialAutoPadAttr(Attrs{"auto_pad": s})
		require.NoError(t, err, s)
	}
	p0, err := spatialAutoPadAttr(Attrs{})
	require.NoError(t, err)
	require.Equal(t, spatialAutoPadNotSet, p0)
	_, err = spatialAutoPadAttr(Attrs{"auto_pad": "FULL"})
	require.True(t, errors.Is(err, ErrAttr))

	require.NoError(t, spatialKernelAttr(Attrs{}, []int{3, 3}))
	require.NoError(t, spatialKernelAttr(Attrs{"kernel_shape": []int{3, 3}}, []int{3, 3}))
	require.Error(t, spatialKernelAttr(Attrs{"kernel_shape": []int{3, 2}}, []int{3, 3}))
}

func TestSpatialDivisions(t *testing.T) {
	for _, tc := range []struct{ a, b, floor, ceil int }{
		{7, 2, 3, 4}, {6, 2, 3, 3}, {-1, 2, -1, 0}, {-3, 2, -2, -1}, {-4, 2, -2, -2}, {0, 3, 0, 0},
	} {
		require.Equal(t, tc.floor, spatialFloorDiv(tc.a, tc.b), "floor(%d/%d)", tc.a, tc.b)
		require.Equal(t, tc.ceil, spatialCeilDiv(tc.a, tc.b), "ceil(%d/%d)", tc.a, tc.b)
	}
}
