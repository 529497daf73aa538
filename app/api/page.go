package api

import (
	"encoding/base64"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/problem"
)

// Page is a list answer: items and the cursor of the next page (null on the last page).
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// ListParams are the common list query parameters.
type ListParams struct {
	Limit  int    `query:"limit" json:"-" validate:"omitempty,gte=1,lte=200"`
	Cursor string `query:"cursor" json:"-"`
}

// PageSize is limit with its default of 50.
func (p ListParams) PageSize() int {
	if p.Limit <= 0 {
		return 50
	}
	return p.Limit
}

// AfterID decodes an ID cursor (lists ordered by UUIDv7, i.e. by creation time).
func (p ListParams) AfterID() (uuid.UUID, error) {
	if p.Cursor == "" {
		return uuid.Nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil {
		return uuid.Nil, problem.Field("cursor", "invalid_format", "field.invalid_format")
	}
	id, err := uuid.FromBytes(raw)
	if err != nil {
		return uuid.Nil, problem.Field("cursor", "invalid_format", "field.invalid_format")
	}
	return id, nil
}

// IDPage builds a page from items fetched with limit+1 rows, using id of the last kept item.
func IDPage[T any](items []T, limit int, id func(T) uuid.UUID) Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	last := id(items[len(items)-1])
	c := base64.RawURLEncoding.EncodeToString(last[:])
	return Page[T]{Items: items, NextCursor: &c}
}

// EncodeCursor makes the opaque next-page token of a keyset position (JSON in base64url):
// every list's cursor is made here, whatever its sort keys.
func EncodeCursor(pos any) string {
	b, _ := json.Marshal(pos)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a token made by EncodeCursor. A token that does not decode, or whose
// position valid rejects, is the field error cursor/invalid_format (400), never a 500.
func DecodeCursor[T any](token string, valid func(T) bool) (T, error) {
	var pos T
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(raw, &pos)
	}
	if err != nil || (valid != nil && !valid(pos)) {
		var zero T
		return zero, problem.Field("cursor", "invalid_format", "field.invalid_format")
	}
	return pos, nil
}
