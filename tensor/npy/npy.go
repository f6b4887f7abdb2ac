// Package npy reads and writes tensors in NumPy's .npy format (versions 1.0,
// 2.0 and 3.0, C order), the usual way to hand arrays between Python and Go.
//
// Files are untrusted: the header is parsed strictly, the shape is validated
// before anything is allocated, and element data is read incrementally so a
// small file claiming a huge shape fails with an error instead of an
// allocation of the claimed size.
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/backplane-ml/backplane/tensor"
)

// ErrFormat is wrapped by every error about a malformed or unsupported file.
var ErrFormat = errors.New("npy: malformed or unsupported file")

var magic = []byte("\x93NUMPY")

// maxHeader bounds the header length we accept; NumPy writes well under 1 KiB.
const maxHeader = 1 << 16

var descrs = map[string]tensor.DType{
	"<f4": tensor.Float32, "<f8": tensor.Float64, "<f2": tensor.Float16,
	"|i1": tensor.Int8, "|u1": tensor.Uint8, "<i4": tensor.Int32, "<i8": tensor.Int64, "|b1": tensor.Bool,
	"i1": tensor.Int8, "u1": tensor.Uint8, "b1": tensor.Bool, "<i1": tensor.Int8, "<u1": tensor.Uint8,
}

func descrOf(d tensor.DType) (string, bool) {
	switch d {
	case tensor.Float32:
		return "<f4", true
	case tensor.Float64:
		return "<f8", true
	case tensor.Float16:
		return "<f2", true
	case tensor.Int8:
		return "|i1", true
	case tensor.Uint8:
		return "|u1", true
	case tensor.Int32:
		return "<i4", true
	case tensor.Int64:
		return "<i8", true
	case tensor.Bool:
		return "|b1", true
	}
	return "", false
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Read decodes one .npy array from r.
func Read(r io.Reader) (*tensor.Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, bad("reading magic: %v", err)
	}
	if !bytes.Equal(pre[:6], magic) {
		return nil, bad("not a .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, bad("reading header length: %v", err)
		}
		hlen = int(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, bad("reading header length: %v", err)
		}
		n := binary.LittleEndian.Uint32(l[:])
		if n > maxHeader {
			return nil, bad("header of %d bytes is larger than %d", n, maxHeader)
		}
		hlen = int(n)
	default:
		return nil, bad("format version %d.%d (supported: 1.0, 2.0, 3.0)", pre[6], pre[7])
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, bad("reading header: %v", err)
	}
	d, shape, err := parseHeader(string(header))
	if err != nil {
		return nil, err
	}
	t, err := readData(r, d, shape)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// parseHeader parses NumPy's header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseHeader(h string) (tensor.DType, tensor.Shape, error) {
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return 0, nil, bad("header is not a dict: %.60q", h)
	}
	descr, ok := field(h, "descr")
	if !ok {
		return 0, nil, bad("header has no 'descr'")
	}
	descr = strings.Trim(descr, "'\"")
	d, ok := descrs[descr]
	if !ok {
		return 0, nil, bad("dtype %q is not supported (little-endian float16/32/64, int8/32/64, uint8 and bool are)", descr)
	}
	if fo, _ := field(h, "fortran_order"); fo != "False" {
		return 0, nil, bad("fortran_order %q: only C-order arrays are supported", fo)
	}
	sh, ok := field(h, "shape")
	if !ok || !strings.HasPrefix(sh, "(") || !strings.HasSuffix(sh, ")") {
		return 0, nil, bad("header has no valid 'shape'")
	}
	var shape tensor.Shape
	for _, p := range strings.Split(strings.Trim(sh, "()"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(p, "L"))
		if err != nil {
			return 0, nil, bad("shape %s: %v", sh, err)
		}
		shape = append(shape, n)
	}
	if err := shape.Validate(); err != nil {
		return 0, nil, bad("%v", err)
	}
	return d, shape, nil
}

// field returns the raw text of key's value in the dict literal h.
func field(h, key string) (string, bool) {
	i := strings.Index(h, "'"+key+"'")
	if i < 0 {
		i = strings.Index(h, `"`+key+`"`)
	}
	if i < 0 {
		return "", false
	}
	rest := strings.TrimSpace(h[i+len(key)+2:])
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	rest = strings.TrimSpace(rest[1:])
	end := len(rest)
	if strings.HasPrefix(rest, "(") {
		end = strings.Index(rest, ")") + 1
	} else if j := strings.IndexAny(rest, ",}"); j >= 0 {
		end = j
	}
	if end <= 0 {
		return "", false
	}
	return strings.TrimSpace(rest[:end]), true
}

// readData reads the element data, growing the buffer only as bytes arrive.
func readData(r io.Reader, d tensor.DType, shape tensor.Shape) (*tensor.Tensor, error) {
	n := shape.NumElements()
	if n > math.MaxInt/8 {
		return nil, bad("shape %v too large", shape)
	}
	want := int64(n) * int64(d.Size())
	raw, err := io.ReadAll(io.LimitReader(r, want))
	if err != nil {
		return nil, bad("reading data: %v", err)
	}
	if int64(len(raw)) != want {
		return nil, bad("data is truncated: %d of %d bytes for %v %v", len(raw), want, d, shape)
	}
	t, err := tensor.New(d, shape...)
	if err != nil {
		return nil, bad("%v", err)
	}
	dst := t.Bytes()
	if nativeLittleEndian || d.Size() == 1 {
		copy(dst, raw)
	} else {
		swapCopy(dst, raw, d.Size())
	}
	if d == tensor.Bool {
		for i, b := range raw {
			if b > 1 {
				return nil, bad("bool element %d has byte value %d", i, b)
			}
		}
	}
	return t, nil
}

// Write encodes t as a version 1.0 .npy array. BFloat16 has no NumPy dtype
// and is an error.
func Write(w io.Writer, t *tensor.Tensor) error {
	descr, ok := descrOf(t.DType())
	if !ok {
		return fmt.Errorf("npy: dtype %v has no .npy equivalent", t.DType())
	}
	var sh strings.Builder
	sh.WriteByte('(')
	for i, d := range t.Shape() {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(d))
	}
	if t.Rank() == 1 {
		sh.WriteByte(',')
	}
	sh.WriteByte(')')
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh.String())
	// Pad with spaces so data starts on a 64-byte boundary, ending in a newline.
	total := len(magic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("npy: header too long for rank %d", t.Rank())
	}
	var buf bytes.Buffer
	buf.Write(magic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	data := t.Bytes()
	if !nativeLittleEndian && t.DType().Size() > 1 {
		out := make([]byte, len(data))
		swapCopy(out, data, t.DType().Size())
		data = out
	}
	_, err := w.Write(data)
	return err
}

// ReadFile reads a .npy file.
func ReadFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// WriteFile writes t to a .npy file.
func WriteFile(path string, t *tensor.Tensor) error {
	var buf bytes.Buffer
	if err := Write(&buf, t); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func swapCopy(dst, src []byte, size int) {
	for i := 0; i+size <= len(src); i += size {
		for j := 0; j < size; j++ {
			dst[i+j] = src[i+size-1-j]
		}
	}
}
