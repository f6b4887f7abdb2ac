package hostile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
)

func writeModel(t *testing.T, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "model.onnx")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// sparse makes a file of size bytes that takes no disk space.
func sparse(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
}

// Attack 1: external data that is a FIFO must not be opened (it would block
// until a writer comes, forever).
func TestExternalDataFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "w.bin"), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	p := writeModel(t, dir, ExternalDataModel("w.bin", 4))
	err := attack(t, "FIFO external data", func() error { _, err := onnx.ImportFile(p, onnx.Options{}); return err })
	require.ErrorIs(t, err, onnxpb.ErrMalformed)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.Contains(t, err.Error(), "not a regular file")
	var e *onnx.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "w", e.Input, "names the initializer")
}

// Attack 1 and 2: the model path itself a FIFO, a symlink to /dev/zero, or a
// sparse file larger than any protobuf.
func TestModelFileNotRegularOrTooLarge(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.onnx")
	haveFIFO := syscall.Mkfifo(fifo, 0o644) == nil
	zero := filepath.Join(dir, "zero.onnx")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	huge := filepath.Join(dir, "huge.onnx")
	sparse(t, huge, 7<<30)
	cases := []struct {
		name, path string
		kind       error
	}{
		{"symlink to /dev/zero", zero, onnxpb.ErrMalformed},
		{"7 GiB sparse file", huge, onnxpb.ErrLimit},
	}
	if haveFIFO {
		cases = append(cases, struct {
			name, path string
			kind       error
		}{"FIFO", fifo, onnxpb.ErrMalformed})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := attack(t, c.name, func() error { _, err := onnx.ImportFile(c.path, onnx.Options{}); return err })
			require.ErrorIs(t, err, c.kind)
			require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
		})
	}
}

// Attack 2: external data in a 3 GiB sparse file is checked against the
// import's budget before a byte is allocated.
func TestExternalDataOverBudget(t *testing.T) {
	dir := t.TempDir()
	const n = 3 << 30 / 4
	sparse(t, filepath.Join(dir, "w.bin"), n*4)
	p := writeModel(t, dir, ExternalDataModel("w.bin", n))
	err := attack(t, "3 GiB external data", func() error {
		_, err := onnx.ImportFile(p, onnx.Options{MemoryBudget: 1 << 30})
		return err
	})
	require.ErrorIs(t, err, runtime.ErrMemory)
	var e *onnx.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "w", e.Input)
}

// Attack 2: unused ConstantOfShape nodes are never folded; used ones are
// charged against the budget as they are folded.
func TestConstantOfShapeFolding(t *testing.T) {
	unused := ConstantOfShapes(512, false)
	t.Logf("512 unused ConstantOfShape([2^22]) nodes: %d bytes", len(unused))
	err := attack(t, "512 unused ConstantOfShape", func() error {
		a, err := onnx.Import(unused, onnx.Options{})
		if err == nil && (len(a.Nodes) != 1 || len(a.Initializers) != 0) {
			return errors.New("dead nodes were kept")
		}
		return err
	})
	require.NoError(t, err)

	used := ConstantOfShapes(64, true)
	err = attack(t, "64 used ConstantOfShape", func() error {
		_, err := onnx.Import(used, onnx.Options{MemoryBudget: 128 << 20})
		return err
	})
	require.ErrorIs(t, err, runtime.ErrMemory)
	var e *onnx.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "ConstantOfShape", e.OpType)
	require.NotEmpty(t, e.Node)
}

// Attack 2: a list attribute longer than onnxpb.MaxAttrValues is refused by
// the decoder before it is allocated.
func TestLongAttribute(t *testing.T) {
	data := LongTranspose(onnxpb.MaxAttrValues + 1)
	err := attack(t, "Transpose perm of 2^20+1 ints", func() error { _, err := onnx.Import(data, onnx.Options{}); return err })
	require.ErrorIs(t, err, onnxpb.ErrLimit)
	require.Contains(t, err.Error(), "perm")
}

// Attack 5: one Sum with 3,000,000 inputs is refused by the decoder's
// per-node input limit, which says so.
func TestWideSum(t *testing.T) {
	data := WideSum(3_000_000)
	t.Logf("Sum with 3,000,000 inputs: %d bytes", len(data))
	err := attack(t, "Sum of 3,000,000 inputs", func() error { _, err := onnx.Import(data, onnx.Options{}); return err })
	require.ErrorIs(t, err, onnxpb.ErrLimit)
	require.Contains(t, err.Error(), "inputs to one node")
}

// Attack 4: ReduceMax keepdims over the zero axis of [0, 2^40-1, 2^40-1] is
// refused by inference, at import, with the node named.
func TestReduceOverflowAtImport(t *testing.T) {
	err := attack(t, "ReduceMax keepdims over a zero axis", func() error {
		_, err := onnx.Import(ReduceOverflow(), onnx.Options{})
		return err
	})
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	var e *onnx.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "rmax", e.Node)
}
