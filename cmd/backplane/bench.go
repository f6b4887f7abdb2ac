package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/internal/zoobench"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
)

// benchExporter gives zoo models to ONNX Runtime; tests swap in a fixture.
var benchExporter zoobench.Exporter = zoobench.ExportONNX

// benchOptions are the parsed flags of `backplane bench`.
type benchOptions struct {
	models   []models.ZooModel
	backends []string
	batches  []int
	budget   zoobench.Budget
	ort      bool
	plot     string
	progress string
	threads  int // runtime.WithThreads and ONNX Runtime's intra-op threads; 0: defaults
}

// benchRow is one line of the table: a case on one runner.
type benchRow struct {
	model         string
	batch         int
	runner        string
	flops         int64
	p50, p95, p99 time.Duration
	gflops        float64
	maxErr        float64
	errErr        error // why maxErr is unknown
	vsORT         float64
	err           error // the runner failed; the other figures are unset
}

func newBenchCmd() *cobra.Command {
	var (
		modelList, backendList, batchList, plot, progress string
		iters, threads                                    int
		duration                                          time.Duration
		ort                                               bool
	)
	c := &cobra.Command{
		Use:   "bench [flags]",
		Short: "Time zoo models on backends and ONNX Runtime; table and SVG chart",
		Long: "Times zoo models on backends (and ONNX Runtime, after make ort) and prints p50, p95, p99,\n" +
			"GFLOP/s, the p50 relative to ONNX Runtime and the largest difference from ref's outputs.\n" +
			"Exit status 1 when a row failed.",
		Example: "  backplane bench --models mlp,cnn --iters 20 --plot bench.svg\n" +
			"  backplane bench --models resnet50 --backends gomlx --threads 1",
		Args: args(0, 0, "no arguments (zoo models go in --models)"),
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			opt, err := parseBenchFlags(modelList, backendList, batchList, iters, duration, progress)
			if err != nil {
				return &usageError{err}
			}
			if threads < 0 {
				return usagef("--threads %d: must be positive (0: each backend's default)", threads)
			}
			opt.ort, opt.plot, opt.threads = ort, plot, threads
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			if status := runBench(ctx, opt, cmd.OutOrStdout(), cmd.ErrOrStderr()); status != 0 {
				return exitStatus(status)
			}
			return nil
		}),
	}
	f := c.Flags()
	f.StringVar(&modelList, "models", "", "comma-separated zoo models (default: all: "+strings.Join(zooNames(), ",")+")")
	f.StringVar(&backendList, "backends", "", "comma-separated backends (default: every available one)")
	f.StringVar(&batchList, "batch", "1,8", "comma-separated batch sizes")
	f.IntVar(&iters, "iters", 20, "timed runs per model, batch and backend, after one warm-up run")
	f.DurationVar(&duration, "duration", 10*time.Second, "stop timing a row after this long even if --iters runs are not done (0: no limit)")
	f.BoolVar(&ort, "ort", true, "also run ONNX Runtime (when `make ort` has fetched it) and give each row's p50 relative to it")
	f.StringVar(&plot, "plot", "", "write an SVG bar chart of GFLOP/s to this file")
	f.StringVar(&progress, "progress", "auto", "progress on stderr: bar, lines, none, or auto (a bar on a terminal, else lines)")
	f.IntVar(&threads, "threads", 0, "threads per run on backends with threads and ONNX Runtime's intra-op pool (0: defaults)")
	_ = c.RegisterFlagCompletionFunc("models", completeZoo)
	_ = c.RegisterFlagCompletionFunc("backends", completeBackends())
	return c
}

func zooNames() []string {
	var names []string
	for _, m := range models.Zoo() {
		names = append(names, m.Name)
	}
	return names
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseBenchFlags(modelList, backendList, batchList string, iters int, duration time.Duration, progress string) (benchOptions, error) {
	var opt benchOptions
	if names := splitList(modelList); len(names) > 0 {
		for _, n := range names {
			m, ok := models.ZooByName(n)
			if !ok {
				return opt, fmt.Errorf("unknown model %q (the zoo has %s)", n, strings.Join(zooNames(), ", "))
			}
			opt.models = append(opt.models, m)
		}
	} else {
		opt.models = models.Zoo()
	}
	var err error
	if opt.backends, err = pickBackends(splitList(backendList)); err != nil {
		return opt, err
	}
	for _, f := range splitList(batchList) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return opt, fmt.Errorf("batch size %q is not a positive integer", f)
		}
		opt.batches = append(opt.batches, n)
	}
	if len(opt.batches) == 0 {
		return opt, errors.New("no batch sizes")
	}
	if iters < 1 || duration < 0 {
		return opt, fmt.Errorf("--iters %d and --duration %v: need at least one run and no negative time", iters, duration)
	}
	opt.budget = zoobench.Budget{Iters: iters, Duration: duration}
	switch progress {
	case "auto", "bar", "lines", "none":
		opt.progress = progress
	default:
		return opt, fmt.Errorf("--progress %q: want bar, lines, none or auto", progress)
	}
	return opt, nil
}

// pickBackends checks requested backend names (all available ones when
// none are given) and puts ref first, so that its run is the reference.
func pickBackends(names []string) ([]string, error) {
	byName := map[string]runtime.Backend{}
	var registered, available []string
	for _, b := range runtime.Backends() {
		byName[b.Name()] = b
		registered = append(registered, b.Name())
		if runtime.Availability(b) == nil {
			available = append(available, b.Name())
		}
	}
	if len(names) == 0 {
		names = available
	}
	for _, n := range names {
		b, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("unknown backend %q (registered: %s)", n, strings.Join(registered, ", "))
		}
		if err := runtime.Availability(b); err != nil {
			return nil, fmt.Errorf("backend %s cannot run here: %v", n, err)
		}
	}
	names = slices.Clone(names)
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "ref":
			return -1
		case b == "ref":
			return 1
		}
		return 0
	})
	return slices.Compact(names), nil
}

// runBench measures every case on every runner and prints the table.
func runBench(ctx context.Context, opt benchOptions, stdout, stderr io.Writer) int {
	useORT := opt.ort
	if useORT {
		err := ortpeer.Available()
		if err == nil {
			err = zoobench.ExporterWired(benchExporter)
		}
		if err != nil {
			fmt.Fprintf(stderr, "backplane bench: no ONNX Runtime column: %v\n", err)
			useORT = false
		}
	}
	runners := len(opt.backends)
	if useORT {
		runners++
	}
	nrows := len(opt.models) * len(opt.batches) * runners
	prog := newProgress(opt.progress, stderr, nrows, 1+opt.budget.Iters)
	var rows []benchRow
	status := 0
	for _, m := range opt.models {
		for _, batch := range opt.batches {
			c, err := zoobench.NewCase(m, batch)
			if err != nil {
				prog.clear()
				fmt.Fprintln(stderr, "backplane bench:", err)
				return 1
			}
			start := len(rows)
			for _, be := range opt.backends {
				rows = append(rows, measureRow(ctx, c, be, nil, opt.budget, opt.threads, prog))
			}
			if useORT {
				rows = append(rows, measureRow(ctx, c, ortpeer.Name, benchExporter, opt.budget, opt.threads, prog))
			}
			relateToORT(rows[start:])
			if ctx.Err() != nil {
				prog.clear()
				fmt.Fprintln(stderr, "backplane bench: interrupted")
				return 1
			}
		}
	}
	prog.finish()
	for _, r := range rows {
		if r.err != nil || r.errErr != nil {
			status = 1
		}
	}
	printBenchTable(stdout, rows, useORT, opt.threads)
	if opt.plot != "" {
		if err := writePlotFile(opt.plot, rows); err != nil {
			fmt.Fprintln(stderr, "backplane bench:", err)
			return 1
		}
	}
	return status
}

// measureRow opens one runner (a backend, or ONNX Runtime when export is
// set), times it, and compares its outputs with ref's.
func measureRow(ctx context.Context, c *zoobench.Case, name string, export zoobench.Exporter,
	budget zoobench.Budget, threads int, prog *progress) benchRow {
	row := benchRow{model: c.Model.Name, batch: c.Batch, runner: name, flops: c.Cost.FLOPs}
	prog.describe(fmt.Sprintf("%s batch %d on %s", c.Model.Name, c.Batch, name))
	units := 1 + budget.Iters
	defer func() { prog.done(units) }()
	var (
		r   zoobench.Runner
		err error
	)
	if export != nil {
		r, err = zoobench.OpenORT(c, export, ortpeer.Options{IntraOpThreads: threads})
	} else {
		var opts []runtime.Option
		if threads > 0 {
			opts = append(opts, runtime.WithThreads(threads))
		}
		r, err = zoobench.OpenBackend(ctx, name, c.Artifact, opts...)
	}
	if err != nil {
		row.err = err
		return row
	}
	defer r.Close()
	units--
	prog.add(1)
	m, err := zoobench.Measure(ctx, r, c.Inputs, budget, func() { units--; prog.add(1) })
	if err != nil {
		row.err = err
		return row
	}
	if name == "ref" {
		c.OfferReference(m.Outputs)
	}
	row.p50, row.p95, row.p99 = m.Percentile(0.5), m.Percentile(0.95), m.Percentile(0.99)
	row.gflops = m.GFLOPs(c.Cost.FLOPs)
	row.maxErr, row.errErr = c.MaxAbsErr(ctx, m.Outputs)
	return row
}

// relateToORT sets each row's p50 relative to ONNX Runtime's on the same
// case (one model and batch): above 1 is slower than ONNX Runtime.
func relateToORT(rows []benchRow) {
	var ort time.Duration
	for _, r := range rows {
		if r.runner == ortpeer.Name && r.err == nil {
			ort = r.p50
		}
	}
	if ort <= 0 {
		return
	}
	for i := range rows {
		if rows[i].err == nil {
			rows[i].vsORT = float64(rows[i].p50) / float64(ort)
		}
	}
}

func printBenchTable(w io.Writer, rows []benchRow, withORT bool, threads int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tBATCH\tBACKEND\tP50\tP95\tP99\tGFLOP/S\tVS ORT\tMAX ABS ERR VS REF")
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(tw, "%s\t%d\t%s\t-\t-\t-\t-\t-\tfailed: %v\n", r.model, r.batch, r.runner, oneLine(r.err.Error()))
			continue
		}
		vs := "-"
		if r.vsORT > 0 {
			vs = fmt.Sprintf("%.3g", r.vsORT)
		}
		maxErr := fmt.Sprintf("%.3g", r.maxErr)
		if r.errErr != nil {
			maxErr = "unknown: " + oneLine(r.errErr.Error())
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%v\t%v\t%v\t%.3g\t%s\t%s\n", r.model, r.batch, r.runner,
			roundDuration(r.p50), roundDuration(r.p95), roundDuration(r.p99), r.gflops, vs, maxErr)
	}
	tw.Flush()
	if withORT {
		if threads <= 0 {
			threads = goruntime.GOMAXPROCS(0) // ortpeer.Options{}'s default
		}
		fmt.Fprintf(w, "\nVS ORT is p50 over ONNX Runtime %s's p50 (above 1: slower); ONNX Runtime runs with %s.\n",
			ortpeer.Version(), plural(threads, "intra-op thread"))
	}
}
