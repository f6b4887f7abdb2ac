package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// The chart is hand-written SVG: grouped bars, a log axis and a legend are a
// hundred lines of rectangles and text, where a plotting library (gonum/plot)
// would add a large dependency tree for one chart.

// palette gives runners distinct colours (Tableau 10), in order of appearance.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// Chart geometry, in SVG user units (pixels).
const (
	plotLeft    = 70.0  // room for the axis labels
	plotTop     = 96.0  // title, legend, and the value labels of the tallest bars
	plotHeight  = 260.0 // the bars' range
	plotBottom  = 48.0  // group labels
	plotRight   = 20.0
	barWidth    = 16.0
	groupGap    = 24.0
	legendEntry = 110.0
	minWidth    = 560.0 // the title's width
)

// writePlotFile writes the chart of rows to path.
func writePlotFile(path string, rows []benchRow) error {
	var b bytes.Buffer
	if err := writePlot(&b, rows); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the plot: %w", err)
	}
	return nil
}

// plotGroup is one case (model, batch) and its bars, in row order.
type plotGroup struct {
	label string
	rows  []benchRow
}

// writePlot draws every row that ran as a bar of its GFLOP/s on a log
// scale (the runners differ by orders of magnitude), grouped by model and
// batch, one colour per runner.
func writePlot(w io.Writer, rows []benchRow) error {
	var groups []plotGroup
	var runners []string
	colour := map[string]string{}
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		if r.err != nil || r.gflops <= 0 {
			continue
		}
		label := fmt.Sprintf("%s b%d", r.model, r.batch)
		if len(groups) == 0 || groups[len(groups)-1].label != label {
			groups = append(groups, plotGroup{label: label})
		}
		g := &groups[len(groups)-1]
		g.rows = append(g.rows, r)
		if _, ok := colour[r.runner]; !ok {
			colour[r.runner] = palette[len(runners)%len(palette)]
			runners = append(runners, r.runner)
		}
		lo, hi = min(lo, r.gflops), max(hi, r.gflops)
	}
	if len(groups) == 0 {
		return errors.New("nothing to plot: no row ran")
	}
	// The axis spans whole decades around the data.
	loExp, hiExp := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if hiExp <= loExp {
		hiExp = loExp + 1
	}
	y := func(v float64) float64 {
		return plotTop + plotHeight*(1-(math.Log10(v)-loExp)/(hiExp-loExp))
	}

	width := plotLeft + groupGap + plotRight
	for _, g := range groups {
		width += float64(len(g.rows))*barWidth + groupGap
	}
	width = max(width, plotLeft+float64(len(runners))*legendEntry+plotRight, minWidth)
	height := plotTop + plotHeight + plotBottom

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14" font-weight="bold">GFLOP/s at p50 by model and batch (log scale; higher is faster)</text>`+"\n", plotLeft)
	for i, name := range runners { // legend
		x := plotLeft + float64(i)*legendEntry
		fmt.Fprintf(&b, `<rect class="legend" x="%.1f" y="30" width="12" height="12" fill="%s"/><text x="%.1f" y="40">%s</text>`+"\n",
			x, colour[name], x+16, esc(name))
	}
	for e := loExp; e <= hiExp; e++ { // decade grid lines and labels
		v := math.Pow(10, e)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", plotLeft, width-plotRight, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", plotLeft-6, y(v)+4, esc(strconvG(v)))
	}
	base := y(math.Pow(10, loExp))
	x := plotLeft + groupGap
	for _, g := range groups {
		gw := float64(len(g.rows)) * barWidth
		for i, r := range g.rows {
			top := y(r.gflops)
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
				x+float64(i)*barWidth, top, barWidth-2, base-top, colour[r.runner],
				esc(fmt.Sprintf("%s batch %d on %s: %.3g GFLOP/s, p50 %v", r.model, r.batch, r.runner, r.gflops, roundDuration(r.p50))))
			// The value, written upwards from just above the bar, for readers without tooltips.
			cx, ty := x+float64(i)*barWidth+barWidth/2+3, top-3
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" transform="rotate(-90 %.1f %.1f)">%s</text>`+"\n",
				cx, ty, cx, ty, esc(fmt.Sprintf("%.3g", r.gflops)))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x+gw/2, base+18, esc(g.label))
		x += gw + groupGap
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>`+"\n", plotLeft, width-plotRight, base, base)
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>`+"\n", plotLeft, plotLeft, plotTop, base)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// strconvG formats an axis value: 0.01, 0.1, 1, 10, 1e+03 ...
func strconvG(v float64) string { return fmt.Sprintf("%g", v) }

// esc escapes text for SVG character data and attribute values.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // never fails writing to a strings.Builder
	return b.String()
}
