package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Artifact file format, version 1.
//
// A file is a header, a body and a checksum. All fixed-width integers are
// little-endian.
//
//	offset  size  field
//	0       8     magic "\x89BPA\r\n\x1a\n"
//	8       4     format version (uint32), currently 1
//	12      8     body length B in bytes (uint64)
//	20      B     body
//	20+B    4     CRC-32C (Castagnoli) of bytes [0, 20+B): header and body
//
// The magic's first byte has its high bit set and it holds "\r\n", "\x1a" and
// "\n", so a transfer that strips the eighth bit or rewrites line endings is
// caught before anything else (the PNG trick). The version comes right after
// the magic and is checked before the checksum, so a future version may change
// everything that follows it. The checksum detects damage (a flipped bit, a
// torn copy); it is not a signature: anyone can write a well-checksummed
// hostile file, so the body decoder trusts nothing in it. CRC-32C rather than a
// cryptographic hash because it runs at memory speed in hardware on amd64 and
// arm64; Fingerprint, which must resist collisions, uses SHA-256.
//
// Body grammar. uvarint and varint are encoding/binary's unsigned and zig-zag
// signed varints, and must be minimal (no redundant trailing 0x80 groups);
// string is a uvarint byte length followed by the bytes; flag is one byte, 0
// or 1; dtype is one byte, the tensor.DType value (1 float32 ... 9 bool, 0 =
// unspecified, allowed only in input and output declarations); f64 is the 8
// IEEE-754 bytes of a float64 (NaN payloads kept).
//
//	body        = string name
//	              uvarint nMeta    nMeta × (string key, string value)    keys strictly increasing
//	              uvarint nIn      nIn × valueinfo                       graph inputs, in order
//	              uvarint nOut     nOut × valueinfo                      graph outputs, in order
//	              uvarint nNodes   nNodes × node                         in artifact order
//	              uvarint nInit    nInit × initializer                   names strictly increasing
//	              [specializer]                                          version 2 only
//	valueinfo   = string name, dtype, flag hasDims, [uvarint rank, rank × dim]
//	              (hasDims 0 is a nil Dims: an output whose shape is not declared)
//	dim         = 0x00 uvarint size | 0x01 string symbolicName (non-empty)
//	node        = string name, string op,
//	              uvarint nIn  nIn × string     ("" is an omitted optional input)
//	              uvarint nOut nOut × string
//	              uvarint nAttr nAttr × attr    attribute names strictly increasing
//	attr        = string name, byte kind (ops.AttrKind), value
//	              kind 1 int: varint; 2 ints: uvarint n, n × varint; 3 float: f64;
//	              4 floats: uvarint n, n × f64; 5 string: string
//	initializer = string name, dtype, uvarint rank, rank × uvarint dim,
//	              element data: product(dims) × dtype size bytes, each element
//	              little-endian (float16 and bfloat16 as their uint16 bits, bool
//	              as one byte 0 or 1)
//	specializer = string kind (non-empty), string data   (Specializer.Kind and
//	              MarshalBinary; RegisterSpecializer's decoder for kind reads data)
//
// The body must end exactly after the last initializer. Maps (metadata,
// attributes, initializers) are written sorted, and the decoder insists on
// the order, so an artifact has exactly one encoding: encoding is
// deterministic, and decode followed by encode gives back the same bytes.
//
// Limits. Every count and length is checked against the bytes left in the
// body before anything is allocated, and against these caps, which the
// encoder enforces too (so every file written can be read back):
//
//	file size                          MaxArtifactBytes (4 GiB)
//	names, op names, metadata keys,
//	attribute names, symbolic dims     64 KiB each
//	metadata values, string attributes 1 MiB each
//	metadata entries                   65536
//	graph inputs, graph outputs        65536 each
//	nodes                              1<<20
//	inputs or outputs of one node      65536
//	attributes of one node             1024
//	elements of one ints/floats attr   1<<20
//	initializers                       1<<20
//	rank (tensors and declarations)    64
//	any one dimension                  tensor.MaxElements (2^40)
//	list items in total                1<<24 (entries, values, dims, attribute elements)
//
// The total item cap bounds the memory a hostile file of many one-byte items
// can claim (each becomes at least a string header in memory).

// FormatVersion is the version of the artifact file format that MarshalBinary
// writes for an artifact that is not a template (described in format.go).
// Files of versions this build does not read are ErrCorrupt with a message
// saying so.
const FormatVersion = 1

// TemplateFormatVersion is the version written for a template (an artifact
// with a Specializer): version 1's body followed by the specializer section.
// Version 1 files still load; an artifact that is not a template is still
// written as version 1, byte for byte as before.
const TemplateFormatVersion = 2

// MaxArtifactBytes is the largest artifact file, in bytes, that is written or
// read. ReadArtifact never reads more than this (plus one byte to notice a
// longer stream) and loading a file declaring a larger size fails at once.
const MaxArtifactBytes = 4 << 30

var supportedFormatVersions = []uint32{FormatVersion, TemplateFormatVersion}

const (
	formatMagic  = "\x89BPA\r\n\x1a\n"
	headerSize   = 20 // magic, version, body length
	checksumSize = 4  // CRC-32C
)

// Limits on what one file may hold; see the format description above.
const (
	maxNameBytes    = 1 << 16
	maxTextBytes    = 1 << 20
	maxMetadata     = 1 << 16
	maxGraphValues  = 1 << 16
	maxNodes        = 1 << 20
	maxNodeValues   = 1 << 16
	maxAttrs        = 1 << 10
	maxAttrElems    = 1 << 20
	maxInitializers = 1 << 20
	maxRank         = 64
	maxItems        = 1 << 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the artifact in the file format described in
// format.go. The encoding is deterministic: the same artifact always gives
// the same bytes. The artifact must Validate (the error is Validate's), so
// that every encoding can be loaded back; values the format cannot hold (a
// non-canonical attribute type, a count over a limit) are ErrInvalidArtifact.
func (a *Artifact) MarshalBinary() ([]byte, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	bodyLen, err := a.bodySize()
	if err != nil {
		return nil, err
	}
	total := headerSize + bodyLen + checksumSize
	e := &encoder{buf: make([]byte, 0, total)}
	e.buf = appendHeader(e.buf, bodyLen, a.formatVersion())
	if err := e.artifact(a); err != nil {
		return nil, err
	}
	if len(e.buf) != headerSize+bodyLen {
		return nil, a.encodeError(fmt.Errorf("internal error: sized the body at %d bytes, wrote %d", bodyLen, len(e.buf)-headerSize))
	}
	return binary.LittleEndian.AppendUint32(e.buf, crc32.Checksum(e.buf, castagnoli)), nil
}

// WriteTo writes the artifact's encoding (see MarshalBinary) to w. It streams:
// weights go to w without being copied into one big buffer first. It returns
// the number of bytes written; write errors are *Error of kind ErrIO
// wrapping w's error, since what reached w is not a complete artifact.
func (a *Artifact) WriteTo(w io.Writer) (int64, error) {
	if err := a.Validate(); err != nil {
		return 0, err
	}
	bodyLen, err := a.bodySize()
	if err != nil {
		return 0, err
	}
	cw := &checksumWriter{w: w, h: crc32.New(castagnoli)}
	if _, err := cw.Write(appendHeader(nil, bodyLen, a.formatVersion())); err != nil {
		return cw.n, a.writeError(err)
	}
	e := &encoder{w: cw, buf: make([]byte, 0, flushSize)}
	if err := e.artifact(a); err != nil {
		return cw.n, err
	}
	if e.flush(); e.err != nil {
		return cw.n, a.writeError(e.err)
	}
	if cw.n != int64(headerSize+bodyLen) {
		return cw.n, a.encodeError(fmt.Errorf("internal error: sized the body at %d bytes, wrote %d", bodyLen, cw.n-headerSize))
	}
	sum := binary.LittleEndian.AppendUint32(nil, cw.h.Sum32())
	m, err := w.Write(sum)
	if err == nil && m < len(sum) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return cw.n + int64(m), a.writeError(err)
	}
	return cw.n + int64(m), nil
}

// bodySize runs the encoder in counting mode: it checks that the artifact can
// be encoded and returns the body length, which the header states up front.
func (a *Artifact) bodySize() (int, error) {
	e := &encoder{discard: true, buf: make([]byte, 0, flushSize)}
	if err := e.artifact(a); err != nil {
		return 0, err
	}
	n := e.size()
	if n > MaxArtifactBytes-headerSize-checksumSize {
		return 0, a.encodeError(fmt.Errorf("encoding needs %d bytes, more than MaxArtifactBytes (%d)",
			n+headerSize+checksumSize, MaxArtifactBytes))
	}
	return int(n), nil
}

// formatVersion is the file format version a's encoding needs.
func (a *Artifact) formatVersion() uint32 {
	if a.IsTemplate() {
		return TemplateFormatVersion
	}
	return FormatVersion
}

func appendHeader(b []byte, bodyLen int, version uint32) []byte {
	b = append(b, formatMagic...)
	b = binary.LittleEndian.AppendUint32(b, version)
	return binary.LittleEndian.AppendUint64(b, uint64(bodyLen))
}

// checksumWriter passes writes to w, hashing and counting what w accepted.
type checksumWriter struct {
	w io.Writer
	h hash.Hash32
	n int64
}

func (c *checksumWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

func (a *Artifact) writeError(err error) error {
	return &Error{Kind: ErrIO, Model: a.Name, Err: fmt.Errorf("writing artifact: %w", err)}
}

// UnmarshalArtifact decodes an artifact file (see format.go) and validates
// the result. Nothing in data is trusted: every problem with the encoding is
// an *Error of kind ErrCorrupt saying what is wrong and at which byte offset
// (Model set once the name has been read), and the decoded artifact must then
// pass Validate, whose ErrInvalidArtifact error (an unknown op, a shape that
// does not fit) is returned as it is. Validation is not optional because
// artifact files are untrusted input in the normal case. The artifact shares
// no memory with data.
func UnmarshalArtifact(data []byte) (*Artifact, error) {
	a, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// ReadArtifact reads an artifact file from r until EOF and decodes it like
// UnmarshalArtifact. The artifact must be all of the stream: bytes after its
// checksum are ErrCorrupt. It reads at most MaxArtifactBytes+1 bytes, and it
// allocates as data actually arrives, so a header claiming a huge body costs
// nothing until the bytes exist. Read errors other than EOF are ErrIO
// wrapping the reader's error.
func ReadArtifact(r io.Reader) (*Artifact, error) {
	data, err := readArtifactBytes(r, 0)
	if err != nil {
		return nil, err
	}
	return UnmarshalArtifact(data)
}

// readArtifactBytes reads one artifact file from r. sizeHint, when positive,
// is the expected file size (from stat) used to allocate once.
func readArtifactBytes(r io.Reader, sizeHint int64) ([]byte, error) {
	lr := io.LimitReader(r, MaxArtifactBytes+1)
	hdr := make([]byte, headerSize)
	n, err := io.ReadFull(lr, hdr)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return hdr[:n], nil // decodeFile says whether that is truncation or bad magic
	}
	if err != nil {
		return nil, readError(err)
	}
	bodyLen, err := checkHeader(hdr)
	if err != nil {
		return nil, err
	}
	total := headerSize + bodyLen + checksumSize
	first := int64(1 << 20)
	if sizeHint > first {
		first = sizeHint
	}
	buf := make([]byte, headerSize, min(int64(total), first))
	copy(buf, hdr)
	for len(buf) < total {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(total, 2*cap(buf))-len(buf))
		}
		m, err := lr.Read(buf[len(buf):min(cap(buf), total)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			return buf, nil // short: decodeFile reports the truncation
		}
		if err != nil {
			return nil, readError(err)
		}
	}
	var probe [1]byte
	if m, _ := io.ReadFull(lr, probe[:]); m > 0 {
		return nil, &Error{Kind: ErrCorrupt, Err: fmt.Errorf(
			"at byte offset %d: trailing bytes after the checksum (the header says the file is %d bytes)", total, total)}
	}
	return buf, nil
}

func readError(err error) error {
	return &Error{Kind: ErrIO, Err: fmt.Errorf("reading artifact: %w", err)}
}

// Save writes the artifact to path (see MarshalBinary for what is checked
// first). It writes a temporary file in the same directory, syncs it and
// renames it over path, so a crash leaves either the old file or the complete
// new one, never half a file. The file gets mode 0644. File-system errors are
// *Error of kind ErrIO wrapping the os error.
func (a *Artifact) Save(path string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return a.writeError(err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := a.WriteTo(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return a.writeError(err)
	}
	if err := f.Sync(); err != nil {
		return a.writeError(err)
	}
	if err := f.Close(); err != nil {
		return a.writeError(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return a.writeError(err)
	}
	// Make the rename itself durable where the OS allows syncing a directory;
	// the file is complete either way, so a failure here is not an error.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadArtifact reads and validates the artifact file at path (see
// UnmarshalArtifact): files are untrusted, so loading always validates.
// Encoding problems are ErrCorrupt with the path in the message; a file that
// cannot be opened or read is ErrIO wrapping the os error, so
// errors.Is(err, fs.ErrNotExist) still works.
func LoadArtifact(path string) (*Artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Kind: ErrIO, Err: err}
	}
	defer f.Close()
	var hint int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > MaxArtifactBytes {
			return nil, &Error{Kind: ErrCorrupt, Err: fmt.Errorf("%s: file is %d bytes, more than MaxArtifactBytes (%d)",
				path, fi.Size(), MaxArtifactBytes)}
		}
		hint = fi.Size()
	}
	data, err := readArtifactBytes(f, hint)
	if err != nil {
		return nil, withPath(path, err)
	}
	a, err := decodeFile(data)
	if err != nil {
		return nil, withPath(path, err)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// withPath puts the file's path in front of the message of an ErrCorrupt error.
func withPath(path string, err error) error {
	var e *Error
	if errors.As(err, &e) && (e.Kind == ErrCorrupt || e.Kind == ErrIO) && e.Err != nil {
		e.Err = fmt.Errorf("%s: %w", path, e.Err)
	}
	return err
}

// checkHeader checks a complete header's magic, version and body length and
// returns the body length.
func checkHeader(hdr []byte) (int, error) {
	if string(hdr[:len(formatMagic)]) != formatMagic {
		return 0, corruptAt(0, "", "bad magic %q: not a backplane artifact file", hdr[:len(formatMagic)])
	}
	v := binary.LittleEndian.Uint32(hdr[8:])
	if !slices.Contains(supportedFormatVersions, v) {
		return 0, corruptAt(8, "", "unsupported format version %d (this build reads versions %v)", v, supportedFormatVersions)
	}
	bodyLen := binary.LittleEndian.Uint64(hdr[12:])
	if bodyLen > MaxArtifactBytes-headerSize-checksumSize {
		return 0, corruptAt(12, "", "header claims a %d-byte body, more than MaxArtifactBytes (%d) allows",
			bodyLen, MaxArtifactBytes)
	}
	return int(bodyLen), nil
}

// decodeFile checks the framing and checksum of a file, then decodes the body.
// It does not validate the graph.
func decodeFile(data []byte) (*Artifact, error) {
	if len(data) < headerSize {
		m := min(len(data), len(formatMagic))
		if string(data[:m]) != formatMagic[:m] {
			return nil, corruptAt(0, "", "bad magic %q: not a backplane artifact file", data[:m])
		}
		return nil, corruptAt(len(data), "", "truncated: file is %d bytes, shorter than the %d-byte header",
			len(data), headerSize)
	}
	bodyLen, err := checkHeader(data)
	if err != nil {
		return nil, err
	}
	total := headerSize + bodyLen + checksumSize
	switch {
	case len(data) < total:
		return nil, corruptAt(len(data), "", "truncated: file is %d bytes, the header says %d", len(data), total)
	case len(data) > total:
		return nil, corruptAt(total, "", "%d trailing bytes after the checksum (the header says the file is %d bytes)",
			len(data)-total, total)
	}
	end := headerSize + bodyLen
	stored := binary.LittleEndian.Uint32(data[end:])
	if got := crc32.Checksum(data[:end], castagnoli); got != stored {
		return nil, corruptAt(end, "", "checksum mismatch: file is damaged (stored CRC-32C %08x, computed %08x)",
			stored, got)
	}
	return decodeBody(data, headerSize, end, binary.LittleEndian.Uint32(data[8:]))
}

// corruptAt returns an ErrCorrupt error about the byte at offset off.
func corruptAt(off int, model, format string, args ...any) error {
	return &Error{Kind: ErrCorrupt, Model: model, Err: fmt.Errorf("at byte offset %d: %s", off, fmt.Sprintf(format, args...))}
}
