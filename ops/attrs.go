package ops

import (
	"fmt"
	"math"
	"slices"
)

// AttrKind is the type of an attribute value.
type AttrKind uint8

// The attribute kinds and the Go type each is stored as in Attrs.
const (
	AttrInt    AttrKind = iota + 1 // int
	AttrInts                       // []int
	AttrFloat                      // float64
	AttrFloats                     // []float64
	AttrString                     // string
)

// String returns the kind's name, e.g. "ints".
func (k AttrKind) String() string {
	switch k {
	case AttrInt:
		return "int"
	case AttrInts:
		return "ints"
	case AttrFloat:
		return "float"
	case AttrFloats:
		return "floats"
	case AttrString:
		return "string"
	}
	return fmt.Sprintf("attrkind(%d)", uint8(k))
}

// AttrSpec describes one attribute of an op.
type AttrSpec struct {
	Name     string
	Kind     AttrKind
	Required bool
	Doc      string
}

// Attrs holds a node's attribute values keyed by name. Values have the Go
// type of their kind (see AttrKind); Canonical converts looser Go types.
// Getters return the default when the attribute is absent.
type Attrs map[string]any

// Has reports whether the attribute is set.
func (a Attrs) Has(name string) bool {
	_, ok := a[name]
	return ok
}

// Int returns an int attribute, or def when absent.
func (a Attrs) Int(name string, def int) int {
	if v, ok := a[name].(int); ok {
		return v
	}
	return def
}

// Ints returns an ints attribute, or def when absent. The caller must not modify it.
func (a Attrs) Ints(name string, def []int) []int {
	if v, ok := a[name].([]int); ok {
		return v
	}
	return def
}

// Float returns a float attribute, or def when absent.
func (a Attrs) Float(name string, def float64) float64 {
	if v, ok := a[name].(float64); ok {
		return v
	}
	return def
}

// Floats returns a floats attribute, or def when absent. The caller must not modify it.
func (a Attrs) Floats(name string, def []float64) []float64 {
	if v, ok := a[name].([]float64); ok {
		return v
	}
	return def
}

// String returns a string attribute, or def when absent.
func (a Attrs) String(name string, def string) string {
	if v, ok := a[name].(string); ok {
		return v
	}
	return def
}

// Clone returns a deep copy of a.
func (a Attrs) Clone() Attrs {
	if a == nil {
		return nil
	}
	c := make(Attrs, len(a))
	for k, v := range a {
		switch v := v.(type) {
		case []int:
			c[k] = slices.Clone(v)
		case []float64:
			c[k] = slices.Clone(v)
		default:
			c[k] = v
		}
	}
	return c
}

// KindOf returns the kind of a canonical attribute value, or 0 if v is not one.
func KindOf(v any) AttrKind {
	switch v.(type) {
	case int:
		return AttrInt
	case []int:
		return AttrInts
	case float64:
		return AttrFloat
	case []float64:
		return AttrFloats
	case string:
		return AttrString
	}
	return 0
}

// Canonical returns a copy of a with every value converted to its canonical
// Go type: integers of any width to int, bool to 0/1, float32 to float64, and
// slices likewise. Values of other types are an error.
func Canonical(a Attrs) (Attrs, error) {
	if a == nil {
		return nil, nil
	}
	c := make(Attrs, len(a))
	for k, v := range a {
		cv, err := canonicalValue(v)
		if err != nil {
			return nil, AttrErrorf(k, "%v", err)
		}
		c[k] = cv
	}
	return c, nil
}

func canonicalValue(v any) (any, error) {
	switch v := v.(type) {
	case int, float64, string:
		return v, nil
	case []int:
		return slices.Clone(v), nil
	case []float64:
		return slices.Clone(v), nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case int8:
		return int(v), nil
	case int16:
		return int(v), nil
	case int32:
		return int(v), nil
	case int64:
		return int(v), nil
	case uint8:
		return int(v), nil
	case uint16:
		return int(v), nil
	case uint32:
		return int(v), nil
	case float32:
		return float64(v), nil
	case []int32:
		return convertSlice[int](v), nil
	case []int64:
		return convertSlice[int](v), nil
	case []float32:
		return convertSlice[float64](v), nil
	}
	return nil, fmt.Errorf("unsupported attribute value type %T", v)
}

func convertSlice[D int | float64, S int32 | int64 | float32](s []S) []D {
	out := make([]D, len(s))
	for i, x := range s {
		out[i] = D(x)
	}
	return out
}

// CheckAttrs reports unknown attributes, values of the wrong kind, missing
// required attributes, and non-finite values where a finite one is needed.
func (op *Op) CheckAttrs(a Attrs) error {
	for name, v := range a {
		spec := op.attrSpec(name)
		if spec == nil {
			return AttrErrorf(name, "unknown attribute (op %s takes %s)", op.Name, op.attrNames())
		}
		if k := KindOf(v); k != spec.Kind {
			return AttrErrorf(name, "is %T, want %v", v, spec.Kind)
		}
	}
	for _, s := range op.Attrs {
		if s.Required && !a.Has(s.Name) {
			return AttrErrorf(s.Name, "required attribute is missing")
		}
	}
	return nil
}

func (op *Op) attrSpec(name string) *AttrSpec {
	for i := range op.Attrs {
		if op.Attrs[i].Name == name {
			return &op.Attrs[i]
		}
	}
	return nil
}

func (op *Op) attrNames() string {
	if len(op.Attrs) == 0 {
		return "no attributes"
	}
	s := ""
	for i, a := range op.Attrs {
		if i > 0 {
			s += ", "
		}
		s += a.Name
	}
	return s
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
