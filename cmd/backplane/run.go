package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/backplane-ml/backplane/tensor/npy"
)

func newRunCmd() *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run [flags] MODEL",
		Short: "Run a model on random, .npy or .pb inputs; outputs, latency, dispatch and telemetry",
		Long: "Runs MODEL on inputs read from .npy or .pb (TensorProto) files, or drawn at random, and\n" +
			"prints each output's summary, the latency percentiles, which backend served the runs,\n" +
			"the dispatcher's decision before and after, the telemetry table and RSS before and after.\n\n" +
			modelHelp,
		Example: "  backplane run mlp\n" +
			"  backplane run --dim batch=8 --iters 200 model.bpa\n" +
			"  backplane run model.onnx --backend gomlx --input x=in.npy --out outdir",
		Args:              args(1, 1, "one MODEL"),
		ValidArgsFunction: completeModel,
		RunE: action(func(cmd *cobra.Command, a []string) error {
			if o.iters < 1 {
				return usagef("--iters %d: need at least one run", o.iters)
			}
			if o.threads < 0 {
				return usagef("--threads %d: must be positive (0: each backend's default)", o.threads)
			}
			return runArtifact(a[0], o, cmd.OutOrStdout())
		}),
	}
	f := c.Flags()
	f.StringVar(&o.backend, "backend", "auto", "backend name, or auto to let the runtime choose")
	f.IntVar(&o.iters, "iters", 1, "number of timed runs")
	f.Uint64Var(&o.seed, "seed", 1, "seed for random inputs")
	f.StringVar(&o.outDir, "out", "", "directory to write outputs to as NAME.npy")
	f.DurationVar(&o.timeout, "timeout", 0, "deadline for each run (0: none)")
	f.IntVar(&o.threads, "threads", 0, "threads per run on backends that have threads (0: each backend's default)")
	f.StringArrayVar(&o.inputs, "input", nil, "input as NAME=FILE, or FILE for the next input in order; FILE is .npy or a .pb TensorProto (repeatable)")
	f.StringArrayVar(&o.dims, "dim", nil, "size of a symbolic dimension as NAME=N, e.g. batch=8 (repeatable; default 1)")
	_ = c.RegisterFlagCompletionFunc("backend", completeBackends("auto"))
	return c
}

type runOptions struct {
	backend      string
	iters        int
	seed         uint64
	outDir       string
	timeout      time.Duration
	threads      int
	inputs, dims []string
}

func runArtifact(path string, o runOptions, stdout io.Writer) error {
	bind, err := parseDims(o.dims)
	if err != nil {
		return err
	}
	// Bound dims of an ONNX model become static at import, which lets
	// shape-deciding subgraphs that depend on them fold.
	a, isONNX, err := loadModel(path, bind)
	if err != nil {
		return err
	}
	if !isONNX {
		// An imported model has its bound dims made static, so only a saved
		// artifact can tell a misspelt name.
		for _, d := range o.dims {
			name, _, _ := strings.Cut(d, "=")
			if !slices.Contains(a.SymbolicDims(), name) {
				return fmt.Errorf("--dim %q: model has no symbolic dimension %q (it has %v)", d, name, a.SymbolicDims())
			}
		}
	}
	var opts []runtime.Option
	if o.backend != "auto" {
		opts = append(opts, runtime.WithBackends(o.backend))
	}
	if o.threads > 0 {
		opts = append(opts, runtime.WithThreads(o.threads))
	}
	rt, err := runtime.New(opts...)
	if err != nil {
		return err
	}
	defer rt.Close()
	ctx := context.Background()
	if err := rt.Ping(ctx); err != nil { // --backend NAME that cannot run here: say why before loading
		return err
	}
	m, err := rt.Load(ctx, a)
	if err != nil {
		return err
	}
	feed, err := buildInputs(a, o, bind)
	if err != nil {
		return err
	}
	if a.IsTemplate() {
		fmt.Fprintf(stdout, "model %q: shapes decided per input signature (each new one is specialized and prepared on its first run)\n", a.Name)
	} else {
		fmt.Fprintf(stdout, "model %q: %d nodes, backends in order: %s\n", a.Name, len(a.Nodes), strings.Join(m.Backends(), ", "))
	}
	for i, in := range a.Inputs {
		fmt.Fprintf(stdout, "input  %-12s %s\n", in.Name, feed[i].Summary())
	}
	fmt.Fprintf(stdout, "dispatch before the first run:\n%s", m.Explain())
	var out []*tensor.Tensor
	var info runtime.RunInfo
	lat := make([]time.Duration, 0, o.iters)
	served := map[string]int{}
	fallbacks := 0
	memBefore := runtime.ReadMemoryStats()
	for range o.iters {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if o.timeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, o.timeout)
		}
		out, info, err = m.RunWithInfo(rctx, feed...)
		cancel()
		if err != nil {
			return err
		}
		lat = append(lat, info.Duration)
		served[info.Backend]++
		if len(info.Attempts) > 0 {
			fallbacks++
		}
	}
	for _, at := range info.Attempts {
		fmt.Fprintf(stdout, "  last run fell back from %s (%s): %s\n", at.Backend, at.Mode, runtime.Brief(at.Err))
	}
	for i, o := range a.Outputs {
		fmt.Fprintf(stdout, "output %-12s %s\n", o.Name, out[i].Summary())
	}
	slices.Sort(lat)
	fmt.Fprintf(stdout, "%s: p50 %v, p95 %v, p99 %v, min %v, max %v; served by %s; %d with fallbacks\n", plural(len(lat), "run"),
		dur(percentile(lat, 0.5)), dur(percentile(lat, 0.95)), dur(percentile(lat, 0.99)), dur(lat[0]), dur(lat[len(lat)-1]),
		servedText(served), fallbacks)
	memAfter := runtime.ReadMemoryStats()
	fmt.Fprintf(stdout, "RSS before the runs %.1f MiB, after %.1f MiB (%+.1f MiB over %s)\n",
		mib(memBefore.RSS), mib(memAfter.RSS), mib(memAfter.RSS)-mib(memBefore.RSS), plural(len(lat), "run"))
	fmt.Fprintf(stdout, "dispatch after %s:\n%s\n", plural(len(lat), "run"), m.Explain())
	writeTelemetry(stdout, rt.Telemetry().Snapshot())
	if o.outDir != "" {
		if err := os.MkdirAll(o.outDir, 0o755); err != nil {
			return err
		}
		for i, out := range out {
			p := filepath.Join(o.outDir, sanitize(a.Outputs[i].Name)+".npy")
			if err := npy.WriteFile(p, out); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s\n", p)
		}
	}
	return nil
}

// plural formats a count with its noun: "1 run", "2 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// servedText lists how many runs each backend served, most first.
func servedText(served map[string]int) string {
	names := make([]string, 0, len(served))
	for n := range served {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return served[b] - served[a] })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%d)", n, served[n])
	}
	return strings.Join(parts, ", ")
}

// percentile returns the q-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// sanitize makes a value name safe as a file name.
func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == 0 {
			return '_'
		}
		return r
	}, name)
}

// parseDims reads the --dim NAME=N bindings.
func parseDims(dims []string) (map[string]int, error) {
	bind := map[string]int{}
	for _, d := range dims {
		name, val, ok := strings.Cut(d, "=")
		n, err := strconv.Atoi(val)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("--dim %q: want NAME=N with N >= 0", d)
		}
		bind[name] = n
	}
	return bind, nil
}

// readInput reads a tensor from a .pb TensorProto file, or else from a .npy file.
func readInput(file string) (*tensor.Tensor, error) {
	if !strings.EqualFold(filepath.Ext(file), ".pb") {
		return npy.ReadFile(file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p, err := onnxpb.DecodeTensor(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t, err := onnxpb.ToTensor(p, onnxpb.DirLoader(filepath.Dir(file)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// buildInputs reads the inputs named on the command line and draws the rest at random.
func buildInputs(a *runtime.Artifact, o runOptions, bind map[string]int) ([]*tensor.Tensor, error) {
	feed := make([]*tensor.Tensor, len(a.Inputs))
	for _, spec := range o.inputs {
		name, file, named := strings.Cut(spec, "=")
		idx := slices.Index(feed, nil) // a positional file fills the next input not yet given
		if named {
			idx = slices.IndexFunc(a.Inputs, func(v runtime.ValueInfo) bool { return v.Name == name })
			if idx < 0 {
				return nil, fmt.Errorf("--input %q: model has no input %q", spec, name)
			}
		} else {
			file = spec
		}
		if idx < 0 {
			return nil, fmt.Errorf("--input %q: every one of the model's %d inputs is already given", spec, len(a.Inputs))
		}
		if feed[idx] != nil {
			return nil, fmt.Errorf("--input %q: input %q is given twice", spec, a.Inputs[idx].Name)
		}
		t, err := readInput(file)
		if err != nil {
			return nil, err
		}
		feed[idx] = t
	}
	types := a.InputTypes(bind)
	for i := range feed {
		if feed[i] != nil {
			continue
		}
		d := types[i].DType
		if size := int64(types[i].Shape.NumElements()) * int64(d.Size()); size > runtime.DefaultMaxValueBytes {
			return nil, fmt.Errorf("random input %q of shape %v would take %d bytes, more than %d",
				a.Inputs[i].Name, types[i].Shape, size, int64(runtime.DefaultMaxValueBytes))
		}
		lo, hi := -1.0, 1.0
		if !d.IsFloat() {
			lo, hi = 0, 9
		}
		t, err := tensor.Rand(d, o.seed+uint64(i), lo, hi, types[i].Shape...)
		if err != nil {
			return nil, fmt.Errorf("random input %q: %w", a.Inputs[i].Name, err)
		}
		feed[i] = t
	}
	return feed, nil
}
