// Package promcollector exposes a runtime's telemetry as a
// prometheus.Collector, for programs that already keep their metrics in a
// Prometheus registry (github.com/prometheus/client_golang). It lives apart
// from package runtime so that only programs that import it link
// client_golang; the runtime's own Telemetry.Handler serves the same metric
// families in the text format without it.
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(promcollector.New(rt.Telemetry()))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Metric names and labels are those of Telemetry.Handler: per (model,
// backend) counters of runs, successes, failures by mode, compiles and
// bytes, a latency summary (p50, p95, p99), breaker state and trips, shadow
// checks; and process gauges (RSS, Go heap, goroutines, memory budget and
// pressure). Each scrape takes one Telemetry.Snapshot.
package promcollector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backplane-ml/backplane/runtime"
)

// Collector reads a runtime's telemetry on every scrape. It is safe for
// concurrent use.
type Collector struct {
	tel *runtime.Telemetry

	runs, successes, failures, latency, compiles, compileSeconds *prometheus.Desc
	bytesIn, bytesOut, breakerState, breakerTrips, shadowChecks  *prometheus.Desc
	rss, heapLive, goMemory, goroutines, budget, pressure        *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// failureModes are the modes telemetry counts, reported even when zero so
// that rate() queries see every series from the start.
var failureModes = []runtime.FailureMode{runtime.ModeUnavailable, runtime.ModeUnsupported, runtime.ModeCompile,
	runtime.ModeRuntime, runtime.ModeTimeout, runtime.ModePanic, runtime.ModeNumeric, runtime.ModeMemory}

// New returns a Collector over tel (rt.Telemetry()).
func New(tel *runtime.Telemetry) *Collector {
	pair := []string{"model", "backend"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &Collector{
		tel:            tel,
		runs:           d("backplane_runs_total", "Attempts to run a model on a backend.", pair...),
		successes:      d("backplane_successes_total", "Successful runs of a model on a backend.", pair...),
		failures:       d("backplane_failures_total", "Failed runs by failure mode.", "model", "backend", "mode"),
		latency:        d("backplane_run_latency_seconds", "Latency of successful runs (quantiles within 1.6%).", pair...),
		compiles:       d("backplane_compiles_total", "Compilations (Prepare, and per-signature compiles).", pair...),
		compileSeconds: d("backplane_compile_seconds_total", "Time spent compiling.", pair...),
		bytesIn:        d("backplane_bytes_in_total", "Input tensor bytes of successful runs.", pair...),
		bytesOut:       d("backplane_bytes_out_total", "Output tensor bytes of successful runs.", pair...),
		breakerState:   d("backplane_breaker_state", "Circuit breaker state: 0 closed, 1 open, 2 half-open.", pair...),
		breakerTrips:   d("backplane_breaker_trips_total", "Times the circuit breaker opened.", pair...),
		shadowChecks:   d("backplane_shadow_checks_total", "Runs re-checked on the reference backend.", pair...),
		rss:            d("backplane_process_resident_memory_bytes", "Resident set size of the process."),
		heapLive:       d("backplane_go_heap_live_bytes", "Go heap held by live objects."),
		goMemory:       d("backplane_go_memory_bytes", "Memory mapped by the Go runtime."),
		goroutines:     d("backplane_goroutines", "Goroutines in the process."),
		budget:         d("backplane_memory_budget_bytes", "Memory budget: GOMEMLIMIT if set, else the machine's memory."),
		pressure: d("backplane_memory_pressure",
			"Memory pressure: 0 normal, 1 elevated (RSS >= 70% of budget), 2 critical (>= 90%)."),
	}
}

// Describe sends the descriptors of every metric the Collector reports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.runs, c.successes, c.failures, c.latency, c.compiles, c.compileSeconds,
		c.bytesIn, c.bytesOut, c.breakerState, c.breakerTrips, c.shadowChecks,
		c.rss, c.heapLive, c.goMemory, c.goroutines, c.budget, c.pressure} {
		ch <- d
	}
}

// Collect takes one telemetry snapshot and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.tel.Snapshot()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, b := range s.Backends {
		m, be := b.Model, b.Backend
		counter(c.runs, float64(b.Runs), m, be)
		counter(c.successes, float64(b.Successes), m, be)
		for _, mode := range failureModes {
			counter(c.failures, float64(b.Failures[mode]), m, be, string(mode))
		}
		l := b.Latency
		ch <- prometheus.MustNewConstSummary(c.latency, l.Count, l.Sum.Seconds(), map[float64]float64{
			0.5: l.P50.Seconds(), 0.95: l.P95.Seconds(), 0.99: l.P99.Seconds()}, m, be)
		counter(c.compiles, float64(b.Compiles), m, be)
		counter(c.compileSeconds, b.CompileTime.Seconds(), m, be)
		counter(c.bytesIn, float64(b.BytesIn), m, be)
		counter(c.bytesOut, float64(b.BytesOut), m, be)
		gauge(c.breakerState, float64(b.Breaker.State), m, be)
		counter(c.breakerTrips, float64(b.Breaker.Trips), m, be)
		counter(c.shadowChecks, float64(b.ShadowChecks), m, be)
	}
	mem := s.Memory
	gauge(c.rss, float64(mem.RSS))
	gauge(c.heapLive, float64(mem.HeapLive))
	gauge(c.goMemory, float64(mem.GoTotal))
	gauge(c.goroutines, float64(mem.Goroutines))
	gauge(c.budget, float64(mem.Budget))
	gauge(c.pressure, float64(mem.Pressure))
}
