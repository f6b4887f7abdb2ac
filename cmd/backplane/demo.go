package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

type demoModel struct {
	name string
	art  *runtime.Artifact
	feed []*tensor.Tensor
}

func demoModels() ([]demoModel, error) {
	mlp, err := models.MLP(models.MLPConfig{Inputs: 784, Hidden: []int{256, 128}, Classes: 10, Seed: 1})
	if err != nil {
		return nil, err
	}
	cnn, err := models.SmallCNN(models.SmallCNNConfig{Channels: 3, Size: 32, Classes: 10, Seed: 2})
	if err != nil {
		return nil, err
	}
	x, err := tensor.Rand(tensor.Float32, 10, 0, 1, 8, 784)
	if err != nil {
		return nil, err
	}
	img, err := tensor.Rand(tensor.Float32, 11, 0, 1, 4, 3, 32, 32)
	if err != nil {
		return nil, err
	}
	return []demoModel{
		{name: "mlp 784-256-128-10, batch 8", art: mlp, feed: []*tensor.Tensor{x}},
		{name: "cnn 3x32x32, batch 4", art: cnn, feed: []*tensor.Tensor{img}},
	}, nil
}

func demoCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	iters := fs.Int("iters", 20, "timed runs per model and backend")
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() > 0 || *iters < 1 {
		fmt.Fprintln(stderr, "usage: backplane demo [-iters N]")
		return 2
	}
	fmt.Fprintln(stdout, "Backends on this machine:")
	backendsCmd(nil, stdout, stderr)
	fmt.Fprintln(stdout)
	ms, err := demoModels()
	if err != nil {
		fmt.Fprintln(stderr, "backplane demo:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tBACKEND\tP50\tP99\tMAX ABS ERR VS REF\tRUNTIME'S CHOICE")
	status := 0
	for _, dm := range ms {
		want, _, err := runOn(dm, "ref", 1)
		if err != nil {
			fmt.Fprintf(stderr, "backplane demo: %s on ref: %v\n", dm.name, err)
			status = 1
			continue
		}
		chosen, err := chooseBackend(dm)
		if err != nil {
			fmt.Fprintf(stderr, "backplane demo: %s: the runtime could not run it: %v\n", dm.name, err)
			status = 1
		}
		for _, b := range runtime.Backends() {
			if runtime.Availability(b) != nil {
				continue
			}
			if err := b.Supports(dm.art); errors.Is(err, runtime.ErrUnsupported) {
				// Not a failure: the runtime routes such models to another backend.
				fmt.Fprintf(tw, "%s\t%s\t-\t-\tunsupported: %s\t\n", dm.name, b.Name(), unsupportedWhat(err))
				continue
			}
			got, lat, err := runOn(dm, b.Name(), *iters)
			if err != nil {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\tfailed: %v\t\n", dm.name, b.Name(), err)
				status = 1
				continue
			}
			mark := ""
			if b.Name() == chosen {
				mark = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%.3g\t%s\n", dm.name, b.Name(),
				roundDuration(percentile(lat, 0.5)), roundDuration(percentile(lat, 0.99)), maxAbsErr(got, want), mark)
		}
	}
	tw.Flush()
	return status
}

// runOn loads the model on one backend, runs it once to warm up and then iters
// times, and returns the last outputs and the sorted latencies.
func runOn(dm demoModel, backend string, iters int) ([]*tensor.Tensor, []time.Duration, error) {
	rt, err := runtime.New(runtime.WithBackends(backend))
	if err != nil {
		return nil, nil, err
	}
	defer rt.Close()
	ctx := context.Background()
	m, err := rt.Load(ctx, dm.art)
	if err != nil {
		return nil, nil, err
	}
	out, err := m.Run(ctx, dm.feed...)
	if err != nil {
		return nil, nil, err
	}
	lat := make([]time.Duration, iters)
	for i := range lat {
		start := time.Now()
		if out, err = m.Run(ctx, dm.feed...); err != nil {
			return nil, nil, err
		}
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	return out, lat, nil
}

// chooseBackend asks a runtime over every backend which one serves the model.
func chooseBackend(dm demoModel) (string, error) {
	rt, err := runtime.New()
	if err != nil {
		return "", err
	}
	defer rt.Close()
	m, err := rt.Load(context.Background(), dm.art)
	if err != nil {
		return "", err
	}
	_, info, err := m.RunWithInfo(context.Background(), dm.feed...)
	return info.Backend, err
}

// unsupportedWhat names the op (or the cause) of an ErrUnsupported error.
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

func maxAbsErr(got, want []*tensor.Tensor) float64 {
	worst := 0.0
	for i := range want {
		c := tensor.Compare(got[i], want[i], tensor.Tolerance{RTol: 1e-3, ATol: 1e-5})
		worst = max(worst, c.MaxAbsErr)
	}
	return worst
}
