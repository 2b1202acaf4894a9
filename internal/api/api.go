// Package api is harmtrace's JSON API under /api/v1: incidents, the
// report, every kind of record (read, list, create, change, delete, with
// the workspace's forms and rules, internal/records), the history of a
// record and the cooperation-request check. One route table (endpoints)
// registers the routes behind their roles and generates the API page
// (/api) and the OpenAPI document (openapi.go); the endpoints that other
// surfaces register themselves are listed in it for the documents.
package api

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/treaty"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Server serves the API.
type Server struct {
	log     *slog.Logger
	store   *db.DB
	index   *report.Index
	reports *httpkit.Reports
	pages   *template.Template
	others  []httpkit.Endpoint
}

// Options are what the API shares with the other surfaces.
type Options struct {
	// Index answers filters and lists (report.Index).
	Index *report.Index
	// Reports keeps the figures of each filter, shared with the dashboard.
	Reports *httpkit.Reports
	// Endpoints are the API endpoints of other surfaces: each is listed in
	// the documents, and registered here behind its role when it has a
	// Handler (else its surface registers it).
	Endpoints []httpkit.Endpoint
}

// New returns the API of store (store nil: the routes only).
func New(log *slog.Logger, store *db.DB, opts Options) (*Server, error) {
	pages, err := httpkit.ParsePages(nil, templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Server{log: log, store: store, index: opts.Index, reports: opts.Reports, pages: pages, others: opts.Endpoints}, nil
}

// incidentList is a page of incidents.
type incidentList struct {
	Items   []trace.Incident `json:"items"`
	Total   int              `json:"total"`
	Page    int              `json:"page"`
	PerPage int              `json:"per_page"`
}

// incidentDetail is an incident with its harms and attributions.
type incidentDetail struct {
	trace.Incident
	Harms        []harm.Harm         `json:"harms"`
	Attributions []trace.Attribution `json:"attributions"`
}

// endpoints is the JSON API: every route, its role and its types. It both
// registers the routes and generates /api/v1/openapi.json.
func (s *Server) endpoints() []httpkit.Endpoint {
	return append(append([]httpkit.Endpoint{
		{Method: "GET", Path: "/api/v1/incidents", Summary: "List the incidents the caller may see, filtered like the dashboard",
			Query: append(httpkit.FilterParams, "page", "per_page"), Response: incidentList{}, Handler: s.apiIncidents},
		{Method: "GET", Path: "/api/v1/incidents/{id}", Summary: "One incident with its harms and attributions",
			Response: incidentDetail{}, Handler: s.apiIncident},
		{Method: "GET", Path: "/api/v1/report", Summary: "The figures of the incidents the caller may see", Query: httpkit.FilterParams,
			Response: report.Report{}, Handler: s.apiReport},
		{Method: "POST", Path: "/api/v1/check-request", Summary: "Check a cooperation request against the Conventions",
			Request: treaty.Request{}, Response: treaty.Result{}, Handler: s.apiCheckRequest},
		{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This document", Response: map[string]any{}, Handler: s.apiOpenAPI},
	}, s.recordEndpoints()...), s.others...)
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	return httpkit.WriteJSON(w, http.StatusOK, s.openAPI())
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) error {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	page, perPage = max(page, 1), min(max(perPage, 1), 200)
	if r.URL.Query().Get("per_page") == "" {
		perPage = 50
	}
	rows, total, err := s.index.ListIncidents(r.Context(), s.store, httpkit.FilterOf(r), perPage, (page-1)*perPage)
	if errors.Is(err, report.ErrFilter) {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.APIError{Code: "invalid_filter", Message: err.Error()})
	}
	if err != nil {
		return err
	}
	out := incidentList{Items: []trace.Incident{}, Total: total, Page: page, PerPage: perPage}
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	doc, err := interchange.LoadIncidents(r.Context(), s.store, httpkit.ExportScope(r), ids)
	if err != nil {
		return err
	}
	out.Items = append(out.Items, doc.Incidents...)
	return httpkit.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) error {
	view, err := records.IncidentView(r, s.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	if view == nil {
		return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.APIError{Code: "not_found", Message: "no such incident"})
	}
	d := incidentDetail{Incident: view.Incidents[0], Harms: view.Harms, Attributions: []trace.Attribution{}}
	for _, a := range view.Attributions {
		if a.IncidentID == d.ID {
			d.Attributions = append(d.Attributions, a)
		}
	}
	return httpkit.WriteJSON(w, http.StatusOK, d)
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reports.Report(r.Context(), httpkit.FilterOf(r))
	if errors.Is(err, report.ErrFilter) {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.APIError{Code: "invalid_filter", Message: err.Error()})
	}
	if err != nil {
		return err
	}
	// A kept report is shared: the absolute method URL goes on a copy.
	answer := *rep
	answer.MethodURL = absolute(r, rep.MethodURL)
	return httpkit.WriteJSON(w, http.StatusOK, answer)
}

// absolute makes a path of this server an absolute URL, so that a quote
// of an API answer still leads to the page.
func absolute(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: path}).String()
}

// Routes registers the API page and every endpoint of the table with a
// handler, behind the role check; any other path under /api/ answers a
// JSON 404.
func (s *Server) Routes(mux httpkit.Router) {
	mux.Handle("GET /api", httpkit.Handle(s.log, s.apiDocs))
	for _, e := range s.endpoints() {
		if e.Handler == nil {
			continue // registered by its own surface
		}
		h := e.Handler
		if e.Role != "" {
			h = httpkit.Require(s.pages, e.Role, h)
		}
		mux.Handle(e.Method+" "+e.Path, httpkit.Handle(s.log, h))
	}
	mux.Handle("/api/", httpkit.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.APIError{Code: "not_found", Message: "no such endpoint: see /api/v1/openapi.json"})
	}))
}

// apiDocs is the API page: every endpoint of the table.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) error {
	type row struct{ Method, Path, Summary, Role string }
	var rows []row
	for _, e := range s.endpoints() {
		role := e.Role
		if role == "" {
			role = "anyone"
		}
		rows = append(rows, row{e.Method, e.Path, e.Summary, role})
	}
	return httpkit.Render(w, s.pages, http.StatusOK, "apidocs.html", httpkit.Page(r, "API", map[string]any{"Endpoints": rows,
		"Filters": strings.Join(httpkit.FilterParams, ", ")}))
}

// apiCheckRequest is POST /api/v1/check-request: the same JSON as the CLI
// takes, the same result.
func (s *Server) apiCheckRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := treaty.DecodeRequest(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.APIError{Code: "invalid_request", Message: err.Error()})
	}
	res, err := treaty.Check(r.Context(), s.store, req)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, res)
}
