package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports how far `backplane bench` is, in units of runs (each
// row's warm-up and timed runs), as a bar on a terminal or as one line per
// row elsewhere (CI logs, pipes), where a redrawn bar would be noise.
type progress struct {
	bar   *progressbar.ProgressBar // mode "bar"
	lines io.Writer                // mode "lines"
	row   int                      // rows started, for "lines"
	rows  int                      // rows in all
}

// newProgress makes a progress report over rows rows of perRow runs each,
// written to w in mode bar, lines, none or auto.
func newProgress(mode string, w io.Writer, rows, perRow int) *progress {
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	p := &progress{rows: rows}
	switch mode {
	case "bar":
		p.bar = progressbar.NewOptions(rows*perRow,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetPredictTime(true))
	case "lines":
		p.lines = w
	}
	return p
}

// describe says what runs next.
func (p *progress) describe(what string) {
	switch {
	case p.bar != nil:
		p.bar.Describe(what)
	case p.lines != nil:
		p.row++
		fmt.Fprintf(p.lines, "bench: %s (%d/%d)\n", what, p.row, p.rows)
	}
}

// add records n runs done.
func (p *progress) add(n int) {
	if p.bar != nil && n > 0 {
		p.bar.Add(n)
	}
}

// done ends a row, counting the runs it had planned but skipped (a time
// budget ran out, or the row failed) as done.
func (p *progress) done(skipped int) { p.add(skipped) }

// clear removes the bar so that a message can be printed in its place.
func (p *progress) clear() {
	if p.bar != nil {
		p.bar.Clear()
	}
}

// finish completes the bar (which then clears itself).
func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
