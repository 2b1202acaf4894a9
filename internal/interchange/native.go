package interchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeNative reads a harmtrace JSON file. Unknown keys are errors, so a
// typing mistake is never silently dropped.
func DecodeNative(data []byte, file string) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, jsonError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: unexpected data after the JSON document", file)
	}
	if doc.Format != FormatVersion {
		return nil, fmt.Errorf("%s: key \"harmtrace\" must be %q (the format version), got %q", file, FormatVersion, doc.Format)
	}
	return &doc, nil
}

// EncodeNative writes doc as a harmtrace JSON file.
func EncodeNative(w io.Writer, doc *Document) error {
	doc.Format = FormatVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// jsonError adds the line and column to a decoding error, and names the
// record and field for type errors.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		return fmt.Errorf("line %d, column %d: %v", line, col, syntax)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Errorf("line %d, column %d: field %q: cannot use a JSON %s as %s", line, col, typ.Field, typ.Value, typ.Type)
	}
	return err
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
