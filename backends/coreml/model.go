package coreml

import (
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// model encodes the Model message around the layers written by run: the
// specification version, the description of every input and output as a
// float32 MultiArray of its static shape, metadata, and the NeuralNetwork.
func (c *converter) model() []byte {
	var tail wire // the NeuralNetwork fields after its layers
	tail.int(fNNArrayInputShapeMapping, exactArrayMapping)
	tail.int(fNNImageInputShapeMapping, rank4ImageMapping)
	nn := len(c.w.b) + len(tail.b)

	w := wire{b: make([]byte, 0, nn+1024)}
	w.int(fModelSpecificationVersion, specVersion)
	w.open(fModelDescription)
	for _, in := range c.a.Inputs {
		c.feature(&w, fDescInput, in.Name)
	}
	for _, out := range c.a.Outputs {
		c.feature(&w, fDescOutput, out.Name)
	}
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
	w.close()

	// The layers are already encoded: write the NeuralNetwork's tag and
	// length directly instead of shifting them into place with close.
	w.b = protowire.AppendTag(w.b, fModelNeuralNetwork, protowire.BytesType)
	w.b = protowire.AppendVarint(w.b, uint64(nn))
	w.b = append(w.b, c.w.b...)
	w.b = append(w.b, tail.b...)
	return w.b
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
