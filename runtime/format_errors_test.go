package runtime

import (
	"encoding/binary"
	"errors"
	"math"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// bodyBuilder writes hand-made bodies (see the grammar in format.go), so
// tests can craft well-checksummed files holding lies.
type bodyBuilder struct{ b []byte }

func (w *bodyBuilder) uv(v uint64) *bodyBuilder { w.b = binary.AppendUvarint(w.b, v); return w }
func (w *bodyBuilder) sv(v int64) *bodyBuilder  { w.b = binary.AppendVarint(w.b, v); return w }
func (w *bodyBuilder) raw(p ...byte) *bodyBuilder {
	w.b = append(w.b, p...)
	return w
}
func (w *bodyBuilder) str(s string) *bodyBuilder {
	w.uv(uint64(len(s)))
	w.b = append(w.b, s...)
	return w
}

// prefix starts a body: name "m", no metadata.
func prefix() *bodyBuilder { return (&bodyBuilder{}).str("m").uv(0) }

// upToNodes starts a body: name "m", no metadata, input "x" float32 [2], output "y".
func upToNodes() *bodyBuilder {
	return prefix().uv(1).str("x").raw(1, 1).uv(1).raw(0).uv(2).uv(1).str("y").raw(0, 0)
}

// oneNode is a valid node: identity "n" from x to y, no attributes.
func oneNode(w *bodyBuilder) *bodyBuilder {
	return w.str("n").str(formatTestOp).uv(1).str("x").uv(1).str("y")
}

// initWith starts a body with a valid graph and one initializer "w" of the given dtype byte.
func initWith(dtype byte) *bodyBuilder {
	return oneNode(upToNodes().uv(1)).uv(0).uv(1).str("w").raw(dtype)
}

func TestCraftedBodiesDecode(t *testing.T) {
	// The builder itself must produce what the decoder accepts, or the
	// hostile cases below would fail for the wrong reason.
	body := oneNode(upToNodes().uv(1)).uv(0).uv(1).str("w").raw(byte(tensor.Float32)).uv(1).uv(2).
		raw(0, 0, 0x80, 0x3f, 0, 0, 0, 0x40).b
	a, err := UnmarshalArtifact(frameBody(body, FormatVersion))
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2}, tensor.MustView[float32](a.Initializers["w"]))
}

func TestUnmarshalRejectsHostileBodies(t *testing.T) {
	huge := uint64(1) << 40
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"2^40 metadata entries", (&bodyBuilder{}).str("m").uv(huge).b, "more than the format's limit"},
		{"metadata entries beyond the bytes", (&bodyBuilder{}).str("m").uv(60000).str("k").str("v").b, "truncated"},
		{"2^40 nodes", upToNodes().uv(huge).b, "nodes, more than the format's limit"},
		{"max nodes in a few bytes", upToNodes().uv(maxNodes).raw(1, 2, 3).b, "truncated"},
		{"2^40 graph inputs", prefix().uv(huge).b, "graph inputs, more than"},
		{"name of 2^62 bytes", (&bodyBuilder{}).uv(1 << 62).b, "more than the format's limit"},
		{"name longer than the body", (&bodyBuilder{}).uv(1000).raw('a').b, "truncated"},
		{"metadata value over 1 MiB", (&bodyBuilder{}).str("m").uv(1).str("k").uv(maxTextBytes + 1).b, "more than the format's limit"},
		{"varint of 11 bytes", (&bodyBuilder{}).raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).b, "longer than 64 bits"},
		{"non-minimal varint", (&bodyBuilder{}).raw(0x81, 0x00, 'm').b, "non-minimal"},
		{"rank 1000 input", prefix().uv(1).str("x").raw(1, 1).uv(1000).b, "dimensions, more than the format's limit of 64"},
		{"input dim 2^63", prefix().uv(1).str("x").raw(1, 1).uv(1).raw(0).uv(1 << 63).b, "larger than any tensor"},
		{"input dim tag 7", prefix().uv(1).str("x").raw(1, 1).uv(1).raw(7, 0).b, "tag 7"},
		{"empty symbolic dim", prefix().uv(1).str("x").raw(1, 1).uv(1).raw(1).str("").b, "empty name"},
		{"hasDims flag 2", prefix().uv(1).str("x").raw(1, 2).b, "want 0 or 1"},
		{"input dtype 42", prefix().uv(1).str("x").raw(42).b, "unknown dtype 42"},
		{"node input count 2^40", upToNodes().uv(1).str("n").str("op").uv(huge).b, "inputs, more than"},
		{"attribute count 2^20", oneNode(upToNodes().uv(1)).uv(1 << 20).b, "attributes, more than"},
		{"attribute kind 9", oneNode(upToNodes().uv(1)).uv(1).str("i").raw(9).b, "unknown kind 9"},
		{"ints attribute beyond the bytes", oneNode(upToNodes().uv(1)).uv(1).str("is").raw(2).uv(maxAttrElems).sv(1).b, "truncated"},
		{"floats attribute of 2^40", oneNode(upToNodes().uv(1)).uv(1).str("fs").raw(4).uv(huge).b, "more than the format's limit"},
		{"float attribute cut short", oneNode(upToNodes().uv(1)).uv(1).str("f").raw(3, 0, 0, 0).b, "truncated"},
		{"attributes out of order", oneNode(upToNodes().uv(1)).uv(2).str("s").raw(5).str("a").str("i").raw(1).sv(1).b, "strictly increasing"},
		{"duplicate attributes", oneNode(upToNodes().uv(1)).uv(2).str("i").raw(1).sv(1).str("i").raw(1).sv(2).b, "strictly increasing"},
		{"metadata keys out of order", (&bodyBuilder{}).str("m").uv(2).str("b").str("").str("a").str("").b, "strictly increasing"},
		{"duplicate initializers", oneNode(upToNodes().uv(1)).uv(0).uv(2).str("w").raw(6).uv(0).raw(1).str("w").raw(6).uv(0).raw(1).b, "strictly increasing"},
		{"initializer dtype 0", initWith(0).uv(0).b, "unknown dtype 0"},
		{"initializer dtype 200", initWith(200).uv(0).b, "unknown dtype 200"},
		{"1e12-element tensor", initWith(byte(tensor.Float32)).uv(2).uv(1e6).uv(1e6).raw(1, 2, 3, 4).b, "truncated"},
		{"tensor of 2^60 elements", initWith(byte(tensor.Float32)).uv(3).uv(1 << 20).uv(1 << 20).uv(1 << 20).b, "invalid shape"},
		{"tensor dim 2^63 (negative as int64)", initWith(byte(tensor.Float32)).uv(1).uv(1 << 63).b, "larger than any tensor"},
		{"tensor dim 2^64-1 (-1 as int64)", initWith(byte(tensor.Float32)).uv(1).uv(math.MaxUint64).b, "larger than any tensor"},
		{"tensor rank 65", initWith(byte(tensor.Float32)).uv(65).b, "more than the format's limit of 64"},
		{"tensor data cut short", initWith(byte(tensor.Int32)).uv(1).uv(3).raw(1, 0, 0, 0).b, "truncated"},
		{"bool byte 2", initWith(byte(tensor.Bool)).uv(1).uv(2).raw(1, 2).b, "bool element 1 is 2"},
		{"unparsed bytes after the last initializer", oneNode(upToNodes().uv(1)).uv(0).uv(0).raw(0).b, "1 unparsed bytes"},
		{"empty body", nil, "truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := frameBody(tc.body, FormatVersion)
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			start := time.Now()
			_, err := UnmarshalArtifact(data)
			elapsed := time.Since(start)
			goruntime.ReadMemStats(&after)

			requireCorrupt(t, err, tc.want)
			require.Less(t, elapsed, time.Second, "a hostile file must fail fast")
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "a hostile file must fail before allocating")
		})
	}
}

// requireCorrupt checks that err is an *Error of kind ErrCorrupt whose
// message holds want and a byte offset.
func requireCorrupt(t *testing.T, err error, want string) {
	t.Helper()
	require.ErrorIs(t, err, ErrCorrupt)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ErrCorrupt, e.Kind)
	require.ErrorContains(t, err, want)
	require.ErrorContains(t, err, "at byte offset")
}

func TestUnmarshalTotalItemBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 17 MB body")
	}
	// 257 nodes of 65536 empty input names each: every count is under its own
	// limit and every item is present, but together they pass 1<<24 items.
	w := upToNodes().uv(257)
	for i := range 257 {
		w.str(string(rune('a' + i%26))).str(formatTestOp).uv(maxNodeValues)
		w.raw(make([]byte, maxNodeValues)...)
		w.uv(0).uv(0)
	}
	_, err := UnmarshalArtifact(frameBody(w.uv(0).b, FormatVersion))
	requireCorrupt(t, err, "list items in total")
}

func TestUnmarshalFraming(t *testing.T) {
	data, err := formatTestArtifact().MarshalBinary()
	require.NoError(t, err)
	body := data[headerSize : len(data)-checksumSize]
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), data...)) }

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"bad magic", mutate(func(b []byte) []byte { b[1] = 'X'; return b }), "bad magic"},
		{"text file", []byte("hello, this is not a model at all"), "bad magic"},
		{"short text file", []byte("hi"), "bad magic"},
		{"CRLF converted", []byte(strings.Replace(string(data), "\r\n", "\n", 1)), "bad magic"},
		{"empty", nil, "truncated"},
		{"future version", frameBody(body, TemplateFormatVersion+1), "unsupported format version 3 (this build reads versions [1 2])"},
		{"version 0", frameBody(body, 0), "unsupported format version 0"},
		{"flipped body byte", mutate(func(b []byte) []byte { b[headerSize+len(body)/2] ^= 0x04; return b }), "checksum mismatch: file is damaged"},
		{"flipped checksum byte", mutate(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }), "checksum mismatch"},
		{"body length lies short", mutate(func(b []byte) []byte { b[12]--; return b }), "1 trailing bytes"},
		{"body length claims 2^62", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[12:], 1<<62)
			return b
		}), "more than MaxArtifactBytes"},
		{"body length claims almost 4 GiB", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[12:], MaxArtifactBytes-100)
			return b
		}), "truncated"},
		{"trailing garbage", append(append([]byte(nil), data...), "garbage"...), "7 trailing bytes after the checksum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UnmarshalArtifact(tc.data)
			requireCorrupt(t, err, tc.want)
			_, err = ReadArtifact(strings.NewReader(string(tc.data)))
			require.ErrorIs(t, err, ErrCorrupt, "ReadArtifact too")
		})
	}
}

func TestUnmarshalEveryTruncation(t *testing.T) {
	data, err := formatTestArtifact().MarshalBinary()
	require.NoError(t, err)
	for n := range len(data) {
		_, err := UnmarshalArtifact(data[:n])
		require.ErrorIs(t, err, ErrCorrupt, "prefix of %d bytes", n)
		require.ErrorContains(t, err, "truncated", "prefix of %d bytes", n)
	}
	// Truncating the body but fixing up the header and checksum must still be
	// caught, inside the body decoder.
	body := data[headerSize : len(data)-checksumSize]
	for n := range len(body) {
		_, err := UnmarshalArtifact(frameBody(body[:n], FormatVersion))
		require.ErrorIs(t, err, ErrCorrupt, "body prefix of %d bytes", n)
	}
}

func TestUnmarshalRunsValidate(t *testing.T) {
	a := formatTestArtifact()
	a.Nodes[1].Op = "no_such_op"
	data := frameBody(encodeBodyUnchecked(t, a), FormatVersion)

	_, err := UnmarshalArtifact(data)
	require.ErrorIs(t, err, ErrInvalidArtifact)
	require.ErrorIs(t, err, ops.ErrUnknownOp)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "pass_i64", e.Node)
	require.Equal(t, "no_such_op", e.Op)
	require.Equal(t, "format-test", e.Model)

	_, err = ReadArtifact(strings.NewReader(string(data)))
	require.ErrorIs(t, err, ErrInvalidArtifact)

	_, err = a.MarshalBinary()
	require.ErrorIs(t, err, ErrInvalidArtifact, "writers refuse what loaders would refuse")
	_, err = a.WriteTo(&limitedWriter{limit: 1 << 30})
	require.ErrorIs(t, err, ErrInvalidArtifact)
}

func TestCorruptErrorsNameTheModel(t *testing.T) {
	data, err := formatTestArtifact().MarshalBinary()
	require.NoError(t, err)
	body := data[headerSize : len(data)-checksumSize]
	_, err = UnmarshalArtifact(frameBody(body[:len(body)-1], FormatVersion))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "format-test", e.Model)
	require.ErrorContains(t, err, `initializer "w_u8"`)
}

func TestMarshalRefusesWhatCannotBeRead(t *testing.T) {
	cases := []struct {
		name   string
		change func(a *Artifact)
		want   string
	}{
		{"name over 64 KiB", func(a *Artifact) { a.Metadata[strings.Repeat("k", maxNameBytes+1)] = "" }, "more than the format's limit"},
		{"string attribute over 1 MiB", func(a *Artifact) { a.Nodes[0].Attrs["s"] = strings.Repeat("s", maxTextBytes+1) }, "more than the format's limit"},
		{"negative declared dim", func(a *Artifact) { a.Outputs[0].Dims = []Dim{Static(-1), Symbolic("batch")} }, "outside"},
		{"non-canonical attribute", func(a *Artifact) { a.Nodes[0].Attrs["fs"] = []float32{1} }, "float32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := formatTestArtifact()
			tc.change(a)
			_, err := a.MarshalBinary() // Validate may object first; either way nothing is written
			require.ErrorIs(t, err, ErrInvalidArtifact)
			err = (&encoder{discard: true}).artifact(a)
			require.ErrorIs(t, err, ErrInvalidArtifact)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestErrorKindsAreExclusive(t *testing.T) {
	// Loading errors are always *Error, so callers can rely on errors.As.
	_, err := UnmarshalArtifact([]byte("nope"))
	var e *Error
	require.True(t, errors.As(err, &e))
	require.False(t, errors.Is(err, ErrInvalidArtifact))
}
