package onnxtest_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
)

func TestExpectationsRoundTripAndDiff(t *testing.T) {
	res := func(name string, s onnxtest.Status, reason string) onnxtest.Result {
		return onnxtest.Result{Case: onnxtest.Case{Name: name}, Status: s, Reason: reason}
	}
	run := []onnxtest.Result{
		res("test_b", onnxtest.Fail, "op type \"Mod\" is not supported (supported: Abs Add)\nsecond line"),
		res("test_a", onnxtest.Pass, ""),
		res("test_c", onnxtest.Skip, "string tensor"),
	}
	var buf bytes.Buffer
	require.NoError(t, onnxtest.WriteExpectations(&buf, "header line 1\nline 2", run))
	require.Equal(t, "# header line 1\n# line 2\n"+
		"test_b  FAIL  op type \"Mod\" is not supported second line\n"+
		"test_c  SKIP  string tensor\n", buf.String())
	exp, err := onnxtest.ReadExpectations(strings.NewReader(buf.String()))
	require.NoError(t, err)
	require.Empty(t, exp.Diff(run))

	// test_a regresses, test_b passes, test_c fails instead of skipping, test_d is gone.
	exp["test_d"] = onnxtest.Expectation{Status: onnxtest.Fail, Reason: "x"}
	now := []onnxtest.Result{
		res("test_a", onnxtest.Fail, "wrong value"),
		res("test_b", onnxtest.Pass, ""),
		res("test_c", onnxtest.Fail, "boom"),
	}
	require.Equal(t, []string{
		"changed: test_c now FAIL (listed as SKIP): boom",
		"regression: test_a now FAIL: wrong value",
		"stale: test_d is listed but no such test ran",
		"unexpected pass: test_b (listed as FAIL: op type \"Mod\" is not supported second line); remove it from the list",
	}, exp.Diff(now))

	for _, bad := range []string{"test_x", "test_x  PASS  ok", "test_x  FAIL  a\ntest_x  FAIL  b"} {
		_, err := onnxtest.ReadExpectations(strings.NewReader(bad))
		require.Error(t, err, bad)
	}
	// "a" then 2-byte runes: byte 240 is inside a rune, so the cut moves back to 239.
	short := onnxtest.ShortReason("a" + strings.Repeat("é", 300))
	require.True(t, utf8.ValidString(short))
	require.Equal(t, "a"+strings.Repeat("é", 119)+"...", short)
}
