//go:build !coremldouble

package coreml

// zooRulesElsewhere is false in the plain build, which checks the zoo models.
const zooRulesElsewhere = false
