package onnxpb

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// Tiny wire builders for hand-made test inputs, independent of the encoder.

func appendMsg(b []byte, num protowire.Number, payload []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, payload)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendFixed32Field(b []byte, num protowire.Number, v uint32) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

func appendFixed64Field(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

// topLevelFields returns the offsets at which the top-level fields of msg
// end (0 included): the prefixes of msg that are themselves valid messages.
func topLevelFields(t *testing.T, msg []byte) map[int]bool {
	ends := map[int]bool{0: true}
	for off := 0; off < len(msg); {
		_, _, n := protowire.ConsumeField(msg[off:])
		require.GreaterOrEqual(t, n, 0)
		off += n
		ends[off] = true
	}
	return ends
}

// graphOf returns the payload of the graph field of an encoded model.
func graphOf(t *testing.T, model []byte) []byte {
	for b := model; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		require.GreaterOrEqual(t, n, 0)
		b = b[n:]
		if num == 7 && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			return v
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		require.GreaterOrEqual(t, n, 0)
		b = b[n:]
	}
	t.Fatal("no graph field")
	return nil
}
