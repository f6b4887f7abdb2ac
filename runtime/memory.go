package runtime

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
)

// MemoryPressure grades how close the process is to its memory budget.
type MemoryPressure int

// The pressure levels.
const (
	PressureNormal   MemoryPressure = iota // below 70% of the budget
	PressureElevated                       // 70% to 90%
	PressureCritical                       // 90% or more
)

// String returns "normal", "elevated" or "critical".
func (p MemoryPressure) String() string {
	switch p {
	case PressureNormal:
		return "normal"
	case PressureElevated:
		return "elevated"
	case PressureCritical:
		return "critical"
	}
	return "pressure(?)"
}

// MemoryStats describes the process's memory at one moment.
type MemoryStats struct {
	// RSS is the resident set size from /proc/self/statm, or the Go runtime's
	// mapped memory where /proc is absent (RSSFromGo is then true).
	RSS       uint64
	RSSFromGo bool
	// HeapLive is the Go heap in use by live and not yet swept objects;
	// GoTotal is all memory the Go runtime has mapped.
	HeapLive, GoTotal uint64
	Goroutines        int
	// Budget is the memory the process should stay within: the Go memory
	// limit (GOMEMLIMIT, debug.SetMemoryLimit) when set, else the machine's
	// memory (0 if unknown). Pressure grades RSS against it.
	Budget   uint64
	Pressure MemoryPressure
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

var memSampleMu sync.Mutex

// ReadMemoryStats samples the process's memory. It costs a few microseconds
// (no stop-the-world), so telemetry calls it per snapshot, not per run.
func ReadMemoryStats() MemoryStats {
	memSampleMu.Lock()
	metrics.Read(memSamples)
	heap, total, released := memSamples[0].Value.Uint64(), memSamples[1].Value.Uint64(), memSamples[2].Value.Uint64()
	memSampleMu.Unlock()
	s := MemoryStats{HeapLive: heap, GoTotal: total - released, Goroutines: runtime.NumGoroutine()}
	if rss, ok := procRSS(); ok {
		s.RSS = rss
	} else {
		s.RSS, s.RSSFromGo = s.GoTotal, true
	}
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		s.Budget = uint64(lim)
	} else {
		s.Budget = machineMemory()
	}
	if s.Budget > 0 {
		switch f := float64(s.RSS) / float64(s.Budget); {
		case f >= 0.9:
			s.Pressure = PressureCritical
		case f >= 0.7:
			s.Pressure = PressureElevated
		}
	}
	return s
}

// procRSS reads the resident set size from /proc/self/statm (Linux).
func procRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(os.Getpagesize()), true
}

var machineMem = sync.OnceValue(func() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) >= 2 && string(fields[0]) == "MemTotal:" {
			kb, err := strconv.ParseUint(string(fields[1]), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
})

func machineMemory() uint64 { return machineMem() }
