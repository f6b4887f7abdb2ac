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

func TestNotRefused(t *testing.T) {
	res := func(name string, s onnxtest.Status, reason string) onnxtest.Result {
		return onnxtest.Result{Case: onnxtest.Case{Name: name}, Backend: "gomlx", Status: s, Reason: reason}
	}
	refExp := onnxtest.Expectations{"test_ref_fails": {Status: onnxtest.Fail, Reason: "no op"}}
	results := []onnxtest.Result{
		res("test_pass", onnxtest.Pass, ""),
		res("test_ref_fails", onnxtest.Fail, `output "y": values differ`), // ref's own list covers it
		res("test_op", onnxtest.Fail, `load: gomlx [unsupported]: unsupported by backend, node "n", op "bitcast": no Bitcast`),
		res("test_dtype", onnxtest.Fail, `load: gomlx [unsupported]: unsupported by backend, input "x": the gomlx engine has no float16 dtype`),
		res("test_wrong", onnxtest.Fail, `test_data_set_0: output "Y": values differ beyond rtol=0.001`),
		res("test_unnamed", onnxtest.Fail, `load: gomlx [unsupported]: too big`),
		res("test_compile", onnxtest.Fail, `load: gomlx [compile]: op "conv": GoMLX panicked`),
		res("test_skip", onnxtest.Skip, "string tensor"),
	}
	require.Equal(t, []string{
		"test_compile passes on ref but FAIL on gomlx, not refused naming an op or dtype: load: gomlx [compile]: op \"conv\": GoMLX panicked",
		"test_skip passes on ref but SKIP on gomlx, not refused naming an op or dtype: string tensor",
		"test_unnamed passes on ref but FAIL on gomlx, not refused naming an op or dtype: load: gomlx [unsupported]: too big",
		"test_wrong passes on ref but FAIL on gomlx, not refused naming an op or dtype: test_data_set_0: output \"Y\": values differ beyond rtol=0.001",
	}, onnxtest.NotRefused(refExp, results))
}
