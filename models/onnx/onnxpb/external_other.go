//go:build !unix

package onnxpb

// openNoBlock is 0 where the system has no O_NONBLOCK: there a FIFO cannot
// appear in a model's directory in the first place.
const openNoBlock = 0
