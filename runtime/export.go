package runtime

import (
	"bufio"
	"expvar"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Handler serves the telemetry in the Prometheus text exposition format
// (version 0.0.4), for a scrape endpoint such as /metrics.
//
// The format is written directly rather than through client_golang: the
// runtime already keeps its own lock-free counters and histograms, and
// mirroring them into a second set of collectors would double the
// bookkeeping and pull a large dependency into every program that links the
// runtime.
func (t *Telemetry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = t.WritePrometheus(w)
	})
}

// WritePrometheus writes the telemetry in the Prometheus text format.
func (t *Telemetry) WritePrometheus(w io.Writer) error {
	s := t.Snapshot()
	bw := bufio.NewWriter(w)
	metric := func(name, typ, help string, rows func(emit func(labels string, v float64))) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		rows(func(labels string, v float64) {
			bw.WriteString(name)
			if labels != "" {
				bw.WriteString("{" + labels + "}")
			}
			bw.WriteString(" " + strconv.FormatFloat(v, 'g', -1, 64) + "\n")
		})
	}
	pair := func(b BackendStats) string {
		return `model="` + escapeLabel(b.Model) + `",backend="` + escapeLabel(b.Backend) + `"`
	}
	each := func(f func(b BackendStats, emit func(string, float64))) func(func(string, float64)) {
		return func(emit func(string, float64)) {
			for _, b := range s.Backends {
				f(b, emit)
			}
		}
	}
	metric("backplane_runs_total", "counter", "Attempts to run a model on a backend.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.Runs)) }))
	metric("backplane_successes_total", "counter", "Successful runs of a model on a backend.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.Successes)) }))
	metric("backplane_failures_total", "counter", "Failed runs by failure mode.",
		each(func(b BackendStats, emit func(string, float64)) {
			for _, mode := range failureModes {
				emit(pair(b)+`,mode="`+string(mode)+`"`, float64(b.Failures[mode]))
			}
		}))
	metric("backplane_run_latency_seconds", "summary", "Latency of successful runs (quantiles within 1.6%).",
		each(func(b BackendStats, emit func(string, float64)) {
			l := b.Latency
			emit(pair(b)+`,quantile="0.5"`, l.P50.Seconds())
			emit(pair(b)+`,quantile="0.95"`, l.P95.Seconds())
			emit(pair(b)+`,quantile="0.99"`, l.P99.Seconds())
		}))
	// The summary's _sum and _count follow its quantiles, under the same family.
	for _, b := range s.Backends {
		fmt.Fprintf(bw, "backplane_run_latency_seconds_sum{%s} %s\n", pair(b),
			strconv.FormatFloat(b.Latency.Sum.Seconds(), 'g', -1, 64))
		fmt.Fprintf(bw, "backplane_run_latency_seconds_count{%s} %d\n", pair(b), b.Latency.Count)
	}
	metric("backplane_compiles_total", "counter", "Compilations (Prepare, and per-signature compiles).",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.Compiles)) }))
	metric("backplane_compile_seconds_total", "counter", "Time spent compiling.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), b.CompileTime.Seconds()) }))
	metric("backplane_bytes_in_total", "counter", "Input tensor bytes of successful runs.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.BytesIn)) }))
	metric("backplane_bytes_out_total", "counter", "Output tensor bytes of successful runs.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.BytesOut)) }))
	metric("backplane_breaker_state", "gauge", "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.Breaker.State)) }))
	metric("backplane_breaker_trips_total", "counter", "Times the circuit breaker opened.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.Breaker.Trips)) }))
	metric("backplane_shadow_checks_total", "counter", "Runs re-checked on the reference backend.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.ShadowChecks)) }))
	metric("backplane_input_data_errors_total", "counter", "Requests whose data the backend found invalid (not failures).",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.InputErrors)) }))
	metric("backplane_nonfinite_checks_total", "counter", "NaN/Inf outputs from finite inputs judged against the reference backend.",
		each(func(b BackendStats, emit func(string, float64)) { emit(pair(b), float64(b.NonFiniteChecks)) }))
	spec := func(f func(sp SpecializationStats) float64) func(func(string, float64)) {
		return func(emit func(string, float64)) {
			for _, sp := range s.Specializations {
				emit(`model="`+escapeLabel(sp.Model)+`"`, f(sp))
			}
		}
	}
	metric("backplane_specialization_hits_total", "counter", "Runs of a template model whose input signature was already specialized.",
		spec(func(sp SpecializationStats) float64 { return float64(sp.Hits) }))
	metric("backplane_specialization_misses_total", "counter", "Runs of a template model that specialized their input signature.",
		spec(func(sp SpecializationStats) float64 { return float64(sp.Misses) }))
	metric("backplane_specialization_evictions_total", "counter", "Specializations closed to keep the per-model limit.",
		spec(func(sp SpecializationStats) float64 { return float64(sp.Evictions) }))
	metric("backplane_specialization_failures_total", "counter", "Specializations that failed.",
		spec(func(sp SpecializationStats) float64 { return float64(sp.Failures) }))
	metric("backplane_specializations_loaded", "gauge", "Specializations of a template model loaded now.",
		spec(func(sp SpecializationStats) float64 { return float64(sp.Loaded) }))
	metric("backplane_specialization_seconds_total", "counter", "Time spent specializing and loading.",
		spec(func(sp SpecializationStats) float64 { return sp.Time.Seconds() }))
	metric("backplane_specialization_probe_misses_total", "counter", "Probes made for shapes computed from data.",
		spec(func(sp SpecializationStats) float64 { return float64(sp.ProbeMisses) }))
	mem := s.Memory
	gauge := func(name, help string, v float64) {
		metric(name, "gauge", help, func(emit func(string, float64)) { emit("", v) })
	}
	gauge("backplane_process_resident_memory_bytes", "Resident set size of the process.", float64(mem.RSS))
	gauge("backplane_go_heap_live_bytes", "Go heap held by live objects.", float64(mem.HeapLive))
	gauge("backplane_go_memory_bytes", "Memory mapped by the Go runtime.", float64(mem.GoTotal))
	gauge("backplane_goroutines", "Goroutines in the process.", float64(mem.Goroutines))
	gauge("backplane_memory_budget_bytes", "Memory budget: GOMEMLIMIT if set, else the machine's memory.", float64(mem.Budget))
	gauge("backplane_memory_pressure", "Memory pressure: 0 normal, 1 elevated (RSS >= 70% of budget), 2 critical (>= 90%).",
		float64(mem.Pressure))
	return bw.Flush()
}

// escapeLabel escapes a label value as the text format requires.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

var expvarMu sync.Mutex

// PublishExpvar publishes the telemetry snapshot as the expvar variable name
// (served as JSON on /debug/vars). It fails if the name is taken, instead of
// panicking as expvar.Publish does.
func (t *Telemetry) PublishExpvar(name string) error {
	expvarMu.Lock()
	defer expvarMu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("runtime: expvar %q is already published", name)
	}
	expvar.Publish(name, expvar.Func(func() any { return t.Snapshot() }))
	return nil
}
