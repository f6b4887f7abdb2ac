//go:build unix

package onnxpb

import "syscall"

// openNoBlock keeps an open of a FIFO or device from blocking.
const openNoBlock = syscall.O_NONBLOCK
