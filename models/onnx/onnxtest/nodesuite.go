package onnxtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// NodeDataEnv names the environment variable that overrides where
// SharedNodeDir finds ONNX's operator tests.
const NodeDataEnv = "BACKPLANE_ONNX_NODE_TESTDATA"

// SharedNodeDir returns the folder of ONNX's own operator tests
// (onnx/backend/test/data/node): $BACKPLANE_ONNX_NODE_TESTDATA if set, else
// ../shared/testdata/onnx-node next to the module root. It does not check
// that the folder exists.
func SharedNodeDir() (string, error) {
	if dir := os.Getenv(NodeDataEnv); dir != "" {
		return dir, nil
	}
	dir, err := SharedDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(dir), "onnx-node"), nil
}

// Expectation is the recorded outcome of one test that does not pass.
type Expectation struct {
	Status Status // Fail or Skip
	Reason string // one line, as summarized by ShortReason
}

// Expectations maps test names to their recorded outcome; a test absent
// from the map is expected to pass.
type Expectations map[string]Expectation

// ReadExpectations parses an expected-outcomes list: one line per test that
// does not pass, "NAME STATUS REASON" separated by runs of spaces, blank
// lines and lines starting with # ignored.
func ReadExpectations(r io.Reader) (Expectations, error) {
	exp := Expectations{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "  ", 3)
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: want NAME  STATUS  REASON, got %q", n, line)
		}
		name, status := f[0], Status(strings.TrimSpace(f[1]))
		if status != Fail && status != Skip {
			return nil, fmt.Errorf("line %d: status %q (want %s or %s)", n, status, Fail, Skip)
		}
		if _, dup := exp[name]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", n, name)
		}
		reason := ""
		if len(f) == 3 {
			reason = strings.TrimSpace(f[2])
		}
		exp[name] = Expectation{Status: status, Reason: reason}
	}
	return exp, sc.Err()
}

// WriteExpectations writes the tests of results that did not pass, sorted
// by name, under a header saying what the list is and how to regenerate it.
func WriteExpectations(w io.Writer, header string, results []Result) error {
	var lines []string
	for _, r := range results {
		if r.Status != Pass {
			lines = append(lines, fmt.Sprintf("%s  %s  %s", r.Case.Name, r.Status, ShortReason(r.Reason)))
		}
	}
	slices.Sort(lines)
	bw := bufio.NewWriter(w)
	for _, h := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		fmt.Fprintf(bw, "# %s\n", h)
	}
	for _, l := range lines {
		fmt.Fprintln(bw, l)
	}
	return bw.Flush()
}

var (
	supportedList = regexp.MustCompile(` \(supported: [^)]*\)`)
	spaces        = regexp.MustCompile(`\s+`)
)

// maxReason bounds a reason in an expectations list.
const maxReason = 240

// ShortReason makes a failure reason fit one stable line of an
// expectations list: no list of supported ops (it grows with every op
// added), no line breaks, at most maxReason bytes.
func ShortReason(reason string) string {
	s := supportedList.ReplaceAllString(reason, "")
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) > maxReason {
		cut := maxReason
		for cut > 0 && (s[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// Diff compares results with expectations. It returns one line per test
// whose outcome changed: a regression (expected to pass, or to be skipped,
// and now failing), an unexpected pass (listed, now passing: remove it from
// the list), or a listed test that no longer exists.
func (e Expectations) Diff(results []Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range results {
		name := r.Case.Name
		seen[name] = true
		want, listed := e[name]
		switch {
		case !listed && r.Status != Pass:
			out = append(out, fmt.Sprintf("regression: %s now %s: %s", name, r.Status, ShortReason(r.Reason)))
		case listed && r.Status == Pass:
			out = append(out, fmt.Sprintf("unexpected pass: %s (listed as %s: %s); remove it from the list", name, want.Status, want.Reason))
		case listed && r.Status != want.Status:
			out = append(out, fmt.Sprintf("changed: %s now %s (listed as %s): %s", name, r.Status, want.Status, ShortReason(r.Reason)))
		}
	}
	for name := range e {
		if !seen[name] {
			out = append(out, fmt.Sprintf("stale: %s is listed but no such test ran", name))
		}
	}
	slices.Sort(out)
	return out
}

// IsRefusal reports whether a failure reason is a backend's refusal that
// names what it lacks: Supports said "unsupported" (for every backend the
// runtime tried) and named an op or a dtype. A wrong value, a compile or run
// error, or a refusal that names neither is not one.
func IsRefusal(reason string) bool {
	if !strings.Contains(reason, "[unsupported]") || strings.Contains(reason, "values differ") {
		return false
	}
	return strings.Contains(reason, ` op "`) || strings.Contains(reason, "dtype")
}

// NotRefused lists the tests that pass on the reference backend (absent
// from refExp) but not in results, without being refused by name (see
// IsRefusal): each is a wrong answer or a failure a backend must not give.
func NotRefused(refExp Expectations, results []Result) []string {
	var out []string
	for _, r := range results {
		if _, failsOnRef := refExp[r.Case.Name]; failsOnRef || r.Status == Pass {
			continue
		}
		if r.Status == Fail && IsRefusal(r.Reason) {
			continue
		}
		out = append(out, fmt.Sprintf("%s passes on ref but %s on %s, not refused naming an op or dtype: %s",
			r.Case.Name, r.Status, r.Backend, ShortReason(r.Reason)))
	}
	slices.Sort(out)
	return out
}
