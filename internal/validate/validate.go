// Package validate collects field-level validation errors, so that a bad
// record is refused with every field at fault named at once.
package validate

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem with one field of a record.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Message) }

// Errors is the list of problems of one record; a nil or empty list means
// the record is valid.
type Errors []FieldError

// Add records a problem with a field.
func (e *Errors) Add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records err, when not nil, as a problem with field.
func (e *Errors) Check(field string, err error) {
	if err != nil {
		e.Add(field, "%s", err.Error())
	}
}

// Err returns nil when there is no problem, and the list otherwise.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// RecordError names the record (and, through its cause, the fields) at
// fault: "incidents.json: record 3 (incident--…): field "tlp": …".
type RecordError struct {
	File   string
	Record string
	Err    error
}

func (e *RecordError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Record != "" {
		b.WriteString(e.Record)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RecordError) Unwrap() error { return e.Err }

// Fields returns the field errors inside err, if any.
func Fields(err error) Errors {
	var fe Errors
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}
