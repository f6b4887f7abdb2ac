package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx"
)

// opsList matches the README's list of imported ONNX op types, between
// markers, and opsCount the count its prose gives.
var (
	opsList  = regexp.MustCompile(`(?s)<!-- onnx\.SupportedOps -->(.*?)<!-- /onnx\.SupportedOps -->`)
	opsCount = regexp.MustCompile(`(\d+) ONNX op types`)
)

// TestREADMEListsSupportedOps keeps the README's list of covered ONNX ops
// (and the count in its prose) equal to what the importer maps.
func TestREADMEListsSupportedOps(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	readme := string(data)
	m := opsList.FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md lists the ONNX ops between <!-- onnx.SupportedOps --> markers")
	var listed []string
	for _, f := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '.' }) {
		listed = append(listed, f)
	}
	want := onnx.SupportedOps()
	require.Equal(t, want, listed, "README.md's op list differs from onnx.SupportedOps(); between the markers it should read:\n%s", formatOps(want))
	for _, c := range opsCount.FindAllStringSubmatch(readme, -1) {
		n, err := strconv.Atoi(c[1])
		require.NoError(t, err)
		require.Equal(t, len(want), n, "the README's count of ONNX op types")
	}
}

// formatOps writes names as the README lists them: comma-separated lines of
// at most 116 characters, ending with a full stop.
func formatOps(names []string) string {
	var b strings.Builder
	width := 0
	for i, n := range names {
		w := n + ","
		if i == len(names)-1 {
			w = n + "."
		}
		switch {
		case width == 0:
		case width+1+len(w) > 116:
			b.WriteString("\n")
			width = 0
		default:
			b.WriteString(" ")
			width++
		}
		b.WriteString(w)
		width += len(w)
	}
	return b.String()
}
