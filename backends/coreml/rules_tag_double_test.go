//go:build coremldouble

package coreml

// zooRulesElsewhere: make test runs this package twice, plain and with the
// coremldouble tag; the full-size zoo models are checked by the plain run.
const zooRulesElsewhere = true
