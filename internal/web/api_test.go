package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/web"
)

func TestAPIScenarios(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	tokens := map[string]string{}
	var sourceID, clearID string
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for email, role := range map[string]string{"analyst@a.example": "analyst", "viewer@a.example": "viewer"} {
			if _, _, err := account.AddUser(ctx, tx, email, role, "Team A", ""); err != nil {
				return err
			}
			tok, err := account.NewToken(ctx, tx, email, role, "test")
			if err != nil {
				return err
			}
			tokens[role] = tok
		}
		src := &trace.Source{Title: "A source", Kind: "news", TLP: "clear"}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		sourceID = src.ID
		in := &trace.Incident{Title: "Public attack", AttackTypes: []string{"ddos"}, Determination: "confirmed", TLP: "clear", SourceIDs: []string{src.ID}}
		_, err := trace.SaveIncident(ctx, tx, in)
		clearID = in.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: content type %q", method, path, rec.Header().Get("Content-Type"))
		}
		return rec.Code, rec.Body.String()
	}
	newIncident := `{"title": "Amber attack on a shelter", "attack_types": ["ransomware"], "determination": "suspected", "tlp": "amber", "source_ids": ["` + sourceID + `"]}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"openapi", "GET", "/api/v1/openapi.json", "", "", 200, `"openapi": "3.1.0"`},
		{"public list shows clear only", "GET", "/api/v1/incidents", "", "", 200, `"total": 1`},
		{"public incident", "GET", "/api/v1/incidents/" + clearID, "", "", 200, `"Public attack"`},
		{"unauthenticated write", "POST", "/api/v1/incidents", "", newIncident, 401, `"code": "unauthenticated"`},
		{"write above the role", "POST", "/api/v1/incidents", "viewer", newIncident, 403, `"code": "forbidden"`},
		{"invalid record names its fields", "POST", "/api/v1/incidents", "analyst", `{"title": "x", "tlp": "orange"}`, 422, `"field": "tlp"`},
		{"unknown key", "POST", "/api/v1/incidents", "analyst", `{"title": "x", "colour": "red"}`, 422, `"code": "invalid_json"`},
		{"bad filter", "GET", "/api/v1/incidents?attack_type=hacking", "", "", 422, `"code": "invalid_filter"`},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", "", 404, `"code": "not_found"`},
		{"report", "GET", "/api/v1/report", "", "", 200, `"headline"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(tt.method, tt.path, tokens[tt.token], tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %.300s; want %d with %s", code, body, tt.status, tt.want)
			}
			if strings.Contains(body, "sql") || strings.Contains(body, "SQLITE") {
				t.Errorf("an error leaks internal detail: %s", body)
			}
		})
	}
	// The analyst creates an amber incident: theirs to see, nobody else's.
	code, body := call("POST", "/api/v1/incidents", tokens["analyst"], newIncident)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	var created trace.Incident
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.Owner == "" {
		t.Fatalf("created = %+v, %v; want an owner", created, err)
	}
	if code, _ := call("GET", "/api/v1/incidents/"+created.ID, tokens["viewer"], ""); code != 200 {
		t.Errorf("a viewer of the owning team: %d", code)
	}
	if code, _ := call("GET", "/api/v1/incidents/"+created.ID, "", ""); code != 404 {
		t.Errorf("the public sees an amber incident: %d", code)
	}
	if _, body := call("GET", "/api/v1/report", "", ""); !strings.Contains(body, `"incidents": 1`) {
		t.Errorf("the public report counts the amber incident: %.200s", body)
	}
}

// TestOpenAPIMatchesTheRoutes calls every documented operation: none may
// be missing from the router.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	store := dbtest.SQLite(t)
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.OpenAPI != "3.1.0" || len(doc.Paths) < 5 {
		t.Fatalf("document: %v %+v", err, doc)
	}
	validateOpenAPI(t, rec.Body.Bytes())
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Responses map[string]any `json:"responses"`
				Summary   string         `json:"summary"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || len(op.Responses) == 0 || op.Summary == "" {
				t.Errorf("%s %s: incomplete operation", method, path)
			}
			concrete := strings.ReplaceAll(strings.ReplaceAll(path, "{id}", "incident--00000000-0000-4000-8000-000000000000"), "{", "")
			req := httptest.NewRequest(strings.ToUpper(method), concrete, strings.NewReader("{}"))
			r := httptest.NewRecorder()
			h.ServeHTTP(r, req)
			var body struct{ Code string }
			_ = json.Unmarshal(r.Body.Bytes(), &body)
			if r.Code == http.StatusNotFound && body.Code == "not_found" && strings.Contains(r.Body.String(), "no such endpoint") {
				t.Errorf("%s %s is documented but not routed", method, path)
			}
		}
	}
}

// validateOpenAPI checks the document against the OpenAPI 3.1 schema of
// the OpenAPI Initiative (testdata/openapi).
func validateOpenAPI(t *testing.T, body []byte) {
	t.Helper()
	f, err := os.Open("testdata/openapi/schema-3.1.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://spec.openapis.org/oas/3.1/schema/2021-04-15"
	if err := c.AddResource(url, meta); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("the OpenAPI document is not valid OpenAPI 3.1: %v", err)
	}
}

// TestEveryAPIRouteIsDocumented: a route under /api/v1 that the OpenAPI
// document lacks fails, whichever surface registers it.
func TestEveryAPIRouteIsDocumented(t *testing.T) {
	store := dbtest.SQLite(t)
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, route := range web.Routes() {
		method, path, ok := strings.Cut(route, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is routed but not in the OpenAPI document", route)
		}
	}
}
