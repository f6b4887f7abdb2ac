package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShapeValidate(t *testing.T) {
	tests := []struct {
		name  string
		s     Shape
		ok    bool
		count int // NumElements when ok
	}{
		{"scalar", Shape{}, true, 1},
		{"nil is a scalar", nil, true, 1},
		{"vector", Shape{5}, true, 5},
		{"matrix", Shape{2, 3}, true, 6},
		{"zero dim", Shape{0}, true, 0},
		{"zero inside", Shape{4, 0, 3}, true, 0},
		// refused since issue 15: an op that turns the zero into 1 (a reduction
		// with keepdims) would make the count overflow
		{"zero before a huge dim", Shape{0, math.MaxInt}, false, 0},
		{"zero before MaxElements", Shape{0, MaxElements}, true, 0},
		{"exactly MaxElements", Shape{1 << 20, 1 << 20}, true, MaxElements},
		{"MaxElements in one dim", Shape{MaxElements}, true, MaxElements},
		{"negative", Shape{-1}, false, 0},
		{"negative after zero", Shape{0, -2}, false, 0},
		{"one above MaxElements", Shape{MaxElements + 1}, false, 0},
		{"product above MaxElements", Shape{1 << 20, 1 << 20, 2}, false, 0},
		{"product that would overflow int", Shape{math.MaxInt, math.MaxInt}, false, 0},
		{"overflow that wraps to a small count", Shape{1 << 32, 1 << 32, 1 << 32}, false, 0},
		// a count that overflows before a later zero is still refused: nobody builds such shapes
		{"overflow before zero", Shape{1 << 40, 1 << 40, 0}, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if !tc.ok {
				require.ErrorIs(t, err, ErrShape)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.count, tc.s.NumElements())
		})
	}
}

func TestShapeBasics(t *testing.T) {
	s := Shape{2, 3, 4}
	require.Equal(t, 3, s.Rank())
	require.Equal(t, 0, Shape{}.Rank())
	require.Equal(t, "[2 3 4]", s.String())
	require.Equal(t, "[]", Shape{}.String())
	require.True(t, s.Equal(Shape{2, 3, 4}))
	require.False(t, s.Equal(Shape{2, 3}))
	require.False(t, s.Equal(Shape{2, 3, 5}))
	require.True(t, Shape{}.Equal(nil), "a nil shape is the scalar shape")

	c := s.Clone()
	c[0] = 9
	require.Equal(t, Shape{2, 3, 4}, s, "Clone shares no memory")
	require.Nil(t, Shape(nil).Clone())
	require.NotNil(t, Shape{}.Clone())
}

func TestShapeStrides(t *testing.T) {
	tests := []struct {
		s    Shape
		want []int
	}{
		{Shape{}, []int{}},
		{Shape{5}, []int{1}},
		{Shape{2, 3, 4}, []int{12, 4, 1}},
		{Shape{2, 1, 3}, []int{3, 3, 1}},
		{Shape{2, 0, 3}, []int{0, 3, 1}},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, tc.s.Strides(), "%v", tc.s)
	}
}

func TestNormalizeAxis(t *testing.T) {
	tests := []struct {
		axis, rank, want int
		ok               bool
	}{
		{0, 3, 0, true},
		{2, 3, 2, true},
		{-1, 3, 2, true},
		{-3, 3, 0, true},
		{3, 3, 0, false},
		{-4, 3, 0, false},
		{0, 0, 0, false}, // a scalar has no axes
		{-1, 0, 0, false},
	}
	for _, tc := range tests {
		got, err := NormalizeAxis(tc.axis, tc.rank)
		if !tc.ok {
			require.Error(t, err, "axis %d rank %d", tc.axis, tc.rank)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "axis %d rank %d", tc.axis, tc.rank)
	}
}

func TestBroadcastShapes(t *testing.T) {
	tests := []struct {
		name   string
		in     []Shape
		want   Shape
		errHas string // non-empty: the call fails with ErrShape and this text
	}{
		{"none", nil, Shape{}, ""},
		{"one", []Shape{{2, 3}}, Shape{2, 3}, ""},
		{"same", []Shape{{2, 3}, {2, 3}}, Shape{2, 3}, ""},
		{"trailing vector", []Shape{{2, 3}, {3}}, Shape{2, 3}, ""},
		{"both stretch", []Shape{{2, 1}, {1, 3}}, Shape{2, 3}, ""},
		{"scalar", []Shape{{}, {4}}, Shape{4}, ""},
		{"rank 3 with rank 2", []Shape{{5, 1, 4}, {3, 1}}, Shape{5, 3, 4}, ""},
		{"three", []Shape{{1, 3}, {2, 1}, {1}}, Shape{2, 3}, ""},
		{"zero with one", []Shape{{0}, {1}}, Shape{0}, ""},
		{"zero with zero", []Shape{{2, 0}, {0}}, Shape{2, 0}, ""},
		{"zero with three", []Shape{{0}, {3}}, nil, "0 vs 3"},
		{"mismatch", []Shape{{2, 3}, {4, 3}}, nil, "dimension -2: 2 vs 4"},
		{"mismatch in third shape", []Shape{{2, 3}, {1}, {2}}, nil, "dimension -1: 3 vs 2"},
		{"negative", []Shape{{2, -1}, {2, 1}}, nil, "negative"},
		{"result too large", []Shape{{1 << 30, 1}, {1, 1 << 30}}, nil, "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BroadcastShapes(tc.in...)
			if tc.errHas != "" {
				require.ErrorIs(t, err, ErrShape)
				require.ErrorContains(t, err, tc.errHas)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
