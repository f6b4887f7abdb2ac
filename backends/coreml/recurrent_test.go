package coreml

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
)

// The recurrent ops have no mapping (NeuralNetwork's LSTM, GRU and
// simple-recurrent layers differ in gate layout, activations and
// sequence_lens handling): the converter refuses them by name.
func TestRecurrentRefusedByName(t *testing.T) {
	for op, gates := range map[string]int{"lstm": 4, "gru": 3, "rnn": 1} {
		t.Run(op, func(t *testing.T) {
			b := runtime.NewBuilder("seq")
			outs := b.NamedOp("cell", op, 2+boolInt(op == "lstm"), nil, in(b, "x", 2, 1, 3),
				weight(b, "w", 1, 1, gates*2, 3), weight(b, "r", 2, 1, gates*2, 2))
			b.Output("h", outs[1])
			a, err := b.Build()
			require.NoError(t, err)
			requireUnsupported(t, CheckSupport(a), "cell", op, "", "op "+op+" has no Core ML NeuralNetwork mapping")
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
