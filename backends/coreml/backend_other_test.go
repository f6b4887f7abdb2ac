//go:build !((darwin && cgo && coreml) || (linux && cgo && coremldouble))

package coreml

import (
	"context"
	goruntime "runtime"
	"testing"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/stretchr/testify/require"
)

func TestUnavailableWithAReason(t *testing.T) {
	b := New(Options{Precision: Float16})
	err := b.Available()
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, runtime.ErrUnavailable)
	require.Equal(t, runtime.ModeUnavailable, e.Mode)
	require.Equal(t, Name, e.Backend)
	if goruntime.GOOS == "darwin" {
		require.Contains(t, err.Error(), "make coreml")
	} else {
		require.Contains(t, err.Error(), "macOS")
		require.Contains(t, err.Error(), goruntime.GOOS+"/"+goruntime.GOARCH)
	}

	a, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 1})
	require.NoError(t, err)
	_, err = b.Prepare(context.Background(), a)
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, runtime.ErrUnavailable)
	require.Equal(t, a.Name, e.Model)
	require.Equal(t, runtime.ModeUnavailable, e.Mode)
}
