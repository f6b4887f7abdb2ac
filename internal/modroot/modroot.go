// Package modroot finds the root of a backplane checkout, where `make ort`
// and `make xla` leave the native libraries they fetch (.cache/...), so that
// tests and the backplane command find them without any environment variable.
package modroot

import (
	"bufio"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
)

// ModulePath identifies backplane's go.mod.
const ModulePath = "github.com/backplane-ml/backplane"

// Starts returns where a search for the checkout begins: the working
// directory, then the directory of this source file (so an installed binary
// built from a checkout still finds that checkout's cache).
func Starts() []string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := goruntime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	return starts
}

// Find returns, for each start, the closest directory at or above it whose
// go.mod declares backplane's module, in order and without repeats.
func Find(starts ...string) []string {
	var roots []string
	for _, s := range starts {
		if root, ok := find(s); ok && !contains(roots, root) {
			roots = append(roots, root)
		}
	}
	return roots
}

// File returns the first existing regular file rel (a slash-separated path
// relative to a checkout root) under the roots of starts, and the candidate
// paths it looked at.
func File(rel string, starts ...string) (path string, looked []string) {
	for _, root := range Find(starts...) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, append(looked, p)
		}
		looked = append(looked, p)
	}
	return "", looked
}

func find(dir string) (string, bool) {
	for {
		if isBackplaneMod(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// isBackplaneMod reports whether the go.mod at path declares ModulePath.
func isBackplaneMod(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == ModulePath
		}
	}
	return false
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
