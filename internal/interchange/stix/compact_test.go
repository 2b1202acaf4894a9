package stix

import (
	"bytes"
	"encoding/json"
	"testing"
)

// compact must give what json.Compact gives for any valid JSON.
func FuzzCompact(f *testing.F) {
	for _, s := range []string{`{"a": "b c", "d": [1, 2, {"e": "\"q\" \\"}]}`, "{\n\t\"x\" : \"\\\\\" ,\r\n \"y\": \" \\\" \" }",
		`"plain"`, `[ ]`, `{"u": "\u00e9 \\u0020"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got := compact(json.RawMessage(s)); string(got) != want.String() {
			t.Errorf("compact(%q) = %q, want %q", s, got, want.String())
		}
	})
}
