package backup

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// appendValue writes v, as read from the store, as the JSON value of its
// column's kind: text a string, integer and real a number, boolean true or
// false (SQLite keeps 0 and 1), blob a base64 string, NULL null.
func appendValue(b []byte, kind string, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch kind {
	case Text:
		switch x := v.(type) {
		case string:
			return appendString(b, x)
		case []byte:
			return appendString(b, string(x))
		}
	case Integer:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(b, x, 10), nil
		}
	case Boolean:
		switch x := v.(type) {
		case bool:
			return strconv.AppendBool(b, x), nil
		case int64:
			if x == 0 || x == 1 {
				return strconv.AppendBool(b, x == 1), nil
			}
		}
	case Real:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		default:
			return nil, fmt.Errorf("%T is not a real number", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%v has no JSON form", f)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64), nil
	case Blob:
		switch x := v.(type) {
		case []byte:
			return strconv.AppendQuote(b, base64.StdEncoding.EncodeToString(x)), nil
		case string:
			return strconv.AppendQuote(b, base64.StdEncoding.EncodeToString([]byte(x))), nil
		}
	}
	return nil, fmt.Errorf("a %T value (%.40v) in a %s column", v, v, kind)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string, escaping only what JSON requires.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("text that is not UTF-8")
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// decodeValue turns a JSON value of a backup back into what the store
// takes for a column of kind target (the backup's kind is from).
func decodeValue(v any, from, target string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch from {
	case Text:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case Integer:
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			if err != nil {
				return nil, err
			}
			if target == Boolean {
				return i != 0, nil
			}
			return i, nil
		}
	case Boolean:
		if x, ok := v.(bool); ok {
			if target == Integer {
				if x {
					return int64(1), nil
				}
				return int64(0), nil
			}
			return x, nil
		}
	case Real:
		if n, ok := v.(json.Number); ok {
			return n.Float64()
		}
	case Blob:
		if s, ok := v.(string); ok {
			return base64.StdEncoding.DecodeString(s)
		}
	}
	return nil, fmt.Errorf("%T value %.40v is not %s", v, v, from)
}
