// Package layering holds the test that keeps the design's import table true:
// tensor ← ops ← runtime ← backends/*, with models, benchmarks and cmd on top,
// and no backend importing another.
package layering

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/backplane-ml/backplane"

// layerOf names the layer a package belongs to ("" for packages outside the
// table: internal helpers, the CLI, benchmarks).
func layerOf(pkg string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	if rel == "runtime/backendtest" {
		return "" // the conformance kit: a test helper that runs graphs on ref as its oracle
	}
	for _, l := range []string{"tensor", "ops", "runtime", "models"} {
		if rel == l || strings.HasPrefix(rel, l+"/") {
			return l
		}
	}
	if rest, ok := strings.CutPrefix(rel, "backends/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return "backends/" + name
	}
	return ""
}

// allowed reports whether a package in layer from may import one in layer to.
func allowed(from, to string) bool {
	rank := map[string]int{"tensor": 0, "ops": 1, "runtime": 2}
	switch {
	case from == "" || to == "" || from == to:
		return true // programs and helpers outside the table sit on top
	case from == "backends/all":
		return strings.HasPrefix(to, "backends/") || rank[to] > 0 || to == "tensor"
	case strings.HasPrefix(to, "backends/"):
		return false // only backends/all (and programs on top) import backends
	case strings.HasPrefix(from, "backends/") || from == "models":
		return to != "models"
	}
	fr, ok1 := rank[from]
	tr, ok2 := rank[to]
	return ok1 && ok2 && tr < fr
}

// TestImportsFlowOneWay reads every non-test package's imports and checks
// them against the design's table.
func TestImportsFlowOneWay(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..")) // go test runs in this package's directory
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "bridge") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
			return filepath.SkipDir // a nested module (the assembly generator)
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no buildable Go files here
		}
		rel, _ := filepath.Rel(root, path)
		pkg := module + "/" + filepath.ToSlash(rel)
		from := layerOf(pkg)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			require.True(t, allowed(from, layerOf(imp)), "%s (layer %q) imports %s (layer %q)", pkg, from, imp, layerOf(imp))
		}
		checked++
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 20, "walked too few packages: is the module root right?")
}
