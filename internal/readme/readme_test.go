package readme

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
)

// goBlock matches a fenced Go code block.
var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// prints matches a line's "// prints: X" comment: the program's output must contain X.
var prints = regexp.MustCompile(`// prints: (.*)$`)

// snippets returns the README's Go code blocks.
func snippets(t *testing.T, readme string) []string {
	data, err := os.ReadFile(readme)
	require.NoError(t, err)
	var out []string
	for _, m := range goBlock.FindAllStringSubmatch(string(data), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestREADMESnippetsCompileAndRun builds every Go snippet of README.md as a
// program inside this module (a directory starting with "_", which ./...
// patterns skip) and runs it in a directory holding the files the snippets
// read (model.onnx, exported from the zoo's MLP).
func TestREADMESnippetsCompileAndRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	blocks := snippets(t, filepath.Join(root, "README.md"))
	require.GreaterOrEqual(t, len(blocks), 2, "Quick start and ONNX (the Prometheus wiring is runtime/promcollector's Example)")

	src, err := os.MkdirTemp(root, "_readme")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(src) })
	work := t.TempDir()
	z, ok := models.ZooByName("mlp")
	require.True(t, ok)
	mlp, err := z.Build(0)
	require.NoError(t, err)
	require.NoError(t, onnx.ExportFile(filepath.Join(work, "model.onnx"), mlp, onnx.ExportOptions{}))

	for i, code := range blocks {
		name := "snippet" + string(rune('a'+i))
		t.Run(name, func(t *testing.T) {
			require.True(t, strings.HasPrefix(code, "package main\n"), "a README snippet is a whole program, pasteable as is:\n%s", code)
			dir := filepath.Join(src, name)
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644))
			bin := filepath.Join(t.TempDir(), name)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./"+filepath.Base(src)+"/"+name)
			build.Dir = root
			out, err := build.CombinedOutput()
			require.NoError(t, err, "README snippet %d does not compile:\n%s\n%s", i+1, out, code)

			run := exec.CommandContext(ctx, bin)
			run.Dir = work
			run.Env = append(os.Environ(), "GOMLX_NO_AUTO_INSTALL=1")
			var stdout, stderr bytes.Buffer
			run.Stdout, run.Stderr = &stdout, &stderr
			require.NoError(t, run.Run(), "README snippet %d failed:\n%s%s", i+1, stdout.String(), stderr.String())
			for _, line := range strings.Split(code, "\n") {
				if m := prints.FindStringSubmatch(line); m != nil {
					require.Contains(t, stdout.String(), m[1], "README snippet %d prints what its comment says", i+1)
				}
			}
		})
	}
}

// link matches a Markdown link's target.
var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

func TestREADMELinksLicenseAndInstall(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	readme := string(data)
	require.Contains(t, readme, "go get github.com/backplane-ml/backplane@latest")
	require.LessOrEqual(t, strings.Count(readme, "\n"), 240, "the README is a guide, not the reference: details go to docs/")
	prose := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(readme, "")
	for _, m := range link.FindAllStringSubmatch(prose, -1) {
		target, _, _ := strings.Cut(m[1], "#")
		if target == "" || strings.Contains(target, "://") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, target)); err != nil {
			t.Errorf("README links to %s, which does not exist", target)
		}
	}
	license, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	require.NoError(t, err)
	require.Contains(t, string(license), "Apache License\n                           Version 2.0, January 2004")
	notice, err := os.ReadFile(filepath.Join(root, "NOTICE"))
	require.NoError(t, err)
	require.Contains(t, string(notice), "ONNX")
}
