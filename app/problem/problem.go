// Package problem is the one error type of the application.
//
// Services return *Error with a stable Code and a message key; the HTTP layer renders it as an
// RFC 9457 problem+json body in the user's language, in one place (see Render). Any other error
// that reaches the HTTP layer is an internal error: logged with its cause, shown without it.
package problem

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code. Clients switch on it; never rename one.
type Code string

const (
	Invalid         Code = "validation_failed"
	Unauthenticated Code = "unauthenticated"
	Forbidden       Code = "forbidden"
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	// Gone is a one-time link that was used, replaced or has expired.
	Gone            Code = "gone"
	LimitReached    Code = "limit_reached"
	RateLimited     Code = "rate_limited"
	TenantSuspended Code = "tenant_suspended"
	BadRequest      Code = "bad_request"
	TooLarge        Code = "payload_too_large"
	Unsupported     Code = "unsupported_media_type"
	Unavailable     Code = "unavailable"
	BadGateway      Code = "bad_gateway"
	Internal        Code = "internal"
)

var statusOf = map[Code]int{
	Invalid:         http.StatusUnprocessableEntity,
	Unauthenticated: http.StatusUnauthorized,
	Forbidden:       http.StatusForbidden,
	NotFound:        http.StatusNotFound,
	Conflict:        http.StatusConflict,
	Gone:            http.StatusGone,
	LimitReached:    http.StatusPaymentRequired,
	RateLimited:     http.StatusTooManyRequests,
	TenantSuspended: http.StatusLocked,
	BadRequest:      http.StatusBadRequest,
	TooLarge:        http.StatusRequestEntityTooLarge,
	Unsupported:     http.StatusUnsupportedMediaType,
	Unavailable:     http.StatusServiceUnavailable,
	BadGateway:      http.StatusBadGateway,
	Internal:        http.StatusInternalServerError,
}

// Status is the HTTP status for a code.
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldError is one invalid input field.
type FieldError struct {
	Field string `json:"field"`
	// Code is stable: required, invalid_format, too_long, too_short, out_of_range, invalid_choice,
	// unknown_field, invalid_type, taken, invalid.
	Code string `json:"code"`
	// Message is localized when rendered; Key and Args pick and fill it.
	Message string `json:"message"`
	Key     string `json:"-"`
	Args    []any  `json:"-"`
}

// Error is the application error. Key selects a localized message (see messages.go); Args fill
// its verbs. Cause is never shown to the user.
type Error struct {
	Code   Code
	Key    string
	Args   []any
	Fields []FieldError
	// Data is extra machine-readable detail rendered as the problem's "data" member, e.g. the
	// possible duplicates a create was stopped for.
	Data  any
	Cause error
}

func (e *Error) Error() string {
	msg := e.Key
	if m, ok := catalog[e.Key]; ok {
		msg = fmt.Sprintf(m.en, e.Args...)
	}
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, msg, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error with a code and a message key.
func New(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// Wrap returns an internal error that keeps cause for the log.
func Wrap(cause error, key string) *Error {
	return &Error{Code: Internal, Key: key, Cause: cause}
}

// Field returns a validation error about one field.
func Field(field, code, key string, args ...any) *Error {
	return &Error{Code: Invalid, Key: "validation_failed", Fields: []FieldError{{Field: field, Code: code, Key: key, Args: args}}}
}

// Fields returns a validation error about several fields.
func Fields(fe ...FieldError) *Error {
	return &Error{Code: Invalid, Key: "validation_failed", Fields: fe}
}

// NotFoundf is the answer for a missing record, and equally for another tenant's record.
func NotFoundf(entity string) *Error { return New(NotFound, "not_found", entity) }

// CodeOf returns the code of err, Internal for foreign errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
