package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/internal/zoobench"
	"github.com/backplane-ml/backplane/internal/zoobench/zoobenchtest"
	"github.com/backplane-ml/backplane/runtime"
)

// withExporter swaps the exporter `backplane bench` gives ONNX Runtime for
// the duration of a test.
func withExporter(t *testing.T, e zoobench.Exporter) {
	old := benchExporter
	benchExporter = e
	t.Cleanup(func() { benchExporter = old })
}

// noExporter is an exporter that is not wired in.
func noExporter(*runtime.Artifact) ([]byte, error) { return nil, zoobench.ErrNoExporter }

// svgBars parses an SVG and returns the <title> of every rect of class "bar".
func svgBars(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var bars []string
	inBar, inTitle := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG is well-formed XML")
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "rect" {
				for _, a := range el.Attr {
					if a.Name.Local == "class" && a.Value == "bar" {
						inBar = true
						bars = append(bars, "")
					}
				}
			}
			inTitle = inBar && el.Name.Local == "title"
		case xml.CharData:
			if inTitle {
				bars[len(bars)-1] += string(el)
			}
		case xml.EndElement:
			if el.Name.Local == "title" {
				inTitle = false
			}
			if el.Name.Local == "rect" {
				inBar = false
			}
		}
	}
	return bars
}

func TestBenchTableAndPlot(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "bench.svg")
	out, stderr, status := cli(t, "bench", "--models", "mlp,cnn", "--backends", "ref", "--batch", "1,2",
		"--iters", "2", "--ort=false", "--progress", "lines", "--plot", plot)
	require.Equal(t, 0, status, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Regexp(t, `^MODEL\s+BATCH\s+BACKEND\s+P50\s+P95\s+P99\s+GFLOP/S\s+VS ORT\s+MAX ABS ERR VS REF$`, lines[0])
	require.Len(t, lines, 5, "one row per model and batch on ref:\n%s", out)
	for i, want := range []string{"mlp +1 ", "mlp +2 ", "cnn +1 ", "cnn +2 "} {
		// ref is its own reference: error exactly 0; no ORT column.
		require.Regexp(t, `^`+want+`+ref\s+\S+\s+\S+\s+\S+\s+[0-9.e+-]+\s+-\s+0$`, lines[i+1])
	}
	require.NotContains(t, out, "ONNX Runtime", "no ORT footnote with -ort=false")
	require.Contains(t, stderr, "bench: mlp batch 1 on ref (1/4)")
	require.Contains(t, stderr, "bench: cnn batch 2 on ref (4/4)")

	svg, err := os.ReadFile(plot)
	require.NoError(t, err)
	bars := svgBars(t, svg)
	require.Len(t, bars, 4, "a bar per row")
	require.Contains(t, bars[0], "mlp batch 1 on ref: ")
	require.Contains(t, bars[3], "cnn batch 2 on ref: ")
}

func TestBenchORTColumn(t *testing.T) {
	if err := ortpeer.Available(); err != nil {
		t.Skipf("ONNX Runtime peer not available: %v", err)
	}
	withExporter(t, zoobenchtest.Export)
	out, stderr, status := cli(t, "bench", "--models", "mlp", "--backends", "ref", "--batch", "1",
		"--iters", "2", "--progress", "none")
	require.Equal(t, 0, status, stderr)
	require.Empty(t, stderr)
	require.Regexp(t, `(?m)^mlp\s+1\s+ref\s+\S+\s+\S+\s+\S+\s+\S+\s+[0-9.e+]+\s+0$`, out)
	m := regexp.MustCompile(`(?m)^mlp\s+1\s+onnxruntime\s+\S+\s+\S+\s+\S+\s+\S+\s+1\s+(\S+)$`).FindStringSubmatch(out)
	require.NotNil(t, m, "an ONNX Runtime row, 1× itself:\n%s", out)
	maxErr, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	require.Less(t, maxErr, zoobench.Tolerance.ATol+zoobench.Tolerance.RTol, "ORT agrees with ref on softmax outputs ≤ 1")
	require.Contains(t, out, "VS ORT is p50 over ONNX Runtime "+ortpeer.LibVersion)
}

func TestBenchWithoutORT(t *testing.T) {
	withExporter(t, noExporter)
	out, stderr, status := cli(t, "bench", "--models", "mlp", "--backends", "ref", "--batch", "1",
		"--iters", "1", "--progress", "none")
	require.Equal(t, 0, status, stderr)
	// Either the library is missing (the note says to run `make ort`) or the
	// exporter is: the note says which, and the table has no ORT row.
	require.Contains(t, stderr, "backplane bench: no ONNX Runtime column: ")
	if ortpeer.Available() != nil {
		require.Contains(t, stderr, "make ort")
	} else {
		require.Contains(t, stderr, zoobench.ErrNoExporter.Error())
	}
	require.NotContains(t, out, "onnxruntime")
	require.Regexp(t, `(?m)^mlp\s+1\s+ref\s+\S+\s+\S+\s+\S+\s+\S+\s+-\s+0$`, out)
}

func TestBenchProgressBar(t *testing.T) {
	_, stderr, status := cli(t, "bench", "--models", "mlp", "--backends", "ref", "--batch", "1",
		"--iters", "3", "--ort=false", "--progress", "bar")
	require.Equal(t, 0, status, stderr)
	// One row of one warm-up and three timed runs: the bar counts to 4.
	// Redraws are throttled, so only the first drawing is certain; the bar
	// clears itself at the end, leaving the line blank for the table.
	require.Regexp(t, `^\rmlp batch 1 on ref +0% \|\s+\| \(0/4\)`, stderr)
	require.Regexp(t, `\r +\r$`, stderr)
}

func TestBenchFlagErrors(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		status int
		errHas string
	}{
		{"progress single dash", []string{"-progress", "fancy"}, 2, `--progress "fancy"`},
		{"unknown model", []string{"--models", "mlp,nope"}, 2, `unknown model "nope" (the zoo has mlp, cnn`},
		{"unknown backend", []string{"--backends", "warp"}, 2, `unknown backend "warp" (registered: `},
		{"zero batch", []string{"--batch", "1,0"}, 2, `batch size "0" is not a positive integer`},
		{"word batch", []string{"--batch", "eight"}, 2, `batch size "eight"`},
		{"no batch", []string{"--batch", ","}, 2, "no batch sizes"},
		{"zero iters", []string{"--iters", "0"}, 2, "need at least one run"},
		{"negative duration", []string{"--duration", "-1s"}, 2, "need at least one run and no negative time"},
		{"progress", []string{"--progress", "fancy"}, 2, `--progress "fancy"`},
		{"argument", []string{"mlp"}, 2, `unexpected argument "mlp" (takes no arguments (zoo models go in --models))`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, status := cli(t, append([]string{"bench"}, c.args...)...)
			require.Equal(t, c.status, status)
			require.Contains(t, stderr, c.errHas)
			require.Empty(t, out)
		})
	}
}

func TestBenchUnwritablePlot(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "no", "such", "dir", "x.svg")
	_, stderr, status := cli(t, "bench", "--models", "mlp", "--backends", "ref", "--batch", "1",
		"--iters", "1", "--ort=false", "--progress", "none", "--plot", plot)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "writing the plot")
}

func TestRelateToORT(t *testing.T) {
	ms := time.Millisecond
	rows := []benchRow{
		{runner: "ref", p50: 10 * ms},
		{runner: "xla", err: errors.New("failed")},
		{runner: ortpeer.Name, p50: 2 * ms},
	}
	relateToORT(rows)
	require.Equal(t, 5.0, rows[0].vsORT) // 10 ms / 2 ms
	require.Zero(t, rows[1].vsORT, "a failed row has no ratio")
	require.Equal(t, 1.0, rows[2].vsORT)

	noORT := []benchRow{{runner: "ref", p50: ms}}
	relateToORT(noORT)
	require.Zero(t, noORT[0].vsORT)
}

func TestPickBackendsPutsRefFirst(t *testing.T) {
	got, err := pickBackends([]string{"ref", "ref"})
	require.NoError(t, err)
	require.Equal(t, []string{"ref"}, got)
	all, err := pickBackends(nil)
	require.NoError(t, err)
	require.Equal(t, "ref", all[0], "ref is always available and goes first")
}

func TestWritePlotByHand(t *testing.T) {
	ms := time.Millisecond
	rows := []benchRow{
		{model: "m<1>", batch: 1, runner: "ref", gflops: 0.5, p50: ms},
		{model: "m<1>", batch: 1, runner: "a&b", gflops: 50, p50: ms},
		{model: "m<1>", batch: 1, runner: "bad", err: errors.New("boom")},
		{model: "m<1>", batch: 8, runner: "ref", gflops: 2, p50: ms},
	}
	var b bytes.Buffer
	require.NoError(t, writePlot(&b, rows))
	bars := svgBars(t, b.Bytes())
	require.Equal(t, []string{
		"m<1> batch 1 on ref: 0.5 GFLOP/s, p50 1ms",
		"m<1> batch 1 on a&b: 50 GFLOP/s, p50 1ms",
		"m<1> batch 8 on ref: 2 GFLOP/s, p50 1ms",
	}, bars, "names are escaped; the failed row has no bar")
	// 0.5 … 50 GFLOP/s spans the decades 0.1, 1, 10 and 100.
	for _, tick := range []string{">0.1<", ">1<", ">10<", ">100<"} {
		require.Contains(t, b.String(), tick)
	}
	require.NotContains(t, b.String(), ">1000<")

	require.ErrorContains(t, writePlot(&b, rows[2:3]), "nothing to plot")
}

func TestBenchThreads(t *testing.T) {
	out, stderr, status := cli(t, "bench", "--models", "mlp", "--backends", "ref,gomlx", "--batch", "1",
		"--iters", "1", "--ort=false", "--progress", "none", "--threads", "1")
	require.Equal(t, 0, status, stderr)
	require.Regexp(t, `(?m)^mlp\s+1\s+gomlx\s+\S+\s+\S+\s+\S+\s+\S+\s+-\s+[0-9.e+-]+$`, out, "gomlx runs with one thread and agrees with ref")
	_, stderr, status = cli(t, "bench", "--models", "mlp", "--threads", "-1")
	require.Equal(t, 2, status)
	require.Contains(t, stderr, "--threads -1")
}
