package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// fingerprintDomain starts every fingerprinted byte stream, so a fingerprint
// can never equal the hash of some other kind of data, and names the body
// encoding it hashes.
var fingerprintDomain = fmt.Sprintf("backplane artifact fingerprint, format v%d\n", FormatVersion)

// Fingerprint returns a content hash of everything that affects what the
// artifact computes: its inputs and outputs (names, dtypes, dims), its nodes
// (names, ops, wiring, attributes) and its initializers (names, dtypes,
// shapes, every element). It is the hex SHA-256 of the canonical body
// encoding of those parts (see format.go), so it is deterministic and changes
// when any weight or attribute does.
//
// Name and Metadata are deliberately left out: renaming a model or editing its
// description keeps its fingerprint, and with it any compiled form cached
// under that key. The fingerprint follows the file format's encoding, so a new
// FormatVersion may change fingerprints (a one-time cache miss).
//
// Fingerprint does not run Validate; it fails only for an artifact the format
// cannot hold (ErrInvalidArtifact), like MarshalBinary. It streams weights
// into the hash without copying them.
func (a *Artifact) Fingerprint() (string, error) {
	h := sha256.New()
	h.Write([]byte(fingerprintDomain))
	e := &encoder{w: h, buf: make([]byte, 0, flushSize)}
	if err := e.graph(a); err != nil {
		return "", err
	}
	e.flush()
	if e.err != nil { // a hash.Hash never fails to write; kept for completeness
		return "", a.encodeError(e.err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
