package runtime

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Decoding of the artifact body (grammar in format.go). The body is hostile
// input even when its checksum is right: every length is checked against the
// bytes left before anything is allocated for it, and against the format's
// limits.

// Minimum encoded sizes of list items, used to reject counts that the bytes
// left cannot possibly hold before allocating for them.
const (
	minMetaEntry   = 2 // two empty strings
	minValueInfo   = 3 // name, dtype, hasDims
	minDim         = 2 // tag, size or name length
	minString      = 1 // the length
	minNode        = 5 // name, op, three counts
	minAttr        = 3 // name, kind, value
	minAttrInt     = 1
	minAttrFloat   = 8
	minInitializer = 3 // name, dtype, rank
)

// decoder reads a body from data[off:end]. Offsets are positions in data, so
// messages give file offsets. The first error sticks: afterwards every read
// returns a zero value and every count 0, so loops end at once.
type decoder struct {
	data    []byte
	off     int
	end     int
	model   string // the artifact's name once read, for errors
	where   string // what is being decoded, for errors
	items   int    // list items so far, against maxItems
	version uint32 // the file's format version
	err     error
}

// decodeBody decodes the body in data[start:end]. It does not validate the graph.
func decodeBody(data []byte, start, end int, version uint32) (*Artifact, error) {
	d := &decoder{data: data, off: start, end: end, version: version}
	a := d.artifact()
	if d.err != nil {
		return nil, d.err
	}
	return a, nil
}

func (d *decoder) failAt(off int, format string, args ...any) {
	if d.err != nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if d.where != "" {
		msg = d.where + ": " + msg
	}
	d.err = corruptAt(off, d.model, "%s", msg)
}

func (d *decoder) left() int { return d.end - d.off }

// take returns the next n bytes (a view into data), or nil after an error.
func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.left() {
		d.failAt(d.off, "truncated: %s needs %d bytes, %d left in the body", what, n, d.left())
		return nil
	}
	b := d.data[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *decoder) byte1(what string) byte {
	b := d.take(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

// flag reads a byte that must be 0 or 1.
func (d *decoder) flag(what string) bool {
	start := d.off
	switch b := d.byte1(what); b {
	case 0, 1:
		return b == 1
	default:
		d.failAt(start, "%s is %d, want 0 or 1", what, b)
		return false
	}
}

// uvarint reads a minimal unsigned varint.
func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.off:d.end])
	switch {
	case n == 0:
		d.failAt(d.off, "truncated: %s runs past the end of the body", what)
		return 0
	case n < 0:
		d.failAt(d.off, "%s is a varint longer than 64 bits", what)
		return 0
	case n > 1 && d.data[d.off+n-1] == 0:
		d.failAt(d.off, "%s is a non-minimal varint", what)
		return 0
	}
	d.off += n
	return v
}

// varint reads a minimal zig-zag signed varint that fits an int.
func (d *decoder) varint(what string) int {
	start := d.off
	u := d.uvarint(what)
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	if int64(int(v)) != v {
		d.failAt(start, "%s %d does not fit an int on this platform", what, v)
		return 0
	}
	return int(v)
}

func (d *decoder) f64(what string) float64 {
	b := d.take(8, what)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// count reads a list length, checking it against limit, against the bytes
// left (each item takes at least minEach bytes) and against the item budget,
// before the caller allocates anything for the list.
func (d *decoder) count(what string, limit, minEach int) int {
	start := d.off
	v := d.uvarint(what + " count")
	if d.err != nil {
		return 0
	}
	if v > uint64(limit) {
		d.failAt(start, "%d %s, more than the format's limit of %d", v, what, limit)
		return 0
	}
	n := int(v)
	if n*minEach > d.left() {
		d.failAt(start, "truncated: %d %s need at least %d bytes, %d left in the body", n, what, n*minEach, d.left())
		return 0
	}
	if d.items += n; d.items > maxItems {
		d.failAt(start, "more than %d list items in total (names, dims, attribute elements), the format's limit", maxItems)
		return 0
	}
	return n
}

// str reads a string of at most limit bytes.
func (d *decoder) str(what string, limit int) string {
	start := d.off
	n := d.uvarint(what + " length")
	if d.err != nil {
		return ""
	}
	if n > uint64(limit) {
		d.failAt(start, "%s is %d bytes long, more than the format's limit of %d", what, n, limit)
		return ""
	}
	return string(d.take(int(n), what))
}

// strs reads a list of value names.
func (d *decoder) strs(what string) []string {
	n := d.count(what, maxNodeValues, minString)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str("value name", maxNameBytes)
	}
	return out
}

// dtype reads a dtype byte; Invalid (0) is accepted only when unspecified is allowed.
func (d *decoder) dtype(allowUnspecified bool) tensor.DType {
	start := d.off
	dt := tensor.DType(d.byte1("dtype"))
	if d.err == nil && !dt.Valid() && !(allowUnspecified && dt == tensor.Invalid) {
		d.failAt(start, "unknown dtype %d (known: %v)", uint8(dt), tensor.DTypes())
	}
	return dt
}

// dimSize reads a static dimension.
func (d *decoder) dimSize() int {
	start := d.off
	v := d.uvarint("dimension")
	if v > tensor.MaxElements {
		d.failAt(start, "dimension %d is larger than any tensor can be (%d elements)", v, uint64(tensor.MaxElements))
		return 0
	}
	return int(v)
}

func (d *decoder) artifact() *Artifact {
	a := &Artifact{}
	a.Name = d.str("artifact name", maxNameBytes)
	d.model = a.Name

	d.where = "metadata"
	if n := d.count("metadata entries", maxMetadata, minMetaEntry); n > 0 {
		a.Metadata = make(map[string]string, n)
		prev := ""
		for i := 0; i < n && d.err == nil; i++ {
			start := d.off
			k := d.str("metadata key", maxNameBytes)
			if i > 0 && k <= prev {
				d.failAt(start, "key %.40q is not after %.40q: keys must be strictly increasing", k, prev)
			}
			a.Metadata[k] = d.str("metadata value", maxTextBytes)
			prev = k
		}
	}
	d.where = ""
	a.Inputs = d.valueInfos("graph input")
	a.Outputs = d.valueInfos("graph output")

	if n := d.count("nodes", maxNodes, minNode); n > 0 {
		a.Nodes = make([]Node, n)
		for i := 0; i < n && d.err == nil; i++ {
			d.node(&a.Nodes[i], i)
		}
	}
	d.where = ""

	if n := d.count("initializers", maxInitializers, minInitializer); n > 0 {
		a.Initializers = make(map[string]*tensor.Tensor, n)
		prev := ""
		for i := 0; i < n && d.err == nil; i++ {
			d.where = fmt.Sprintf("initializer #%d", i)
			start := d.off
			name := d.str("initializer name", maxNameBytes)
			if i > 0 && name <= prev {
				d.failAt(start, "name %.40q is not after %.40q: names must be strictly increasing", name, prev)
			}
			d.where = fmt.Sprintf("initializer %.40q", name)
			a.Initializers[name] = d.tensor()
			prev = name
		}
	}
	d.where = ""
	if d.version >= TemplateFormatVersion && d.err == nil {
		d.where = "specializer"
		start := d.off
		kind := d.str("kind", maxNameBytes)
		data := d.str("data", MaxArtifactBytes)
		if d.err == nil && kind == "" {
			d.failAt(start, "empty kind")
		}
		if d.err == nil {
			sp, err := decodeSpecializer(kind, []byte(data))
			if err != nil {
				d.failAt(start, "%v", err)
			}
			a.Specializer = sp
		}
		d.where = ""
	}
	if d.err == nil && d.off != d.end {
		d.failAt(d.off, "%d unparsed bytes at the end of the body", d.end-d.off)
	}
	return a
}

func (d *decoder) valueInfos(what string) []ValueInfo {
	n := d.count(what+"s", maxGraphValues, minValueInfo)
	if n == 0 {
		return nil
	}
	out := make([]ValueInfo, n)
	for i := 0; i < n && d.err == nil; i++ {
		d.where = fmt.Sprintf("%s #%d", what, i)
		v := &out[i]
		v.Name = d.str("name", maxNameBytes)
		d.where = fmt.Sprintf("%s %.40q", what, v.Name)
		v.DType = d.dtype(true)
		if !d.flag("hasDims flag") {
			continue
		}
		rank := d.count("dimensions", maxRank, minDim)
		v.Dims = make([]Dim, rank)
		for j := 0; j < rank && d.err == nil; j++ {
			start := d.off
			switch tag := d.byte1("dimension tag"); tag {
			case 0:
				v.Dims[j].Size = d.dimSize()
			case 1:
				if v.Dims[j].Name = d.str("symbolic dimension name", maxNameBytes); v.Dims[j].Name == "" && d.err == nil {
					d.failAt(start, "dimension %d is symbolic with an empty name", j)
				}
			default:
				d.failAt(start, "dimension %d has tag %d, want 0 (static) or 1 (symbolic)", j, tag)
			}
		}
	}
	d.where = ""
	return out
}

func (d *decoder) node(n *Node, i int) {
	d.where = fmt.Sprintf("node #%d", i)
	n.Name = d.str("name", maxNameBytes)
	d.where = fmt.Sprintf("node %.40q", n.Name)
	n.Op = d.str("op", maxNameBytes)
	n.Inputs = d.strs("inputs")
	n.Outputs = d.strs("outputs")
	count := d.count("attributes", maxAttrs, minAttr)
	if count == 0 {
		return
	}
	n.Attrs = make(ops.Attrs, count)
	prev := ""
	for j := 0; j < count && d.err == nil; j++ {
		start := d.off
		name := d.str("attribute name", maxNameBytes)
		if j > 0 && name <= prev {
			d.failAt(start, "attribute %.40q is not after %.40q: names must be strictly increasing", name, prev)
		}
		n.Attrs[name] = d.attrValue(name)
		prev = name
	}
}

func (d *decoder) attrValue(name string) any {
	start := d.off
	kind := ops.AttrKind(d.byte1("attribute kind"))
	what := fmt.Sprintf("attribute %.40q", name)
	switch kind {
	case ops.AttrInt:
		return d.varint(what)
	case ops.AttrInts:
		v := make([]int, d.count("elements in "+what, maxAttrElems, minAttrInt))
		for i := range v {
			v[i] = d.varint(what)
		}
		return v
	case ops.AttrFloat:
		return d.f64(what)
	case ops.AttrFloats:
		v := make([]float64, d.count("elements in "+what, maxAttrElems, minAttrFloat))
		for i := range v {
			v[i] = d.f64(what)
		}
		return v
	case ops.AttrString:
		return d.str(what, maxTextBytes)
	}
	d.failAt(start, "%s has unknown kind %d", what, uint8(kind))
	return nil
}

// tensor reads an initializer's dtype, shape and data. The shape is checked
// and the data must be in the body before the tensor is allocated.
func (d *decoder) tensor() *tensor.Tensor {
	dt := d.dtype(false)
	shapeStart := d.off
	rank := d.count("dimensions", maxRank, 1)
	shape := make(tensor.Shape, rank)
	for i := 0; i < rank && d.err == nil; i++ {
		shape[i] = d.dimSize()
	}
	if d.err != nil {
		return nil
	}
	if err := shape.Validate(); err != nil {
		d.failAt(shapeStart, "%v", err)
		return nil
	}
	start := d.off
	src := d.take(shape.NumElements()*dt.Size(), fmt.Sprintf("%v%v data", dt, shape))
	if d.err != nil {
		return nil
	}
	if dt == tensor.Bool {
		for i, b := range src {
			if b > 1 {
				d.failAt(start+i, "bool element %d is %d, want 0 or 1", i, b)
				return nil
			}
		}
	}
	t, err := tensor.New(dt, shape...)
	if err != nil { // cannot happen: dtype and shape are checked
		d.failAt(start, "%v", err)
		return nil
	}
	dst := t.Bytes()
	copy(dst, src)
	if !littleEndianHost {
		swapElements(dst, dt.Size())
	}
	return t
}
