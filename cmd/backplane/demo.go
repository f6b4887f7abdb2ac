package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// demoTolerance is the parity the demo reports as "ok": a whole model's
// float32 outputs after tens of layers, compared with the float64-accumulating
// reference, differ by rounding well inside it.
var demoTolerance = tensor.Tolerance{RTol: 1e-3, ATol: 1e-4}

func newDemoCmd() *cobra.Command {
	var (
		iters, batch int
		budget       time.Duration
		only         string
	)
	c := &cobra.Command{
		Use:   "demo [flags]",
		Short: "Run the zoo models on every available backend and through the dispatcher, with parity vs ref",
		Long: "Lists the backends, then runs each zoo model on every available backend and through the\n" +
			"runtime's dispatcher: p50 and p99 latency, the largest difference from ref's outputs with\n" +
			"a parity verdict, and which backend the runtime chose. About a minute with every model.",
		Example: "  backplane demo\n  backplane demo --models mlp,cnn --iters 5",
		Args:    args(0, 0, "no arguments (zoo models go in --models)"),
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if iters < 1 || batch < 1 || budget < 0 {
				return usagef("--iters %d and --batch %d must be at least 1, --budget %v not negative", iters, batch, budget)
			}
			zoo, err := pickZoo(only)
			if err != nil {
				return &usageError{err}
			}
			fmt.Fprintln(stdout, "Backends on this machine:")
			listBackends(stdout, nil, true)
			fmt.Fprintf(stdout, "\nZoo models at batch %d: every available backend, then the runtime's own choice.\n\n", batch)
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MODEL\tGFLOP\tBACKEND\tRUNS\tP50\tP95\tP99\tMAX ABS ERR VS REF\tPARITY\tRUNTIME'S CHOICE")
			status := 0
			ctx := cmd.Context()
			for i, zm := range zoo {
				fmt.Fprintf(stderr, "[%d/%d] %s ...\n", i+1, len(zoo), zm.Description)
				if err := demoModel(ctx, tw, zm, batch, iters, budget); err != nil {
					fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t%v\t\t\n", zm.Name, err)
					status = 1
				}
			}
			tw.Flush()
			if status != 0 {
				return exitStatus(status)
			}
			return nil
		}),
	}
	f := c.Flags()
	f.IntVar(&iters, "iters", 20, "most timed runs per model and backend")
	f.DurationVar(&budget, "budget", 2*time.Second, "time per model and backend after the first timed run")
	f.IntVar(&batch, "batch", 1, "batch size")
	f.StringVar(&only, "models", "", "comma-separated zoo models (default: all)")
	_ = c.RegisterFlagCompletionFunc("models", completeZoo)
	return c
}

// pickZoo returns the zoo models named in a comma list, or all of them.
func pickZoo(list string) ([]models.ZooModel, error) {
	if list == "" {
		return models.Zoo(), nil
	}
	var out []models.ZooModel
	for _, name := range strings.Split(list, ",") {
		m, ok := models.ZooByName(strings.TrimSpace(name))
		if !ok {
			var names []string
			for _, z := range models.Zoo() {
				names = append(names, z.Name)
			}
			return nil, fmt.Errorf("no zoo model %q (have %s)", name, strings.Join(names, ", "))
		}
		out = append(out, m)
	}
	return out, nil
}

// demoModel prints one row per available backend and marks the backend the
// dispatcher settles on.
func demoModel(ctx context.Context, tw io.Writer, zm models.ZooModel, batch, iters int, budget time.Duration) error {
	art, err := zm.Build(batch)
	if err != nil {
		return err
	}
	cost, err := models.FLOPs(art, nil)
	if err != nil {
		return err
	}
	feed, err := models.Inputs(art, batch, 1)
	if err != nil {
		return err
	}
	// ref is the ground truth: its (timed) outputs are what every other row is
	// compared with. It has nothing to compile, so it needs no warm-up run.
	want, refLat, err := timeOn(ctx, art, feed, runtime.WithBackends(runtime.GroundTruth), iters, budget, false)
	if err != nil {
		return fmt.Errorf("ref: %w", err)
	}
	chosen, err := dispatcherChoice(ctx, art, feed, budget)
	if err != nil {
		return fmt.Errorf("dispatcher: %w", err)
	}
	gflop := float64(cost.FLOPs) / 1e9
	for _, b := range runtime.Backends() {
		if runtime.Availability(b) != nil {
			continue
		}
		if err := b.Supports(art); err != nil {
			// Not a failure: the dispatcher routes the model to another backend.
			fmt.Fprintf(tw, "%s\t%.3g\t%s\t-\t-\t-\t-\tunsupported: %s\t\t\n", zm.Name, gflop, b.Name(), unsupportedWhat(err))
			continue
		}
		got, lat := want, refLat
		if b.Name() != runtime.GroundTruth {
			got, lat, err = timeOn(ctx, art, feed, runtime.WithBackends(b.Name()), iters, budget, true)
		}
		if err != nil {
			fmt.Fprintf(tw, "%s\t%.3g\t%s\t-\t-\t-\t-\tfailed: %v\t\t\n", zm.Name, gflop, b.Name(), err)
			continue
		}
		errAbs, ok := parity(got, want)
		verdict := "ok"
		if !ok {
			verdict = "DIVERGES"
		}
		mark := ""
		if b.Name() == chosen {
			mark = "<- " + chosen
		}
		fmt.Fprintf(tw, "%s\t%.3g\t%s\t%d\t%v\t%v\t%v\t%.2g\t%s\t%s\n", zm.Name, gflop, b.Name(), len(lat),
			roundDuration(percentile(lat, 0.5)), roundDuration(percentile(lat, 0.95)), roundDuration(percentile(lat, 0.99)),
			errAbs, verdict, mark)
	}
	return nil
}

// timeOn loads the artifact on a runtime built with opt, runs it once to warm
// up (compile caches, first-touch allocation) if warm is set, then up to
// iters timed runs within budget (at least one if iters > 0), and returns the
// last outputs and the sorted latencies.
func timeOn(ctx context.Context, art *runtime.Artifact, feed []*tensor.Tensor, opt runtime.Option, iters int, budget time.Duration, warm bool) ([]*tensor.Tensor, []time.Duration, error) {
	rt, err := runtime.New(opt)
	if err != nil {
		return nil, nil, err
	}
	defer rt.Close()
	m, err := rt.Load(ctx, art)
	if err != nil {
		return nil, nil, err
	}
	var out []*tensor.Tensor
	if warm || iters == 0 {
		if out, err = m.Run(ctx, feed...); err != nil {
			return nil, nil, err
		}
	}
	var lat []time.Duration
	deadline := time.Now().Add(budget)
	for len(lat) < iters && (len(lat) == 0 || time.Now().Before(deadline)) {
		start := time.Now()
		if out, err = m.Run(ctx, feed...); err != nil {
			return nil, nil, err
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return out, lat, nil
}

// dispatcherChoice runs the model through a runtime over every backend,
// with exploration sending every other run to the next backend in turn,
// until the dispatcher ranks them by latency (three runs each), or, for a
// slow model, once each has run and the time budget is spent. It returns the
// backend the dispatcher would now pick: the fastest by smoothed latency.
func dispatcherChoice(ctx context.Context, art *runtime.Artifact, feed []*tensor.Tensor, budget time.Duration) (string, error) {
	rt, err := runtime.New(runtime.WithPolicy(runtime.Policy{MinSamples: 3, Exploration: 0.5}))
	if err != nil {
		return "", err
	}
	defer rt.Close()
	m, err := rt.Load(ctx, art)
	if err != nil {
		return "", err
	}
	n := len(m.Backends())
	deadline := time.Now().Add(budget)
	for range 8 * n {
		d := m.Explain()
		if d.Ranked || n == 1 || (time.Now().After(deadline) && allRan(d)) {
			break
		}
		if _, err := m.Run(ctx, feed...); err != nil {
			return "", err
		}
	}
	d := m.Explain()
	if d.Ranked || n == 1 {
		return d.Order[0], nil
	}
	best := d.Candidates[0]
	for _, c := range d.Candidates[1:] {
		if c.Stats.Successes > 0 && (best.Stats.Successes == 0 || c.Stats.Smoothed < best.Stats.Smoothed) {
			best = c
		}
	}
	return best.Backend, nil
}

// allRan reports whether every candidate has served at least one run.
func allRan(d runtime.Decision) bool {
	for _, c := range d.Candidates {
		if c.Stats.Successes == 0 {
			return false
		}
	}
	return true
}

// unsupportedWhat names what a backend's Supports error objects to.
func unsupportedWhat(err error) string {
	var e *runtime.Error
	if errors.As(err, &e) && e.Op != "" {
		return "op " + e.Op
	}
	return err.Error()
}

// roundDuration keeps three significant digits, which is all a noisy machine measures.
func roundDuration(d time.Duration) time.Duration {
	for unit := time.Duration(1); unit < time.Second; unit *= 10 {
		if d < 1000*unit {
			return d.Round(unit)
		}
	}
	return d.Round(time.Millisecond)
}

// parity returns the largest absolute difference over all outputs and
// whether every output is within demoTolerance.
func parity(got, want []*tensor.Tensor) (float64, bool) {
	worst, ok := 0.0, true
	for i := range want {
		c := tensor.Compare(got[i], want[i], demoTolerance)
		worst = max(worst, c.MaxAbsErr)
		ok = ok && c.Equal
	}
	return worst, ok
}
