package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

// soakFaults is the fault schedule: phase k injects soakFaults[k/2 % len] and
// every odd phase is clean, so breakers get to open and to close again.
// With -hostile above 0, every second clean phase is a hostile one instead:
// no backend faults, but that fraction of requests are crafted to blame the
// wrong party or to exhaust memory (see hostileMix).
var soakFaults = []faultinject.Kind{faultinject.Error, faultinject.Panic, faultinject.NaN,
	faultinject.WrongShape, faultinject.Hang, faultinject.LatencySpike, faultinject.Unavailable}

type soakOptions struct {
	duration, interval, timeout time.Duration
	workers                     int
	rate, hostile               float64
	models                      string
}

func newSoakCmd() *cobra.Command {
	var o soakOptions
	c := &cobra.Command{
		Use:   "soak [flags]",
		Short: "Run mixed models under injected faults, reporting outcomes, RSS and goroutines per phase",
		Long: "Wraps every available backend but ref with fault injection and runs zoo models from\n" +
			"concurrent callers, alternating fault phases (errors, panics, NaN, wrong shapes, hangs,\n" +
			"latency spikes, unavailability) with clean ones; every fourth phase mixes hostile requests\n" +
			"(bad indices, division by zero, NaN inputs, oversized requests) into clean traffic. Prints per phase the requests that\n" +
			"ended in that phase by outcome, RSS, Go heap, goroutines and breaker states. Fails if any\n" +
			"request gets a wrong result or an untyped error.",
		Example: "  backplane soak --duration 10m\n  backplane soak --duration 30s --interval 5s --models mlp",
		Args:    args(0, 0, "no arguments (zoo models go in --models)"),
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if o.duration <= 0 || o.interval <= 0 || o.timeout <= 0 || o.workers < 1 || !(o.rate >= 0 && o.rate <= 1) || !(o.hostile >= 0 && o.hostile <= 1) {
				return usagef("--duration, --interval and --timeout must be positive, --workers at least 1, --rate and --hostile in [0, 1]")
			}
			return soak(o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		}),
	}
	f := c.Flags()
	f.DurationVar(&o.duration, "duration", time.Minute, "how long to run")
	f.DurationVar(&o.interval, "interval", 10*time.Second, "length of a fault phase and of a report line")
	f.DurationVar(&o.timeout, "timeout", 2*time.Second, "deadline of each request")
	f.IntVar(&o.workers, "workers", 8, "concurrent callers")
	f.Float64Var(&o.rate, "rate", 0.3, "fault rate during a faulty phase")
	f.StringVar(&o.models, "models", "mlp,cnn", "comma-separated zoo models to mix")
	f.Float64Var(&o.hostile, "hostile", 0.3, "fraction of hostile requests in hostile phases (0: no hostile phases)")
	_ = c.RegisterFlagCompletionFunc("models", completeZoo)
	return c
}

// soakModel is one model of the mix with fixed inputs and the reference's answer.
type soakModel struct {
	name string
	m    *runtime.Model
	feed []*tensor.Tensor
	want []*tensor.Tensor
}

// soakCounts are the outcomes of requests.
type soakCounts struct {
	ok, typed, wrong, untyped atomic.Int64
}

func soak(o soakOptions, stdout, stderr io.Writer) error {
	zoo, err := pickZoo(o.models)
	if err != nil {
		return err
	}
	// Every available backend but ref is wrapped with fault injection; ref,
	// the ground truth, stays clean at the end of the chain. If ref is the
	// only backend, a faulty copy of it goes in front so there is something
	// to fail over from.
	var faulty []*faultinject.Backend
	var chain []runtime.Backend
	for _, b := range runtime.Backends() {
		if runtime.Availability(b) != nil || b.Name() == runtime.GroundTruth {
			continue
		}
		fb := faultinject.Wrap(b)
		faulty = append(faulty, fb)
		chain = append(chain, fb)
	}
	ref, ok := runtime.Lookup(runtime.GroundTruth)
	if !ok {
		return errors.New("the reference backend is not registered")
	}
	if len(faulty) == 0 {
		fb := faultinject.Wrap(ref)
		faulty = append(faulty, fb)
		chain = append(chain, fb)
	}
	chain = append(chain, ref)
	startGoroutines := runtime.ReadMemoryStats().Goroutines
	rt, err := runtime.New(runtime.UsingBackends(chain...),
		runtime.WithBreaker(runtime.BreakerConfig{Window: o.interval / 2, MinSamples: 20,
			Cooldown: o.interval / 10, MaxCooldown: o.interval / 2}),
		runtime.WithMemoryBudget(min(soakMemoryBudget, runtime.DefaultMemoryBudget())))
	if err != nil {
		return err
	}
	ctx := context.Background()
	var mix []soakModel
	for _, z := range zoo {
		art, err := z.Build(0)
		if err != nil {
			return err
		}
		m, err := rt.Load(ctx, art)
		if err != nil {
			return err
		}
		feed, err := models.Inputs(art, 2, 1)
		if err != nil {
			return err
		}
		want, _, err := timeOn(ctx, art, feed, runtime.WithBackends(runtime.GroundTruth), 0, 0, false)
		if err != nil {
			return err
		}
		mix = append(mix, soakModel{name: z.Name, m: m, feed: feed, want: want})
	}
	var hmix []hostileRequest
	if o.hostile > 0 {
		if hmix, err = hostileMix(ctx, rt); err != nil {
			return err
		}
	}
	var hc hostileCounts
	var phaseKind atomic.Int32 // phaseFault, phaseClean or phaseHostile
	var phaseSeq atomic.Int64  // the phase's number
	var hseq atomic.Int64      // requests sent in hostile phases
	names := make([]string, len(chain))
	for i, b := range chain {
		names[i] = b.Name()
	}
	fmt.Fprintf(stdout, "soak: %v, %d workers, models %s, chain %s, fault rate %.0f%% in even phases of %v\n",
		o.duration, o.workers, o.models, strings.Join(names, " > "), 100*o.rate, o.interval)

	var counts soakCounts
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sm := mix[i%len(mix)]
				rctx, cancel := context.WithTimeout(ctx, o.timeout)
				switch pk := phaseKind.Load(); {
				case pk == phaseFault:
					out, err := sm.m.Run(rctx, sm.feed...)
					classify(&counts, sm, out, err)
				case pk == phaseHostile && hostileTurn(&hseq, o.hostile):
					runHostile(rctx, &counts, &hc, hmix[int(hseq.Load())%len(hmix)])
				default:
					runClean(rctx, &counts, &hc, sm, pk == phaseHostile, &phaseSeq)
				}
				cancel()
			}
		}()
	}

	// Fixed-width columns: rows are printed as the phases end, so a
	// tabwriter could not align them.
	const row = "%6s  %-13s  %8s  %10s  %5s  %7s  %7s  %8s  %10s  %s\n"
	fmt.Fprintf(stdout, row, "TIME", "PHASE", "OK", "TYPED ERRS", "WRONG", "UNTYPED", "RSS MiB", "HEAP MiB", "GOROUTINES", "BREAKERS")
	start := time.Now()
	var first, last runtime.MemoryStats
	var prev [4]int64 // ok, typed, wrong, untyped at the end of the previous phase
	for phase := 0; time.Since(start) < o.duration; phase++ {
		kind := "clean"
		for _, fb := range faulty {
			fb.Clear()
			if phase%2 == 0 {
				k := soakFaults[(phase/2)%len(soakFaults)]
				fb.Set(k, o.rate)
				kind = k.String()
			}
		}
		phaseSeq.Store(int64(phase))
		switch {
		case phase%2 == 0:
			phaseKind.Store(phaseFault)
		case o.hostile > 0 && phase%4 == 3:
			phaseKind.Store(phaseHostile)
			kind = "hostile"
		default:
			phaseKind.Store(phaseClean)
		}
		time.Sleep(min(o.interval, o.duration-time.Since(start)))
		mem := runtime.ReadMemoryStats()
		if phase == 0 {
			first = mem
		}
		last = mem
		now := [4]int64{counts.ok.Load(), counts.typed.Load(), counts.wrong.Load(), counts.untyped.Load()}
		fmt.Fprintf(stdout, row, time.Since(start).Round(100*time.Millisecond), kind,
			fmt.Sprint(now[0]-prev[0]), fmt.Sprint(now[1]-prev[1]), fmt.Sprint(now[2]-prev[2]),
			fmt.Sprint(now[3]-prev[3]), fmt.Sprintf("%.1f", mib(mem.RSS)), fmt.Sprintf("%.1f", mib(mem.HeapLive)),
			fmt.Sprint(mem.Goroutines), breakerStates(rt))
		prev = now
	}
	close(stop)
	wg.Wait()
	// Requests in flight when the last phase ended: a row of their own, so
	// that the phases' counts add up to the totals below.
	if now := [4]int64{counts.ok.Load(), counts.typed.Load(), counts.wrong.Load(), counts.untyped.Load()}; now != prev {
		mem := runtime.ReadMemoryStats()
		fmt.Fprintf(stdout, row, time.Since(start).Round(100*time.Millisecond), "drain",
			fmt.Sprint(now[0]-prev[0]), fmt.Sprint(now[1]-prev[1]), fmt.Sprint(now[2]-prev[2]),
			fmt.Sprint(now[3]-prev[3]), fmt.Sprintf("%.1f", mib(mem.RSS)), fmt.Sprintf("%.1f", mib(mem.HeapLive)),
			fmt.Sprint(mem.Goroutines), breakerStates(rt))
	}
	for _, fb := range faulty {
		fb.Clear()
	}
	fmt.Fprintln(stdout)
	writeTelemetry(stdout, rt.Telemetry().Snapshot())
	if err := rt.Close(); err != nil {
		return err
	}
	time.Sleep(100 * time.Millisecond) // let exiting goroutines finish exiting
	end := runtime.ReadMemoryStats()
	fmt.Fprintf(stdout, "\nRSS after the first phase %.1f MiB, at the end %.1f MiB (%+.1f MiB); goroutines before %d, after Close %d\n",
		mib(first.RSS), mib(last.RSS), mib(last.RSS)-mib(first.RSS), startGoroutines, end.Goroutines)
	fmt.Fprintf(stdout, "requests: %d ok, %d typed errors, %d wrong results, %d untyped errors\n",
		counts.ok.Load(), counts.typed.Load(), counts.wrong.Load(), counts.untyped.Load())
	if hc.sent.Load() > 0 {
		fmt.Fprintf(stdout, "hostile phases: %d hostile requests, %d refused with the right typed error, %d answered as ref answers\n",
			hc.sent.Load(), hc.refused.Load(), hc.answered.Load())
		for _, p := range []struct {
			name string
			s    *cleanServed
		}{{"clean", &hc.inClean}, {"hostile", &hc.inHostile}} {
			fmt.Fprintf(stdout, "clean requests in %s phases: %d, %d fell back after a backend failed, %.1f%% served by %s\n",
				p.name, p.s.n.Load(), p.s.fallbacks.Load(), 100*float64(p.s.onRef.Load())/float64(max(1, p.s.n.Load())), runtime.GroundTruth)
		}
	}
	if counts.wrong.Load() > 0 || counts.untyped.Load() > 0 {
		return fmt.Errorf("%d wrong results and %d untyped errors", counts.wrong.Load(), counts.untyped.Load())
	}
	return nil
}

// classify counts one request's outcome: a result within tolerance of the
// reference, a typed error, or (both failures of the runtime) a wrong result
// or an error of no runtime type.
func classify(c *soakCounts, sm soakModel, out []*tensor.Tensor, err error) {
	if err != nil {
		var de *runtime.DispatchError
		var re *runtime.Error
		if errors.As(err, &de) || errors.As(err, &re) {
			c.typed.Add(1)
		} else {
			c.untyped.Add(1)
		}
		return
	}
	if _, ok := parity(out, sm.want); !ok {
		c.wrong.Add(1)
		return
	}
	c.ok.Add(1)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// breakerStates summarises the breakers of every (model, backend) pair, e.g. "open:2 closed:4".
func breakerStates(rt *runtime.Runtime) string {
	n := map[runtime.BreakerState]int{}
	for _, b := range rt.Telemetry().Snapshot().Backends {
		n[b.Breaker.State]++
	}
	var parts []string
	for _, s := range []runtime.BreakerState{runtime.BreakerClosed, runtime.BreakerHalfOpen, runtime.BreakerOpen} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", s, n[s]))
		}
	}
	return strings.Join(parts, " ")
}
