package onnxpb

import (
	"os"
	"path/filepath"
)

// DirLoader returns an ExternalLoader reading external tensor data from files
// under dir (the directory of the model file).
//
// A model file is untrusted, so its locations are too: absolute paths, paths
// that leave dir after cleaning ("../x", "a/../../x") and paths whose
// symlinks resolve outside dir are refused, as is anything but a regular
// file. The file is opened through an os.Root on dir, so a symlink swapped
// in after the check cannot escape either. offset and length must lie within
// the file, and only those bytes are read: the allocation is bounded by the
// file's size, not by what the model claims. Refusals wrap ErrMalformed.
func DirLoader(dir string) ExternalLoader {
	return func(location string, offset, length int64) ([]byte, error) {
		if filepath.IsAbs(location) || filepath.VolumeName(location) != "" || (len(location) > 0 && location[0] == '/') {
			return nil, malformed("external data location %q is an absolute path", location)
		}
		rel := filepath.Clean(filepath.FromSlash(location))
		if !filepath.IsLocal(rel) {
			return nil, malformed("external data location %q leaves the model directory", location)
		}
		root, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return nil, err
		}
		if root, err = filepath.Abs(root); err != nil {
			return nil, err
		}
		resolved, err := filepath.EvalSymlinks(filepath.Join(root, rel))
		if err != nil {
			return nil, err
		}
		if r, err := filepath.Rel(root, resolved); err != nil || !filepath.IsLocal(r) {
			return nil, malformed("external data location %q resolves outside the model directory", location)
		}
		if offset < 0 || length < 0 {
			return nil, malformed("external data %q: negative offset %d or length %d", location, offset, length)
		}

		r, err := os.OpenRoot(root)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		// Stat before opening: opening a FIFO blocks until a writer comes,
		// and a device may have side effects. The open itself does not block
		// either (O_NONBLOCK where the system has it), in case a FIFO is
		// swapped in between the two; the Stat of the open file decides.
		if info, err := r.Stat(rel); err != nil {
			return nil, err
		} else if !info.Mode().IsRegular() {
			return nil, malformed("external data location %q is not a regular file (%v)", location, info.Mode().Type())
		}
		f, err := r.OpenFile(rel, os.O_RDONLY|openNoBlock, 0)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if !info.Mode().IsRegular() {
			return nil, malformed("external data location %q is not a regular file", location)
		}
		if size := info.Size(); offset > size || length > size-offset {
			return nil, malformed("external data %q: %d bytes at offset %d exceed the file's %d bytes",
				location, length, offset, size)
		}
		buf := make([]byte, length)
		if n, err := f.ReadAt(buf, offset); n != len(buf) {
			return nil, err // ReadAt explains a short read
		}
		return buf, nil
	}
}
