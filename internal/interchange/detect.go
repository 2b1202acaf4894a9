package interchange

import (
	"bytes"
	"encoding/json"
	"strings"
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
	var typ, id string
	_ = json.Unmarshal(probe["type"], &typ)
	_ = json.Unmarshal(probe["id"], &id)
	if typ == "bundle" || (typ != "" && strings.HasPrefix(id, typ+"--")) {
		return "stix"
	}
	return ""
}
