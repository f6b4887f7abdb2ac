package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/backplane-ml/backplane/tensor/npy"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backend := fs.String("backend", "auto", "backend name, or auto to let the runtime choose")
	iters := fs.Int("iters", 1, "number of timed runs")
	seed := fs.Uint64("seed", 1, "seed for random inputs")
	outDir := fs.String("out", "", "directory to write outputs to as NAME.npy")
	timeout := fs.Duration("timeout", 0, "deadline for each run (0: none)")
	var inputs, dims listFlag
	fs.Var(&inputs, "input", "input as NAME=FILE, or FILE for the next input in order; FILE is .npy or a .pb TensorProto (repeatable)")
	fs.Var(&dims, "dim", "size of a symbolic dimension as NAME=N, e.g. batch=8 (repeatable; default 1)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: backplane run [flags] ARTIFACT|MODEL.onnx\n\n"+
			"Runs a saved artifact, or an ONNX model imported on the fly, on inputs read from\n"+
			".npy or .pb (TensorProto) files or drawn at random.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() != 1 || *iters < 1 {
		fs.Usage()
		return 2
	}
	if err := runArtifact(fs.Arg(0), runOptions{backend: *backend, iters: *iters, seed: *seed, outDir: *outDir,
		timeout: *timeout, inputs: inputs, dims: dims}, stdout); err != nil {
		fmt.Fprintln(stderr, "backplane run:", err)
		return 1
	}
	return 0
}

type runOptions struct {
	backend      string
	iters        int
	seed         uint64
	outDir       string
	timeout      time.Duration
	inputs, dims []string
}

func runArtifact(path string, o runOptions, stdout io.Writer) error {
	bind, err := parseDims(o.dims)
	if err != nil {
		return err
	}
	isONNX := strings.EqualFold(filepath.Ext(path), ".onnx")
	var a *runtime.Artifact
	if isONNX {
		// Bound dims become static at import, which lets shape-deciding
		// subgraphs that depend on them fold.
		a, err = onnx.ImportFile(path, onnx.Options{Dims: bind})
	} else {
		a, err = runtime.LoadArtifact(path)
	}
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
	rt, err := runtime.New(opts...)
	if err != nil {
		return err
	}
	defer rt.Close()
	ctx := context.Background()
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
	for _, s := range m.Skipped() {
		fmt.Fprintf(stdout, "  skipped %s (%s): %v\n", s.Backend, s.Mode, s.Err)
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
		fmt.Fprintf(stdout, "  last run fell back from %s (%s): %v\n", at.Backend, at.Mode, at.Err)
	}
	for i, o := range a.Outputs {
		fmt.Fprintf(stdout, "output %-12s %s\n", o.Name, out[i].Summary())
	}
	slices.Sort(lat)
	fmt.Fprintf(stdout, "%d runs: p50 %v, p90 %v, min %v, max %v; served by %s; %d with fallbacks\n", len(lat),
		percentile(lat, 0.5), percentile(lat, 0.9), lat[0], lat[len(lat)-1], servedText(served), fallbacks)
	memAfter := runtime.ReadMemoryStats()
	fmt.Fprintf(stdout, "RSS before the runs %.1f MiB, after %.1f MiB (%+.1f MiB over %d runs)\n",
		mib(memBefore.RSS), mib(memAfter.RSS), mib(memAfter.RSS)-mib(memBefore.RSS), len(lat))
	fmt.Fprintf(stdout, "dispatch after %d runs:\n%s\n", len(lat), m.Explain())
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
