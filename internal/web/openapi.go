package web

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The OpenAPI 3.1 document is generated from the API's route table
// (Server.endpoints), the same table that registers the routes, so the two
// cannot diverge; a test also checks every documented path against the
// router.

// endpoint is one route of the JSON API.
type endpoint struct {
	method, path, summary string
	// role is the least role that may call it; "" for anyone.
	role     string
	query    []string
	request  any // a value of the request body's type, or nil
	response any // a value of the response body's type
	status   int // the success status
	handler  func(w http.ResponseWriter, r *http.Request) error
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI builds the document.
func (s *Server) openAPI() map[string]any {
	paths := map[string]any{}
	errorRef := map[string]any{"$ref": "#/components/schemas/Error"}
	for _, e := range s.endpoints() {
		op := map[string]any{"summary": e.summary, "operationId": strings.ToLower(e.method) + strings.NewReplacer("/", "_", "{", "", "}", "").Replace(e.path)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(e.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range e.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if e.request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schema(reflect.TypeOf(e.request))}}}
		}
		responses := map[string]any{
			itoa(e.status): map[string]any{"description": "success", "content": map[string]any{
				"application/json": map[string]any{"schema": schema(reflect.TypeOf(e.response))}}},
			"default": map[string]any{"description": "an error with a stable code", "content": map[string]any{
				"application/json": map[string]any{"schema": errorRef}}},
		}
		op["responses"] = responses
		if e.role != "" {
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
			op["description"] = "Needs the role " + e.role + " or above: 401 without credentials, 403 with a lower role."
		}
		item, _ := paths[e.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[e.path] = item
		}
		item[strings.ToLower(e.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "harmtrace API", "version": "1",
			"description": "Cyber incidents, their harm to people, and the cooperation-request check. Reads obey TLP 2.0 markings for the caller."},
		"paths": paths,
		"components": map[string]any{
			"schemas": map[string]any{"Error": schema(reflect.TypeOf(apiError{}))},
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "an API token from harmtrace user token"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
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
