package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/httpkit"
)

// The OpenAPI 3.1 document is generated from the API's route table
// (Server.endpoints), the same table that registers the routes, so the two
// cannot diverge; a test also checks every documented path against the
// router.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI builds the document.
func (s *Server) openAPI() map[string]any {
	paths := map[string]any{}
	errorRef := map[string]any{"$ref": "#/components/schemas/Error"}
	for _, e := range s.endpoints() {
		op := map[string]any{"summary": e.Summary, "operationId": strings.ToLower(e.Method) + strings.NewReplacer("/", "_", "{", "", "}", "").Replace(e.Path)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(e.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range e.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if e.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schema(reflect.TypeOf(e.Request))}}}
		}
		responses := map[string]any{
			itoa(e.Status): map[string]any{"description": "success", "content": map[string]any{
				"application/json": map[string]any{"schema": schema(reflect.TypeOf(e.Response))}}},
			"default": map[string]any{"description": "an error with a stable code", "content": map[string]any{
				"application/json": map[string]any{"schema": errorRef}}},
		}
		op["responses"] = responses
		if e.Role != "" {
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
			op["description"] = "Needs the role " + e.Role + " or above: 401 without credentials, 403 with a lower role."
		}
		item, _ := paths[e.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[e.Path] = item
		}
		item[strings.ToLower(e.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "harmtrace API", "version": "1",
			"description": "Cyber incidents, their harm to people, and the cooperation-request check. Reads obey TLP 2.0 markings for the caller."},
		"paths": paths,
		"components": map[string]any{
			"schemas": map[string]any{"Error": schema(reflect.TypeOf(httpkit.APIError{}))},
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "an API token from harmtrace user token"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": httpkit.SessionCookie},
			},
		},
	}
}

func itoa(n int) string {
	if n == 0 {
		n = http.StatusOK
	}
	return strconv.Itoa(n)
}

// schema describes a Go type as a JSON Schema, from its JSON tags.
func schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(time.Time{}) {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schema(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				for k, v := range schema(f.Type)["properties"].(map[string]any) {
					props[k] = v
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schema(f.Type)
		}
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}
