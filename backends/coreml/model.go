package coreml

import (
	"encoding/binary"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// The Model message is the header (specification version and description),
// then the NeuralNetwork field holding the layers. The header does not depend
// on the layers, so it is encoded before them and room for it (plus the
// NeuralNetwork's tag and length) is reserved at the front of the layer
// buffer: the finished model is then written in place, without copying the
// weights once more.

// maxNNPrefix is the room for the NeuralNetwork field's tag (2 bytes for field
// 500) and its length varint (at most 10 bytes).
const maxNNPrefix = 2 + binary.MaxVarintLen64

// startModel encodes the header and reserves room for it in front of the
// layers, with capacity for the model's weights in the chosen precision.
func (c *converter) startModel() {
	var h wire
	h.int(fModelSpecificationVersion, specVersion)
	h.open(fModelDescription)
	for _, in := range c.a.Inputs {
		c.feature(&h, fDescInput, in.Name)
	}
	for _, out := range c.a.Outputs {
		c.feature(&h, fDescOutput, out.Name)
	}
	c.metadata(&h)
	h.close()
	c.header = h.b
	c.reserved = len(h.b) + maxNNPrefix

	per := 4
	if c.prec == Float16 {
		per = 2
	}
	estimate := c.reserved + 64*len(c.a.Nodes) + 1024
	for _, t := range c.a.Initializers {
		estimate += per*t.NumElements() + 16
	}
	c.w.b = make([]byte, c.reserved, estimate)
}

// model finishes the Model message around the layers written by run.
func (c *converter) model() []byte {
	c.w.int(fNNArrayInputShapeMapping, exactArrayMapping)
	c.w.int(fNNImageInputShapeMapping, rank4ImageMapping)
	nn := len(c.w.b) - c.reserved
	prefix := append(c.header, make([]byte, 0, maxNNPrefix)...)
	prefix = protowire.AppendTag(prefix, fModelNeuralNetwork, protowire.BytesType)
	prefix = protowire.AppendVarint(prefix, uint64(nn))
	start := c.reserved - len(prefix)
	copy(c.w.b[start:], prefix)
	return c.w.b[start:]
}

// metadata writes the Metadata message: a short description and, as
// user-defined entries sorted by key, the artifact's name, the precision and
// the artifact's own metadata.
func (c *converter) metadata(w *wire) {
	w.open(fDescMetadata)
	w.str(fMetaShortDescription, "converted by backplane from artifact "+c.a.Name)
	meta := map[string]string{"backplane.artifact": c.a.Name, "backplane.precision": c.prec.String()}
	for k, v := range c.a.Metadata {
		if _, taken := meta[k]; !taken {
			meta[k] = v
		}
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.open(fMetaUserDefined)
		w.str(fMapKey, k)
		w.str(fMapValue, meta[k])
		w.close()
	}
	w.close()
}

// feature writes a FeatureDescription: the value's name and a float32
// MultiArray type of its inferred (static) shape.
func (c *converter) feature(w *wire, num protowire.Number, name string) {
	w.open(num)
	w.str(fFeatureName, name)
	w.open(fFeatureType)
	w.open(fFeatureTypeMultiArray)
	w.ints(fArrayShape, c.shape(name))
	w.int(fArrayDataType, arrayFloat32)
	w.close()
	w.close()
	w.close()
}
