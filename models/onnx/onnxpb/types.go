// Package onnxpb is a strict reader and writer of the parts of the ONNX
// protobuf format backplane uses: ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto and ValueInfoProto.
//
// It decodes the wire format directly with google.golang.org/protobuf's
// protowire, from the field numbers of the ONNX schema (onnx/onnx.proto,
// Apache-2.0), instead of generated bindings: ONNX files are untrusted, and a
// hand-written decoder can bound every allocation by the bytes actually
// present, reject what backplane does not support with a clear message, and
// skip unknown fields as protobuf requires.
//
// DecodeModel and DecodeTensor read .onnx files and standalone TensorProtos
// (the .pb files of the ONNX backend tests); EncodeModel and EncodeTensor
// write them back. ToTensor and FromTensor convert between TensorProto and
// backplane's tensor.Tensor, in every storage form ONNX allows, with
// DirLoader reading external data safely. Errors wrap ErrMalformed,
// ErrUnsupported or ErrLimit and are *DecodeError values carrying the path
// to the offending field. The decoder limits (MaxGraphDepth, MaxRank,
// MaxNodes, ..., MemoryFactor) bound stack depth and memory for any input.
package onnxpb

// DataType is TensorProto.DataType: the element type of a tensor.
type DataType int32

// The ONNX element types (TensorProto.DataType values).
const (
	Undefined  DataType = 0
	Float      DataType = 1
	Uint8      DataType = 2
	Int8       DataType = 3
	Uint16     DataType = 4
	Int16      DataType = 5
	Int32      DataType = 6
	Int64      DataType = 7
	String     DataType = 8
	Bool       DataType = 9
	Float16    DataType = 10
	Double     DataType = 11
	Uint32     DataType = 12
	Uint64     DataType = 13
	Complex64  DataType = 14
	Complex128 DataType = 15
	BFloat16   DataType = 16
)

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// The ONNX attribute types.
const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensor  AttrType = 11
	AttrSparseTensors AttrType = 12
	AttrTypeProto     AttrType = 13
	AttrTypeProtos    AttrType = 14
)

// Model is ModelProto.
type Model struct {
	IRVersion       int64
	OpsetImports    []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	Metadata        []StringPair
	// Functions counts model-local functions (FunctionProto), which backplane
	// does not support; a node calling one fails as an unknown operator, and
	// this count lets the importer say why.
	Functions int
}

// OpsetID is OperatorSetIdProto: an operator set (domain "" or "ai.onnx" is
// the default domain) and its version.
type OpsetID struct {
	Domain  string
	Version int64
}

// StringPair is StringStringEntryProto.
type StringPair struct {
	Key, Value string
}

// Graph is GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	// SparseInitializers counts sparse_initializer entries, which backplane
	// does not support; the importer refuses a graph that has any.
	SparseInitializers int
	Inputs             []ValueInfo
	Outputs            []ValueInfo
	ValueInfo          []ValueInfo
}

// Node is NodeProto.
type Node struct {
	Name       string
	OpType     string
	Domain     string
	Inputs     []string // "" marks an omitted optional input
	Outputs    []string // "" marks an unused optional output
	Attributes []Attribute
}

// Attribute is AttributeProto. Which value field is meaningful depends on Type.
type Attribute struct {
	Name        string
	Type        AttrType
	F           float32
	I           int64
	S           []byte
	T           *Tensor
	G           *Graph
	Floats      []float32
	Ints        []int64
	Strings     [][]byte
	Tensors     []Tensor
	Graphs      []Graph
	RefAttrName string // set inside function bodies; backplane refuses it
}

// Tensor is TensorProto. Data sits in RawData (little-endian) or in the typed
// field the data type uses (FloatData, Int32Data, ...), or in an external file.
type Tensor struct {
	Name       string
	Dims       []int64
	DataType   DataType
	RawData    []byte
	FloatData  []float32
	Int32Data  []int32 // also holds int8, uint8, int16, uint16, bool, float16 and bfloat16 values
	Int64Data  []int64
	DoubleData []float64
	Uint64Data []uint64 // also holds uint32 values
	StringData [][]byte
	// ExternalData holds location/offset/length/checksum entries when
	// DataLocation is External.
	ExternalData []StringPair
	DataLocation DataLocation
	// HasSegment is set when the tensor is one segment of a larger one, which
	// backplane does not support.
	HasSegment bool
}

// DataLocation is TensorProto.DataLocation.
type DataLocation int32

// Where a tensor's data lives.
const (
	DataDefault  DataLocation = 0
	DataExternal DataLocation = 1
)

// ValueInfo is ValueInfoProto: a named value and its type.
type ValueInfo struct {
	Name string
	Type *Type // nil when the producer gave no type
}

// Type is TypeProto. Only tensor types are represented; Kind names any other
// (sequence, map, optional, sparse_tensor) so callers can say what they skip.
type Type struct {
	Tensor *TensorType
	Kind   string // "tensor", "sequence", "map", "optional", "sparse_tensor", "opaque" or "unknown"
}

// TensorType is TypeProto.Tensor.
type TensorType struct {
	ElemType DataType
	Shape    *Shape // nil: rank unknown
}

// Shape is TensorShapeProto.
type Shape struct {
	Dims []Dim
}

// Dim is TensorShapeProto.Dimension: a value, a symbolic name, or neither
// (an unknown dimension).
type Dim struct {
	Value    int64
	HasValue bool
	Param    string
}
