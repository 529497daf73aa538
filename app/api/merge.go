package api

import (
	"github.com/swaggest/jsonschema-go"
)

// Merge is a PATCH body applied over the current value of T: fields present in the body
// replace the current ones, nested objects merge, absent fields stay. Embed it in an input
// struct; it is decoded strictly (unknown fields are errors) when applied with Into.
type Merge[T any] struct{ raw []byte }

// UnmarshalJSON keeps the raw body for Into.
func (m *Merge[T]) UnmarshalJSON(b []byte) error {
	m.raw = append([]byte(nil), b...)
	return nil
}

// Into decodes the body over dst.
func (m Merge[T]) Into(dst *T) error {
	if len(m.raw) == 0 {
		return nil
	}
	return DecodeJSON(m.raw, dst)
}

// JSONSchema documents the body as T.
func (m Merge[T]) JSONSchema() (jsonschema.Schema, error) {
	var r jsonschema.Reflector
	return r.Reflect(new(T), jsonschema.InlineRefs)
}
