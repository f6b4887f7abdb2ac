//go:build race

package zoobench

// raceEnabled is true under the race detector, where ref runs ten times
// slower: the ORT parity test then keeps to small models, and `make test`
// runs the whole zoo in a separate non-race step.
const raceEnabled = true
