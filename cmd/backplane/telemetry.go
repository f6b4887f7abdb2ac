package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/backplane-ml/backplane/runtime"
)

// writeTelemetry prints one row per (model, backend) of a telemetry snapshot.
func writeTelemetry(w io.Writer, s runtime.Snapshot) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tBACKEND\tRUNS\tOK\tFAILURES\tP50\tP95\tP99\tCOMPILES\tBREAKER")
	for _, b := range s.Backends {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d (%s)\t%s\n", b.Model, b.Backend, b.Runs, b.Successes,
			failureList(b.Failures), dur(b.Latency.P50), dur(b.Latency.P95), dur(b.Latency.P99),
			b.Compiles, dur(b.CompileTime), breakerText(b.Breaker))
	}
	tw.Flush()
}

func failureList(f map[runtime.FailureMode]int64) string {
	if len(f) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(f))
	for m, n := range f {
		parts = append(parts, fmt.Sprintf("%s:%d", m, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func breakerText(b runtime.BreakerSnapshot) string {
	s := b.State.String()
	if b.Trips > 0 {
		s += fmt.Sprintf(" (%d trips)", b.Trips)
	}
	return s
}

// dur prints a duration with three significant digits, "-" for zero.
func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.String()
}
