package onnxpb

import (
	"fmt"
	"io"
	"os"
)

// MaxFileBytes is the largest model file ReadFile accepts: a serialized
// protobuf message cannot exceed 2 GiB, so a larger .onnx file is not one
// (models above it keep their weights in external data files).
const MaxFileBytes = 2<<30 - 1

// ReadFile reads a model file of at most MaxFileBytes. It refuses anything but
// a regular file (a FIFO, /dev/zero or a symlink to either) before opening
// it, opens without blocking, and never reads past the limit, whatever the
// file claims or becomes meanwhile. Refusals wrap ErrLimit or ErrMalformed;
// file-system errors are passed through.
func ReadFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, malformed("%s is not a regular file (%v)", path, info.Mode().Type())
	}
	if info.Size() > MaxFileBytes {
		return nil, limit("%s has %d bytes, more than a protobuf message can hold (%d)", path, info.Size(), MaxFileBytes)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() { // swapped between the Stat and the open
		return nil, malformed("%s is not a regular file (%v)", path, info.Mode().Type())
	}
	buf := make([]byte, 0, info.Size()+1)
	buf, err = readAllLimited(f, buf, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return buf, nil
}

// readAllLimited reads r to its end into buf, failing with ErrLimit past max bytes.
func readAllLimited(r io.Reader, buf []byte, max int64) ([]byte, error) {
	lr := io.LimitReader(r, max+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, limit("more than %d bytes", max)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
