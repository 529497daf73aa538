package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/problem"
)

const defaultBodyLimit = 1 << 20

// Validate is the shared validator. Field names in its errors are the JSON (or query) names.
var Validate = newValidator()

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$`)

func newValidator() *validator.Validate {
	// Embedded structs (ListParams, the body of a PATCH beside its path ID) are flattened in
	// JSON and queries, so they are left out of error paths too: "limit", not "ListParams.limit".
	v := validator.New(validator.WithRequiredStructEnabled(), validator.WithTagNameFuncBlankOmit())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "query", "path"} {
			if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
				return name
			}
		}
		if f.Anonymous {
			return ""
		}
		return f.Name
	})
	_ = v.RegisterValidation("slug", func(fl validator.FieldLevel) bool { return slugRE.MatchString(fl.Field().String()) })
	_ = v.RegisterValidation("locale", func(fl validator.FieldLevel) bool { return problem.IsLocale(fl.Field().String()) })
	return v
}

type pathField struct {
	index []int
	name  string
	uuid  bool
}

type binder[In any] struct {
	path      []pathField
	hasQuery  bool
	hasBody   bool
	bodyLimit int
	validate  bool
}

func newBinder[In any](op Op) *binder[In] {
	b := &binder[In]{bodyLimit: op.BodyLimit}
	if b.bodyLimit == 0 {
		b.bodyLimit = defaultBodyLimit
	}
	t := reflect.TypeFor[In]()
	if t.Kind() != reflect.Struct {
		return b
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		if name := f.Tag.Get("path"); name != "" {
			b.path = append(b.path, pathField{index: f.Index, name: name, uuid: f.Type == reflect.TypeFor[uuid.UUID]()})
			continue
		}
		if f.Tag.Get("query") != "" {
			b.hasQuery = true
			continue
		}
		if j := f.Tag.Get("json"); j != "-" && !f.Anonymous {
			b.hasBody = true
		}
		if f.Tag.Get("validate") != "" {
			b.validate = true
		}
	}
	b.validate = b.validate || hasValidateTags(t)
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		b.hasBody = true
	}
	return b
}

func hasValidateTags(t reflect.Type) bool {
	for _, f := range reflect.VisibleFields(t) {
		if f.Tag.Get("validate") != "" {
			return true
		}
	}
	return false
}

func (b *binder[In]) bind(c *fiber.Ctx, in *In) error {
	v := reflect.ValueOf(in).Elem()
	for _, p := range b.path {
		raw := c.Params(p.name)
		fv := v.FieldByIndex(p.index)
		if p.uuid {
			id, err := uuid.Parse(raw)
			if err != nil {
				// A malformed ID names no record: answer as for a missing one.
				return problem.NotFoundf("entity.record")
			}
			fv.Set(reflect.ValueOf(id))
		} else {
			fv.SetString(raw)
		}
	}
	if b.hasQuery {
		if err := c.QueryParser(in); err != nil {
			return &problem.Error{Code: problem.BadRequest, Key: "bad_query", Cause: err}
		}
	}
	if b.hasBody {
		body := c.Body()
		if len(body) > b.bodyLimit {
			return problem.New(problem.TooLarge, "too_large")
		}
		if len(bytes.TrimSpace(body)) > 0 {
			ct := strings.ToLower(c.Get(fiber.HeaderContentType))
			if ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/merge-patch+json") {
				return problem.New(problem.Unsupported, "unsupported_media")
			}
			if err := DecodeJSON(body, in); err != nil {
				return err
			}
		}
	}
	if b.validate {
		if err := Validate.Struct(in); err != nil {
			return ValidationError(err)
		}
	}
	return nil
}

// DecodeJSON decodes body strictly: unknown fields and wrong types are field errors, broken
// JSON is a bad request, trailing data too.
func DecodeJSON(body []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return jsonError(err, body, into)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.New(problem.BadRequest, "bad_json")
	}
	return nil
}

func jsonError(err error, body []byte, into any) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return &problem.Error{Code: problem.BadRequest, Key: "bad_json", Cause: err}
		}
		return problem.Field(jsonPath(reflect.TypeOf(into), field), "invalid_type", "field.invalid_type", jsonKind(typeErr.Type))
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return problem.Field(name, "unknown_field", "field.unknown_field")
	}
	var fe *problem.Error
	if errors.As(err, &fe) {
		return fe
	}
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		// The JSON is well-formed but a value's own decoder refused it (a malformed UUID, time
		// or amount): that is invalid input in a field, not a broken body.
		if field := refusedField(body, reflect.TypeOf(into)); field != "" {
			return problem.Field(field, "invalid_format", "field.invalid_format")
		}
	}
	return &problem.Error{Code: problem.BadRequest, Key: "bad_json", Cause: err}
}

// jsonPath turns the field path of a json.UnmarshalTypeError into the JSON path: encoding/json
// includes the Go names of embedded structs ("UserUpdate.manager_id"), which JSON flattens.
func jsonPath(t reflect.Type, field string) string {
	var out []string
	for _, seg := range strings.Split(field, ".") {
		t = elemType(t)
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(seg); ok && f.Anonymous && jsonName(f) == "" {
				t = f.Type
				continue
			}
			t = fieldType(t, seg)
		}
		out = append(out, seg)
	}
	return strings.Join(out, ".")
}

func elemType(t reflect.Type) reflect.Type {
	for t != nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			t = t.Elem()
		default:
			return t
		}
	}
	return nil
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// fieldType is the type of struct t's field with JSON name name (nil when there is none).
func fieldType(t reflect.Type, name string) reflect.Type {
	for _, f := range reflect.VisibleFields(t) {
		n := jsonName(f)
		if n == "" && !f.Anonymous {
			n = f.Name
		}
		if f.IsExported() && n != "-" && strings.EqualFold(n, name) {
			return f.Type
		}
	}
	return nil
}

// refusedField finds the (dotted) JSON name of the first field of t whose value in the JSON
// object body does not decode on its own; "" when there is none or body is not an object.
func refusedField(body []byte, t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	for _, f := range reflect.VisibleFields(t) {
		name := jsonName(f)
		if !f.IsExported() || name == "-" || (f.Anonymous && name == "") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		for key, raw := range obj {
			if !strings.EqualFold(key, name) {
				continue
			}
			if json.Unmarshal(raw, reflect.New(f.Type).Interface()) != nil {
				if sub := refusedField(raw, f.Type); sub != "" {
					return name + "." + sub
				}
				return name
			}
		}
	}
	return ""
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if t == reflect.TypeFor[uuid.UUID]() {
			return "uuid"
		}
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		if t == reflect.TypeFor[uuid.UUID]() {
			return "uuid"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	default:
		if t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64 {
			return "number"
		}
		return t.Kind().String()
	}
}

// ValidationError turns validator errors into a problem with one field error each.
func ValidationError(err error) error {
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) {
		return &problem.Error{Code: problem.Invalid, Key: "validation_failed", Cause: err}
	}
	fields := make([]problem.FieldError, 0, len(ve))
	for _, e := range ve {
		fields = append(fields, fieldError(e))
	}
	return problem.Fields(fields...)
}

func fieldError(e validator.FieldError) problem.FieldError {
	// The namespace minus the root struct's name gives nested paths like "address.city".
	name := e.Namespace()
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	fe := problem.FieldError{Field: name}
	isString := e.Kind() == reflect.String
	switch e.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_without":
		fe.Code, fe.Key = "required", "field.required"
	case "max", "lte", "lt":
		if isString {
			fe.Code, fe.Key, fe.Args = "too_long", "field.too_long", []any{e.Param()}
		} else {
			fe.Code, fe.Key = "out_of_range", "field.out_of_range"
		}
	case "min", "gte", "gt":
		if isString {
			fe.Code, fe.Key, fe.Args = "too_short", "field.too_short", []any{e.Param()}
		} else {
			fe.Code, fe.Key = "out_of_range", "field.out_of_range"
		}
	case "oneof":
		fe.Code, fe.Key, fe.Args = "invalid_choice", "field.invalid_choice", []any{strings.Join(strings.Fields(e.Param()), ", ")}
	case "slug":
		fe.Code, fe.Key = "invalid_format", "field.slug"
	case "locale":
		fe.Code, fe.Key, fe.Args = "invalid_choice", "field.invalid_choice", []any{strings.Join(problem.Locales, ", ")}
	case "email", "url", "uuid", "e164", "datetime", "hexadecimal", "alphanum":
		fe.Code, fe.Key = "invalid_format", "field.invalid_format"
	default:
		fe.Code, fe.Key = "invalid", "field.invalid"
	}
	return fe
}

// Error helpers for handlers.

// ParseUUID parses an ID given in a query or body, as a field error when malformed.
func ParseUUID(field, raw string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, problem.Field(field, "invalid_format", "field.invalid_format")
	}
	return id, nil
}

// DecodeFresh decodes one JSON value strictly (unknown fields refused) into v. Types whose
// values sit in lists that PATCH bodies replace use it in their UnmarshalJSON through a plain
// alias type: encoding/json decodes a list into the elements already there, which would keep an
// old element's fields where the new one has none.
func DecodeFresh(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
