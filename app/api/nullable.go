package api

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/google/uuid"
	"github.com/swaggest/jsonschema-go"
)

// Nullable is a PATCH field with three states: absent (leave unchanged), null (clear it), or
// a value. Pointers cannot tell absent from null.
type Nullable[T any] struct {
	set, null bool
	v         T
}

// NullableOf returns a set, non-null value.
func NullableOf[T any](v T) Nullable[T] { return Nullable[T]{set: true, v: v} }

// Set reports whether the field was present in the body.
func (n Nullable[T]) Set() bool { return n.set }

// Null reports whether the field was present as null.
func (n Nullable[T]) Null() bool { return n.set && n.null }

// Value returns the value (zero when absent or null).
func (n Nullable[T]) Value() T { return n.v }

// Ptr returns nil for null, or a pointer to the value.
func (n Nullable[T]) Ptr() *T {
	if n.null || !n.set {
		return nil
	}
	v := n.v
	return &v
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.null = true
		return nil
	}
	return json.Unmarshal(b, &n.v)
}

// MarshalJSON implements json.Marshaler.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.set || n.null {
		return []byte("null"), nil
	}
	return json.Marshal(n.v)
}

// JSONSchema describes the field in the OpenAPI document as T or null.
func (n Nullable[T]) JSONSchema() (jsonschema.Schema, error) {
	var s jsonschema.Schema
	t := reflect.TypeFor[T]()
	switch {
	case t == reflect.TypeFor[uuid.UUID]():
		s.WithFormat("uuid")
		s.TypeEns().WithSliceOfSimpleTypeValues(jsonschema.String, jsonschema.Null)
	case t.Kind() == reflect.String:
		s.TypeEns().WithSliceOfSimpleTypeValues(jsonschema.String, jsonschema.Null)
	case t.Kind() == reflect.Bool:
		s.TypeEns().WithSliceOfSimpleTypeValues(jsonschema.Boolean, jsonschema.Null)
	default:
		s.TypeEns().WithSliceOfSimpleTypeValues(jsonschema.Number, jsonschema.Null)
	}
	return s, nil
}
