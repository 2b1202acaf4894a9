package interchange

import (
	"bytes"
	"encoding/json"
)

// Detect names the format of data from its content, or "" when unknown.
func Detect(data []byte) string {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return ""
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(trimmed, &probe) != nil {
		return ""
	}
	if _, ok := probe["harmtrace"]; ok {
		return "harmtrace"
	}
	return ""
}
