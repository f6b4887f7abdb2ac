package onnxpb

import (
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// MemoryFactor bounds the memory the decoder allocates for the decoded
// structure: at most MemoryFactor bytes per input byte, plus one MiB. Without
// it an empty 2-byte NodeProto would cost 120 bytes of Go struct and a small
// hostile file could demand gigabytes. Real models use a fraction of it
// (their bulk is tensor data, which is not copied).
const MemoryFactor = 64

// DecodeModel decodes a serialized ModelProto (the content of a .onnx file).
//
// Unknown fields are skipped; known fields the data model has no room for
// (doc strings, denotations, training info, quantization annotations) are
// checked for their wire type and dropped. A known field with the wrong wire
// type, truncated or overlong data, or any exceeded limit (see MaxNodes and
// the other Max constants, and MemoryFactor) is an error, returned as a
// *DecodeError saying where it happened.
//
// Byte fields of the result (RawData, Attribute.S, string data) alias data:
// do not modify data while the model is in use.
func DecodeModel(data []byte) (*Model, error) {
	d := newDecoder(data)
	m := &Model{}
	if err := d.model(data, m); err != nil {
		return nil, within("", err)
	}
	return m, nil
}

// DecodeTensor decodes one serialized TensorProto, such as the input_0.pb and
// output_0.pb files of the ONNX backend tests. Errors and aliasing are as for
// DecodeModel.
func DecodeTensor(data []byte) (*Tensor, error) {
	d := newDecoder(data)
	t := &Tensor{}
	if err := d.tensor(data, t); err != nil {
		return nil, within("", err)
	}
	return t, nil
}

// decoder holds the limits shared by every message of one input.
type decoder struct {
	nodes, attrs, tensors, graphs, values int
	used, budget                          int
}

func newDecoder(data []byte) *decoder {
	return &decoder{budget: MemoryFactor*len(data) + 1<<20}
}

// charge accounts for n bytes of decoded structure.
func (d *decoder) charge(n int) error {
	d.used += n
	if d.used > d.budget {
		return limit("decoded structure exceeds %d bytes per input byte", MemoryFactor)
	}
	return nil
}

// count increments one of the element counters and enforces its limit.
func (d *decoder) count(c *int, max int, what string) error {
	*c++
	if *c > max {
		return limit("more than %d %s", max, what)
	}
	return nil
}

// str reads a string field, charging for the copy.
func (d *decoder) str(f *fields) (string, error) {
	v, err := f.bytes()
	if err != nil {
		return "", err
	}
	return string(v), d.charge(len(v))
}

// strs appends one element to a repeated string field.
func (d *decoder) strs(f *fields, dst []string) ([]string, error) {
	s, err := d.str(f)
	if err != nil {
		return dst, err
	}
	return append(dst, s), d.charge(int(unsafe.Sizeof(s)))
}

// byteStrs appends one element to a repeated bytes field (aliasing the input).
func (d *decoder) byteStrs(f *fields, dst [][]byte) ([][]byte, error) {
	v, err := f.bytes()
	if err != nil {
		return dst, err
	}
	return append(dst, v), d.charge(int(unsafe.Sizeof(v)))
}

// chargeSlice charges for the elements a repeated scalar field gained.
func chargeSlice[T any](d *decoder, before int, s []T) error {
	var zero T
	return d.charge((len(s) - before) * int(unsafe.Sizeof(zero)))
}

func (d *decoder) model(b []byte, m *Model) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "ir_version"
			m.IRVersion, err = f.int64()
		case 2:
			name = "producer_name"
			m.ProducerName, err = d.str(&f)
		case 3:
			name = "producer_version"
			m.ProducerVersion, err = d.str(&f)
		case 4:
			name = "domain"
			m.Domain, err = d.str(&f)
		case 5:
			name = "model_version"
			m.ModelVersion, err = f.int64()
		case 6:
			name = "doc_string"
			m.DocString, err = d.str(&f)
		case 7:
			name = "graph"
			var v []byte
			if v, err = f.bytes(); err == nil {
				if m.Graph == nil {
					m.Graph = &Graph{}
				}
				err = d.graph(v, m.Graph, 1)
			}
		case 8:
			name = indexed("opset_import", len(m.OpsetImports), "", false)
			var v []byte
			if v, err = f.bytes(); err == nil {
				m.OpsetImports = append(m.OpsetImports, OpsetID{})
				op := &m.OpsetImports[len(m.OpsetImports)-1]
				if err = d.charge(int(unsafe.Sizeof(*op))); err == nil {
					err = d.opset(v, op)
				}
			}
		case 14:
			name = indexed("metadata_props", len(m.Metadata), "", false)
			m.Metadata, err = d.pair(&f, m.Metadata)
		case 20:
			name = "training_info"
			err = f.skipBytes()
		case 25:
			name = "functions"
			if err = f.skipBytes(); err == nil {
				m.Functions++
			}
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

func (d *decoder) opset(b []byte, op *OpsetID) error {
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "domain"
			op.Domain, err = d.str(&f)
		case 2:
			name = "version"
			op.Version, err = f.int64()
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

// pair decodes one StringStringEntryProto and appends it to dst.
func (d *decoder) pair(f *fields, dst []StringPair) ([]StringPair, error) {
	v, err := f.bytes()
	if err != nil {
		return dst, err
	}
	dst = append(dst, StringPair{})
	p := &dst[len(dst)-1]
	if err := d.charge(int(unsafe.Sizeof(*p))); err != nil {
		return dst, err
	}
	g := fields{b: v}
	for {
		more, err := g.next()
		if err != nil || !more {
			return dst, err
		}
		var name string
		switch g.num {
		case 1:
			name = "key"
			p.Key, err = d.str(&g)
		case 2:
			name = "value"
			p.Value, err = d.str(&g)
		default:
			err = g.skip()
		}
		if err != nil {
			return dst, within(name, err)
		}
	}
}

func (d *decoder) graph(b []byte, g *Graph, depth int) error {
	if depth > MaxGraphDepth {
		return limit("graphs nested more than %d deep", MaxGraphDepth)
	}
	if err := d.count(&d.graphs, MaxGraphs, "graphs"); err != nil {
		return err
	}
	if err := d.charge(int(unsafe.Sizeof(*g))); err != nil {
		return err
	}
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			i := len(g.Nodes)
			var v []byte
			if v, err = f.bytes(); err == nil {
				if err = d.count(&d.nodes, MaxNodes, "nodes"); err == nil {
					g.Nodes = append(g.Nodes, Node{})
					err = d.node(v, &g.Nodes[i], depth)
				}
			}
			name = indexed("node", i, nodeName(g.Nodes, i), true)
		case 2:
			name = "name"
			g.Name, err = d.str(&f)
		case 5:
			i := len(g.Initializers)
			g.Initializers, err = d.tensorElem(&f, g.Initializers)
			name = indexed("initializer", i, tensorName(g.Initializers, i), false)
		case 11:
			i := len(g.Inputs)
			g.Inputs, err = d.valueInfoElem(&f, g.Inputs)
			name = indexed("input", i, valueName(g.Inputs, i), false)
		case 12:
			i := len(g.Outputs)
			g.Outputs, err = d.valueInfoElem(&f, g.Outputs)
			name = indexed("output", i, valueName(g.Outputs, i), false)
		case 13:
			i := len(g.ValueInfo)
			g.ValueInfo, err = d.valueInfoElem(&f, g.ValueInfo)
			name = indexed("value_info", i, valueName(g.ValueInfo, i), false)
		case 10:
			name = "doc_string"
			err = f.skipBytes()
		case 14:
			name = "quantization_annotation"
			err = f.skipBytes()
		case 15:
			name = "sparse_initializer"
			if err = f.skipBytes(); err == nil {
				g.SparseInitializers++
			}
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

// nodeName, tensorName and valueName return the name of element i for error
// paths, or "" when there is none (yet).
func nodeName(s []Node, i int) string {
	if i >= 0 && i < len(s) {
		return s[i].Name
	}
	return ""
}

func tensorName(s []Tensor, i int) string {
	if i >= 0 && i < len(s) {
		return s[i].Name
	}
	return ""
}

func valueName(s []ValueInfo, i int) string {
	if i >= 0 && i < len(s) {
		return s[i].Name
	}
	return ""
}

// tensorElem decodes one element of a repeated TensorProto field.
func (d *decoder) tensorElem(f *fields, dst []Tensor) ([]Tensor, error) {
	v, err := f.bytes()
	if err != nil {
		return dst, err
	}
	if err := d.count(&d.tensors, MaxTensors, "tensors"); err != nil {
		return dst, err
	}
	dst = append(dst, Tensor{})
	return dst, d.tensor(v, &dst[len(dst)-1])
}

// valueInfoElem decodes one element of a repeated ValueInfoProto field.
func (d *decoder) valueInfoElem(f *fields, dst []ValueInfo) ([]ValueInfo, error) {
	v, err := f.bytes()
	if err != nil {
		return dst, err
	}
	if err := d.count(&d.values, MaxValueInfos, "value infos"); err != nil {
		return dst, err
	}
	dst = append(dst, ValueInfo{})
	vi := &dst[len(dst)-1]
	if err := d.charge(int(unsafe.Sizeof(*vi))); err != nil {
		return dst, err
	}
	return dst, d.valueInfo(v, vi)
}

func (d *decoder) node(b []byte, n *Node, depth int) error {
	if err := d.charge(int(unsafe.Sizeof(*n))); err != nil {
		return err
	}
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = indexed("input", len(n.Inputs), "", false)
			if len(n.Inputs) >= MaxNodeInputs {
				err = limit("more than %d inputs to one node", MaxNodeInputs)
			} else {
				n.Inputs, err = d.strs(&f, n.Inputs)
			}
		case 2:
			name = indexed("output", len(n.Outputs), "", false)
			if len(n.Outputs) >= MaxNodeInputs {
				err = limit("more than %d outputs of one node", MaxNodeInputs)
			} else {
				n.Outputs, err = d.strs(&f, n.Outputs)
			}
		case 3:
			name = "name"
			n.Name, err = d.str(&f)
		case 4:
			name = "op_type"
			n.OpType, err = d.str(&f)
		case 7:
			name = "domain"
			n.Domain, err = d.str(&f)
		case 5:
			i := len(n.Attributes)
			var v []byte
			if v, err = f.bytes(); err == nil {
				if err = d.count(&d.attrs, MaxAttributes, "attributes"); err == nil {
					n.Attributes = append(n.Attributes, Attribute{})
					err = d.attribute(v, &n.Attributes[i], depth)
				}
			}
			name = indexed("attribute", i, "", false)
			if i < len(n.Attributes) {
				name = indexed("attribute", i, n.Attributes[i].Name, false)
			}
		case 6:
			name = "doc_string"
			err = f.skipBytes()
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

func (d *decoder) attribute(b []byte, a *Attribute, depth int) error {
	if err := d.charge(int(unsafe.Sizeof(*a))); err != nil {
		return err
	}
	f := fields{b: b}
	for {
		more, err := f.next()
		if err != nil || !more {
			return err
		}
		var name string
		switch f.num {
		case 1:
			name = "name"
			a.Name, err = d.str(&f)
		case 21:
			name = "ref_attr_name"
			a.RefAttrName, err = d.str(&f)
		case 20:
			name = "type"
			var v int32
			v, err = f.int32()
			a.Type = AttrType(v)
		case 2:
			name = "f"
			var v uint32
			v, err = f.fixed32()
			a.F = asFloat32(v)
		case 3:
			name = "i"
			a.I, err = f.int64()
		case 4:
			name = "s"
			a.S, err = f.bytes()
		case 5:
			name = "t"
			var v []byte
			if v, err = f.bytes(); err == nil {
				if a.T == nil {
					err = d.count(&d.tensors, MaxTensors, "tensors")
					a.T = &Tensor{}
				}
				if err == nil {
					err = d.tensor(v, a.T)
				}
			}
		case 6:
			name = "g"
			var v []byte
			if v, err = f.bytes(); err == nil {
				if a.G == nil {
					a.G = &Graph{}
				}
				err = d.graph(v, a.G, depth+1)
			}
		case 7:
			name = "floats"
			before := len(a.Floats)
			if a.Floats, err = appendFixed32sMax(&f, a.Floats, asFloat32, MaxAttrValues); err == nil {
				err = chargeSlice(d, before, a.Floats)
			}
		case 8:
			name = "ints"
			before := len(a.Ints)
			if a.Ints, err = appendVarintsMax(&f, a.Ints, asInt64, MaxAttrValues); err == nil {
				err = chargeSlice(d, before, a.Ints)
			}
		case 9:
			name = indexed("strings", len(a.Strings), "", false)
			if len(a.Strings) >= MaxAttrValues {
				err = limit("more than %d values", MaxAttrValues)
			} else {
				a.Strings, err = d.byteStrs(&f, a.Strings)
			}
		case 10:
			i := len(a.Tensors)
			a.Tensors, err = d.tensorElem(&f, a.Tensors)
			name = indexed("tensors", i, tensorName(a.Tensors, i), false)
		case 11:
			i := len(a.Graphs)
			name = indexed("graphs", i, "", false)
			var v []byte
			if v, err = f.bytes(); err == nil {
				a.Graphs = append(a.Graphs, Graph{})
				err = d.graph(v, &a.Graphs[i], depth+1)
			}
		case 13, 14, 15, 22, 23: // doc_string, tp, type_protos, sparse_tensor, sparse_tensors
			name = attrSkipped[f.num]
			err = f.skipBytes()
		default:
			err = f.skip()
		}
		if err != nil {
			return within(name, err)
		}
	}
}

var attrSkipped = map[protowire.Number]string{13: "doc_string", 14: "tp", 15: "type_protos", 22: "sparse_tensor", 23: "sparse_tensors"}
