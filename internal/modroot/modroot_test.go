package modroot

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "checkout")
	sub := filepath.Join(root, "a", "b")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+ModulePath+"\n\ngo 1.26\n"), 0o644))
	lib := filepath.Join(root, ".cache", "x", "lib.so")
	require.NoError(t, os.MkdirAll(filepath.Dir(lib), 0o755))
	require.NoError(t, os.WriteFile(lib, []byte("x"), 0o644))

	other := filepath.Join(root, "vendor", "other")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644))

	quoted := filepath.Join(dir, "quoted")
	require.NoError(t, os.MkdirAll(quoted, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(quoted, "go.mod"), []byte("// c\nmodule \""+ModulePath+"\"\n"), 0o644))

	for _, tc := range []struct {
		name   string
		starts []string
		want   string
		looked int
	}{
		{name: "from a subdirectory", starts: []string{sub}, want: lib, looked: 1},
		{name: "past a foreign go.mod", starts: []string{other}, want: lib, looked: 1},
		{name: "first root without the file, second with it", starts: []string{quoted, sub}, want: lib, looked: 2},
		{name: "a quoted module path, no file", starts: []string{quoted}, looked: 1},
		{name: "outside any checkout", starts: []string{dir}, looked: 0},
		{name: "the same root twice is looked at once", starts: []string{quoted, quoted}, looked: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, looked := File(".cache/x/lib.so", tc.starts...)
			require.Equal(t, tc.want, got)
			require.Len(t, looked, tc.looked)
		})
	}
	// A directory named like the file is not the file.
	require.NoError(t, os.MkdirAll(filepath.Join(quoted, ".cache", "x", "lib.so"), 0o755))
	got, _ := File(".cache/x/lib.so", quoted)
	require.Empty(t, got)
}

func TestStartsFindThisCheckout(t *testing.T) {
	roots := Find(Starts()...)
	require.NotEmpty(t, roots, "the tests run inside the backplane module")
	_, err := os.Stat(filepath.Join(roots[0], "go.mod"))
	require.NoError(t, err)
}
