// Package validate collects field-level validation errors, so that a bad
// record is refused with every field at fault named at once.
package validate

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
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

// Field size limits, in characters (docs/formats.md, "Limits"): a longer
// value is refused, in an import as in a form, so that one record cannot
// fill the store or every page that shows it.
const (
	// MaxName bounds names, titles, aliases, publishers and units.
	MaxName = 1_000
	// MaxURL bounds a source's URL.
	MaxURL = 2_048
	// MaxText bounds descriptions, summaries and an attribution's basis.
	MaxText = 100_000
	// MaxList bounds the entries of a list (aliases, countries, sources).
	MaxList = 10_000
	// MaxObject bounds, in bytes, a STIX object kept verbatim.
	MaxObject = 16 << 20
)

// Length records a problem with field when v is longer than max
// characters; the message gives the length, never the value.
func (e *Errors) Length(field, v string, max int) {
	if len(v) <= max { // bytes ≥ characters: most values stop here
		return
	}
	if n := utf8.RuneCountInString(v); n > max {
		e.Add(field, "is %d characters long; at most %d are allowed", n, max)
	}
}

// Lengths applies Length to each value of a list, and bounds its entries.
func (e *Errors) Lengths(field string, list []string, max int) {
	if len(list) > MaxList {
		e.Add(field, "has %d entries; at most %d are allowed", len(list), MaxList)
		return
	}
	for i, v := range list {
		e.Length(fmt.Sprintf("%s[%d]", field, i), v, max)
	}
}
