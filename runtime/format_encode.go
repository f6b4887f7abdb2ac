package runtime

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Encoding of the artifact body (grammar in format.go).

const (
	flushSize   = 64 << 10 // buffered bytes before a flush to the writer; a multiple of every element size
	directWrite = 16 << 10 // tensor data at least this long goes to the writer unbuffered (little-endian hosts)
)

// littleEndianHost is whether tensor memory already has the file's byte
// order. A variable so tests can drive the byte-swapping path.
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// encoder appends the body encoding to buf. It works in three modes: in
// memory (w nil: buf is the result, preallocated by the caller), streaming
// (buf is flushed to w past flushSize and large tensor data is written to w
// directly), and counting (discard: bytes are only counted, the sizing pass).
// Write errors are sticky in err; errors about the artifact are returned.
type encoder struct {
	buf     []byte
	w       io.Writer
	discard bool
	flushed int64 // bytes already passed to w or discarded
	items   int   // list items so far, against maxItems
	err     error
}

// size is the number of bytes encoded so far.
func (e *encoder) size() int64 { return e.flushed + int64(len(e.buf)) }

func (e *encoder) flush() {
	switch {
	case e.discard:
	case e.w == nil:
		return // in memory: buf is the result
	case e.err == nil && len(e.buf) > 0:
		_, e.err = e.w.Write(e.buf)
	}
	e.flushed += int64(len(e.buf))
	e.buf = e.buf[:0]
}

func (e *encoder) maybeFlush() {
	if len(e.buf) >= flushSize {
		e.flush()
	}
}

func (e *encoder) byte1(b byte) { e.buf = append(e.buf, b); e.maybeFlush() }

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v); e.maybeFlush() }

func (e *encoder) varint(v int64) { e.buf = binary.AppendVarint(e.buf, v); e.maybeFlush() }

func (e *encoder) f64(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
	e.maybeFlush()
}

// str writes s, which must be at most limit bytes; what names it for the error.
func (e *encoder) str(s string, limit int, what string) error {
	if len(s) > limit {
		return fmt.Errorf("%s is %d bytes long, more than the format's limit of %d", what, len(s), limit)
	}
	e.uvarint(uint64(len(s)))
	if e.discard && len(s) >= directWrite {
		e.flushed += int64(len(s))
		return nil
	}
	e.buf = append(e.buf, s...)
	e.maybeFlush()
	return nil
}

// count writes a list length after checking it against limit and the total
// item budget, exactly as the decoder will.
func (e *encoder) count(n, limit int, what string) error {
	if n > limit {
		return fmt.Errorf("%d %s, more than the format's limit of %d", n, what, limit)
	}
	if e.items += n; e.items > maxItems {
		return fmt.Errorf("more than %d list items in total (names, dims, attribute elements), the format's limit", maxItems)
	}
	e.uvarint(uint64(n))
	return nil
}

// raw writes tensor element data held in host byte order as little-endian,
// elements of elemSize bytes.
func (e *encoder) raw(p []byte, elemSize int) {
	if e.discard {
		e.flush()
		e.flushed += int64(len(p))
		return
	}
	if e.w != nil && littleEndianHost && len(p) >= directWrite {
		e.flush()
		if e.err == nil {
			_, e.err = e.w.Write(p)
		}
		e.flushed += int64(len(p))
		return
	}
	for len(p) > 0 {
		n := min(len(p), flushSize)
		e.buf = appendLittleEndian(e.buf, p[:n], elemSize)
		p = p[n:]
		e.maybeFlush()
	}
}

// appendLittleEndian appends elements of size bytes from host order to dst in
// little-endian order.
func appendLittleEndian(dst, src []byte, size int) []byte {
	n := len(dst)
	dst = append(dst, src...)
	if !littleEndianHost {
		swapElements(dst[n:], size)
	}
	return dst
}

// swapElements reverses the bytes of every size-byte element of b in place.
func swapElements(b []byte, size int) {
	if size < 2 {
		return
	}
	for i := 0; i+size <= len(b); i += size {
		slices.Reverse(b[i : i+size])
	}
}

// encodeError wraps a problem that keeps the artifact from being encoded.
func (a *Artifact) encodeError(err error) error {
	return &Error{Kind: ErrInvalidArtifact, Model: a.Name, Err: fmt.Errorf("cannot encode: %w", err)}
}

// artifact writes the whole body.
func (e *encoder) artifact(a *Artifact) error {
	if err := e.str(a.Name, maxNameBytes, "artifact name"); err != nil {
		return a.encodeError(err)
	}
	keys := sortedKeys(a.Metadata)
	if err := e.count(len(keys), maxMetadata, "metadata entries"); err != nil {
		return a.encodeError(err)
	}
	for _, k := range keys {
		if err := e.str(k, maxNameBytes, fmt.Sprintf("metadata key %.40q", k)); err != nil {
			return a.encodeError(err)
		}
		if err := e.str(a.Metadata[k], maxTextBytes, fmt.Sprintf("metadata value of %q", k)); err != nil {
			return a.encodeError(err)
		}
	}
	return e.graph(a)
}

// graph writes what affects computation: inputs, outputs, nodes and
// initializers. Fingerprint hashes exactly this.
func (e *encoder) graph(a *Artifact) error {
	for _, list := range []struct {
		what string
		vs   []ValueInfo
	}{{"graph inputs", a.Inputs}, {"graph outputs", a.Outputs}} {
		if err := e.count(len(list.vs), maxGraphValues, list.what); err != nil {
			return a.encodeError(err)
		}
		for _, v := range list.vs {
			if err := e.valueInfo(v); err != nil {
				return &Error{Kind: ErrInvalidArtifact, Model: a.Name, Input: v.Name, Err: fmt.Errorf("cannot encode: %w", err)}
			}
		}
	}
	if err := e.count(len(a.Nodes), maxNodes, "nodes"); err != nil {
		return a.encodeError(err)
	}
	for i := range a.Nodes {
		n := &a.Nodes[i]
		if err := e.node(n); err != nil {
			return &Error{Kind: ErrInvalidArtifact, Model: a.Name, Node: n.Name, Op: n.Op, Err: fmt.Errorf("cannot encode: %w", err)}
		}
	}
	names := sortedKeys(a.Initializers)
	if err := e.count(len(names), maxInitializers, "initializers"); err != nil {
		return a.encodeError(err)
	}
	for _, name := range names {
		if err := e.initializer(name, a.Initializers[name]); err != nil {
			return &Error{Kind: ErrInvalidArtifact, Model: a.Name, Input: name, Err: fmt.Errorf("cannot encode initializer: %w", err)}
		}
	}
	if a.Specializer != nil {
		data, err := a.Specializer.MarshalBinary()
		if err != nil {
			return a.encodeError(fmt.Errorf("specializer %s: %w", a.Specializer.Kind(), err))
		}
		if err := e.str(a.Specializer.Kind(), maxNameBytes, "specializer kind"); err != nil {
			return a.encodeError(err)
		}
		if err := e.str(string(data), MaxArtifactBytes, "specializer data"); err != nil {
			return a.encodeError(err)
		}
	}
	return nil // write errors stay in e.err for the caller, which knows what it was writing to
}

func (e *encoder) valueInfo(v ValueInfo) error {
	if err := e.str(v.Name, maxNameBytes, "value name"); err != nil {
		return err
	}
	if v.DType != tensor.Invalid && !v.DType.Valid() {
		return fmt.Errorf("unknown dtype %v", v.DType)
	}
	e.byte1(byte(v.DType))
	if v.Dims == nil {
		e.byte1(0)
		return nil
	}
	e.byte1(1)
	if err := e.count(len(v.Dims), maxRank, "dimensions"); err != nil {
		return err
	}
	for i, d := range v.Dims {
		if d.IsSymbolic() {
			e.byte1(1)
			if err := e.str(d.Name, maxNameBytes, "symbolic dimension name"); err != nil {
				return err
			}
			continue
		}
		if d.Size < 0 || d.Size > tensor.MaxElements {
			return fmt.Errorf("dimension %d is %d, outside [0, %d]", i, d.Size, tensor.MaxElements)
		}
		e.byte1(0)
		e.uvarint(uint64(d.Size))
	}
	return nil
}

func (e *encoder) node(n *Node) error {
	if err := e.str(n.Name, maxNameBytes, "node name"); err != nil {
		return err
	}
	if err := e.str(n.Op, maxNameBytes, "op name"); err != nil {
		return err
	}
	for _, list := range []struct {
		what  string
		names []string
	}{{"node inputs", n.Inputs}, {"node outputs", n.Outputs}} {
		if err := e.count(len(list.names), maxNodeValues, list.what); err != nil {
			return err
		}
		for _, s := range list.names {
			if err := e.str(s, maxNameBytes, "value name"); err != nil {
				return err
			}
		}
	}
	keys := sortedKeys(n.Attrs)
	if err := e.count(len(keys), maxAttrs, "attributes"); err != nil {
		return err
	}
	for _, k := range keys {
		if err := e.attr(k, n.Attrs[k]); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) attr(name string, v any) error {
	if err := e.str(name, maxNameBytes, "attribute name"); err != nil {
		return err
	}
	kind := ops.KindOf(v)
	if kind == 0 {
		return fmt.Errorf("attribute %q is a %T, not a canonical attribute type (see ops.Canonical)", name, v)
	}
	e.byte1(byte(kind))
	switch v := v.(type) {
	case int:
		e.varint(int64(v))
	case []int:
		if err := e.count(len(v), maxAttrElems, fmt.Sprintf("elements in attribute %q", name)); err != nil {
			return err
		}
		for _, x := range v {
			e.varint(int64(x))
		}
	case float64:
		e.f64(v)
	case []float64:
		if err := e.count(len(v), maxAttrElems, fmt.Sprintf("elements in attribute %q", name)); err != nil {
			return err
		}
		for _, x := range v {
			e.f64(x)
		}
	case string:
		return e.str(v, maxTextBytes, fmt.Sprintf("attribute %q", name))
	}
	return nil
}

func (e *encoder) initializer(name string, t *tensor.Tensor) error {
	if err := e.str(name, maxNameBytes, "initializer name"); err != nil {
		return err
	}
	if t == nil {
		return fmt.Errorf("initializer %q is nil", name)
	}
	e.byte1(byte(t.DType()))
	if err := e.count(t.Rank(), maxRank, "dimensions"); err != nil {
		return err
	}
	for _, d := range t.Shape() {
		e.uvarint(uint64(d))
	}
	e.raw(t.Bytes(), t.DType().Size())
	return nil
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
