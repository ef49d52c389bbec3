// Package frontdesk holds the domain of Frontdesk: people, organizations, sites, their states,
// roles and permissions, and the rules that keep them valid. It knows nothing of SQL or HTTP;
// the store package keeps these types and the api package serves them.
package frontdesk

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error; the API derives its HTTP status from it in one place.
type Code string

// Error codes.
const (
	EInvalid Code = "invalid"
	// EMalformed is a request that cannot be read at all, such as a body that is not valid
	// UTF-8; EInvalid is one that was read and is wrong.
	EMalformed    Code = "malformed"
	ENotFound     Code = "not_found"
	EConflict     Code = "conflict"
	EForbidden    Code = "forbidden"
	EUnauthorized Code = "unauthorized"
	ETooLarge     Code = "too_large"
	EMethod       Code = "method_not_allowed"
	ETooMany      Code = "too_many_requests"
	EInternal     Code = "internal"
)

// FieldError says what is wrong with one field of an input.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an error meant for the caller: a code, a message safe to show, and the fields at
// fault. Anything else (a driver error, a panic) is internal and is logged, never shown.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Extra carries structured facts a client can act on, such as the id of the person that
	// already owns an address (P5).
	Extra map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// Errorf returns an *Error with the given code and message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EInternal for errors that are not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Problems collects every problem of an input, so that a client can fix them all at once.
type Problems []FieldError

// Add records that field is wrong and why.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has a problem.
func (p Problems) Has(field string) bool {
	for _, f := range p {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns nil when there is no problem, else an EInvalid *Error listing them all.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "the input has invalid fields", Fields: p}
}

// InvalidField is a shortcut for an EInvalid error about one field.
func InvalidField(field, format string, args ...any) *Error {
	var p Problems
	p.Add(field, format, args...)
	return p.Err().(*Error)
}
