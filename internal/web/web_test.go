package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/web"
)

func newServer(t *testing.T) http.Handler {
	t.Helper()
	h, err := web.New(dbtest.SQLite(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func readFile(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestScenarios sends requests through the real router and checks status,
// content type and body.
func TestScenarios(t *testing.T) {
	form := url.Values{"requesting_state": {"BR"}, "requested_state": {"PT"}, "measure": {"extradition"},
		"conduct": {"insulting-officials"}, "target": {"journalist"}, "penalty_requesting": {"5"}, "purpose": {"posts"}}
	production := url.Values{"requesting_state": {"IN"}, "requested_state": {"CN"}, "measure": {"production-order"},
		"conduct": {"fraud"}, "target": {"none"}, "victim": {"individual"}, "data_categories": {"subscriber"},
		"assurances": {"safeguards-in-law"}, "use_limits": {"stated-proceedings-only"}, "onward_transfer": {"prior-authorisation"},
		"purpose": {"identify an account"}}
	tests := []struct {
		name, method, path, body, contentType string
		header                                map[string]string
		status                                int
		wantType                              string
		want                                  []string
	}{
		{"health", "GET", "/healthz", "", "", nil, 200, "text/plain", []string{"ok"}},
		{"dashboard", "GET", "/", "", "", nil, 200, "text/html", []string{"No cyberattacks match", `id="incidents"`}},
		{"stylesheet", "GET", "/static/style.css", "", "", nil, 200, "text/css", []string{"--accent"}},
		{"check form", "GET", "/check-request", "", "", nil, 200, "text/html", []string{`name="measure"`, "insulting-officials"}},
		{"check form posted", "POST", "/check-request", form.Encode(), "application/x-www-form-urlencoded", nil, 200, "text/html",
			[]string{`id="outcome">refuse-recommended`, "UNCC 6(2)", "(unverified)", "Budapest 24(5)", "checked against ETS No. 185",
				"not binding between these states: UNCC", `id="applicability"`}},
		{"check form between states bound by neither Convention", "POST", "/check-request", production.Encode(),
			"application/x-www-form-urlencoded", nil, 200, "text/html", []string{`id="outcome">no-treaty-basis`,
				"none: depends on bilateral or domestic law", `value="prior-authorisation" selected`, `value="safeguards-in-law" checked`}},
		{"check form with a bad state", "POST", "/check-request", "requesting_state=UK&requested_state=DE&measure=extradition&conduct=fraud",
			"application/x-www-form-urlencoded", nil, 422, "text/html", []string{`key &#34;requesting_state&#34;`, `the United Kingdom is &#34;GB&#34;`}},
		{"api check", "POST", "/api/v1/check-request", readFile(t, "../treaty/testdata/fraud-interception.json"), "application/json", nil,
			200, "application/json", []string{`"outcome": "refuse-recommended"`, `"rule": "intrusive-measures"`, `"UNCC 30(1)"`,
				`"basis": "policy"`, `"binds_both": true`, `"paraphrase"`, `"verification"`}},
		{"api check with an unknown key", "POST", "/api/v1/check-request", `{"requesting_state":"FR","requested_state":"DE","measure":"extradition","conduct":["fraud"],"urgency":1}`,
			"application/json", nil, 422, "application/json", []string{`"code": "invalid_request"`, "urgency"}},
		{"cross-site post refused", "POST", "/api/v1/check-request", "{}", "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"},
			403, "", nil},
		{"unknown page", "GET", "/nope", "", "", nil, 404, "", nil},
	}
	h := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %.300s", rec.Code, tt.status, rec.Body.String())
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantType) {
				t.Errorf("content type %q, want %q", rec.Header().Get("Content-Type"), tt.wantType)
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body lacks %q: %.500s", w, rec.Body.String())
				}
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("X-Content-Type-Options missing")
			}
		})
	}
}
