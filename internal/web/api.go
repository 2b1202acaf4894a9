package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/treaty"
	"github.com/harmtrace/harmtrace/internal/validate"
)

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

// fieldError is the body of a 422 for a record: which fields and why.
type fieldError struct {
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Fields  []validate.FieldError `json:"fields,omitempty"`
}

// endpoints is the JSON API: every route, its role and its types. It both
// registers the routes and generates /api/v1/openapi.json.
func (s *Server) endpoints() []endpoint {
	return append([]endpoint{
		{method: "GET", path: "/api/v1/incidents", summary: "List the incidents the caller may see, filtered like the dashboard",
			query: append(httpkit.FilterParams, "page", "per_page"), response: incidentList{}, handler: s.apiIncidents},
		{method: "GET", path: "/api/v1/incidents/{id}", summary: "One incident with its harms and attributions",
			response: incidentDetail{}, handler: s.apiIncident},
		{method: "GET", path: "/api/v1/report", summary: "The figures of the incidents the caller may see", query: httpkit.FilterParams,
			response: report.Report{}, handler: s.apiReport},
		{method: "POST", path: "/api/v1/check-request", summary: "Check a cooperation request against the Conventions",
			request: treaty.Request{}, response: treaty.Result{}, handler: s.apiCheckRequest},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This document", response: map[string]any{}, handler: s.apiOpenAPI},
	}, append(append(s.recordEndpoints(), s.suggestionEndpoints()...), victimEndpoints()...)...)
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.openAPI())
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
		return writeJSON(w, http.StatusUnprocessableEntity, apiError{Code: "invalid_filter", Message: err.Error()})
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
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) error {
	view, err := s.incidentView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if view == nil {
		return writeJSON(w, http.StatusNotFound, apiError{Code: "not_found", Message: "no such incident"})
	}
	d := incidentDetail{Incident: view.Incidents[0], Harms: view.Harms, Attributions: []trace.Attribution{}}
	for _, a := range view.Attributions {
		if a.IncidentID == d.ID {
			d.Attributions = append(d.Attributions, a)
		}
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reports.Report(r.Context(), httpkit.FilterOf(r))
	if errors.Is(err, report.ErrFilter) {
		return writeJSON(w, http.StatusUnprocessableEntity, apiError{Code: "invalid_filter", Message: err.Error()})
	}
	if err != nil {
		return err
	}
	// A kept report is shared: the absolute method URL goes on a copy.
	answer := *rep
	answer.MethodURL = absolute(r, rep.MethodURL)
	return writeJSON(w, http.StatusOK, answer)
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

// decode reads a JSON body strictly into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body is not the expected JSON: %w", err)
	}
	return nil
}

// routeAPI registers every endpoint of the table behind the role check.
func (s *Server) routeAPI(mux *router) {
	for _, e := range s.endpoints() {
		pattern := e.method + " " + e.path
		if e.handler == nil {
			continue // registered by its own surface (victimEndpoints)
		}
		if e.role == "" {
			mux.Handle(pattern, s.handle(e.handler))
		} else {
			mux.Handle(pattern, s.require(e.role, e.handler))
		}
	}
	mux.Handle("/api/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusNotFound, apiError{Code: "not_found", Message: "no such endpoint: see /api/v1/openapi.json"})
	}))
}

// apiPaths lists "METHOD path" of every endpoint, for the docs page.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) error {
	type row struct{ Method, Path, Summary, Role string }
	var rows []row
	for _, e := range s.endpoints() {
		role := e.role
		if role == "" {
			role = "anyone"
		}
		rows = append(rows, row{e.method, e.path, e.summary, role})
	}
	return s.render(w, http.StatusOK, "apidocs.html", s.page(r, "API", map[string]any{"Endpoints": rows,
		"Filters": strings.Join(httpkit.FilterParams, ", ")}))
}
