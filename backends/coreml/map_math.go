package coreml

import (
	"github.com/backplane-ml/backplane/runtime"
	"google.golang.org/protobuf/encoding/protowire"
)

// The trigonometric and hyperbolic functions: parameter-less NeuralNetwork
// layers (specification version 4). round is not mapped: Core ML's
// RoundLayer does not say how it breaks ties, and the catalog's round
// rounds halves to even; the other ops of ops/elementwise_math.go, the
// indexing ops and resize have no mapping yet and are refused by name.

// Layer field numbers of NeuralNetworkLayer's oneof.
const (
	lSin   protowire.Number = 710
	lCos   protowire.Number = 715
	lTan   protowire.Number = 720
	lAsin  protowire.Number = 730
	lAcos  protowire.Number = 735
	lAtan  protowire.Number = 740
	lSinh  protowire.Number = 750
	lCosh  protowire.Number = 755
	lAsinh protowire.Number = 770
	lAcosh protowire.Number = 775
	lAtanh protowire.Number = 780
)

func init() {
	for op, kind := range map[string]protowire.Number{
		"sin": lSin, "cos": lCos, "tan": lTan, "asin": lAsin, "acos": lAcos, "atan": lAtan,
		"sinh": lSinh, "cosh": lCosh, "asinh": lAsinh, "acosh": lAcosh, "atanh": lAtanh,
	} {
		mappers[op] = func(c *converter, n *runtime.Node) error { return c.simple(n, kind, nil) }
	}
}
