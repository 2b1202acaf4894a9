package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
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

var filterParams = []string{"sector", "country", "attack_type", "actor", "campaign", "since", "until", "determination", "q"}

// endpoints is the JSON API: every route, its role and its types. It both
// registers the routes and generates /api/v1/openapi.json.
func (s *Server) endpoints() []endpoint {
	return []endpoint{
		{method: "GET", path: "/api/v1/incidents", summary: "List the incidents the caller may see, filtered like the dashboard",
			query: append(filterParams, "page", "per_page"), response: incidentList{}, handler: s.apiIncidents},
		{method: "GET", path: "/api/v1/incidents/{id}", summary: "One incident with its harms and attributions",
			response: incidentDetail{}, handler: s.apiIncident},
		{method: "POST", path: "/api/v1/incidents", summary: "Create an incident, owned by the caller's organisation", role: "analyst",
			request: trace.Incident{}, response: trace.Incident{}, status: http.StatusCreated, handler: s.apiCreateIncident},
		{method: "POST", path: "/api/v1/organisations", summary: "Create an organisation", role: "analyst",
			request: trace.Organisation{}, response: trace.Organisation{}, status: http.StatusCreated, handler: s.apiCreateOrganisation},
		{method: "POST", path: "/api/v1/sources", summary: "Create a source", role: "analyst",
			request: trace.Source{}, response: trace.Source{}, status: http.StatusCreated, handler: s.apiCreateSource},
		{method: "POST", path: "/api/v1/harms", summary: "Record a harm figure of an incident the caller may see", role: "analyst",
			request: harm.Harm{}, response: harm.Harm{}, status: http.StatusCreated, handler: s.apiCreateHarm},
		{method: "GET", path: "/api/v1/actors/{id}", summary: "One threat actor", response: trace.Actor{}, handler: s.apiActor},
		{method: "GET", path: "/api/v1/report", summary: "The figures of the incidents the caller may see", query: filterParams,
			response: report.Report{}, handler: s.apiReport},
		{method: "POST", path: "/api/v1/check-request", summary: "Check a cooperation request against the Conventions",
			request: treaty.Request{}, response: treaty.Result{}, handler: s.apiCheckRequest},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This document", response: map[string]any{}, handler: s.apiOpenAPI},
	}
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
	rows, total, err := report.ListIncidents(r.Context(), s.store, filterOf(r), perPage, (page-1)*perPage)
	if err != nil {
		return writeJSON(w, http.StatusUnprocessableEntity, apiError{Code: "invalid_filter", Message: err.Error()})
	}
	out := incidentList{Items: []trace.Incident{}, Total: total, Page: page, PerPage: perPage}
	for _, row := range rows {
		in, err := trace.GetIncident(r.Context(), s.store, row.ID)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, *in)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	visible, err := report.Visible(ctx, s.store, *accessOf(r), id)
	if err != nil {
		return err
	}
	if !visible {
		return writeJSON(w, http.StatusNotFound, apiError{Code: "not_found", Message: "no such incident"})
	}
	in, err := trace.GetIncident(ctx, s.store, id)
	if err != nil {
		return err
	}
	d := incidentDetail{Incident: *in}
	if d.Harms, err = harm.OfIncident(ctx, s.store, id); err != nil {
		return err
	}
	if d.Attributions, err = trace.AttributionsOf(ctx, s.store, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiActor(w http.ResponseWriter, r *http.Request) error {
	a, err := trace.GetActor(r.Context(), s.store, r.PathValue("id"))
	if errors.Is(err, db.ErrNotFound) {
		return writeJSON(w, http.StatusNotFound, apiError{Code: "not_found", Message: "no such actor"})
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := report.Compute(r.Context(), s.store, filterOf(r))
	if err != nil {
		return writeJSON(w, http.StatusUnprocessableEntity, apiError{Code: "invalid_filter", Message: err.Error()})
	}
	return writeJSON(w, http.StatusOK, rep)
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

// create decodes a record, saves it in one write by the caller, and
// answers 201 with it, or 422 naming the fields at fault.
func (s *Server) create(w http.ResponseWriter, r *http.Request, rec any, save func(tx *db.Tx) error) error {
	if err := decode(w, r, rec); err != nil {
		return writeJSON(w, http.StatusUnprocessableEntity, fieldError{Code: "invalid_json", Message: err.Error()})
	}
	err := s.store.Write(r.Context(), db.Author{Who: viewer(r).Email, Why: "api " + r.URL.Path}, save)
	if fields := validate.Fields(err); fields != nil {
		return writeJSON(w, http.StatusUnprocessableEntity, fieldError{Code: "invalid_record", Message: "the record is not valid", Fields: fields})
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rec)
}

func (s *Server) apiCreateIncident(w http.ResponseWriter, r *http.Request) error {
	var in trace.Incident
	return s.create(w, r, &in, func(tx *db.Tx) error {
		in.ID = ""                  // the store gives the id
		in.Owner = viewer(r).TeamID // an incident belongs to its creator's organisation
		_, err := trace.SaveIncident(r.Context(), tx, &in)
		return err
	})
}

func (s *Server) apiCreateOrganisation(w http.ResponseWriter, r *http.Request) error {
	var o trace.Organisation
	return s.create(w, r, &o, func(tx *db.Tx) error {
		o.ID = ""
		_, err := trace.SaveOrganisation(r.Context(), tx, &o)
		return err
	})
}

func (s *Server) apiCreateSource(w http.ResponseWriter, r *http.Request) error {
	var src trace.Source
	return s.create(w, r, &src, func(tx *db.Tx) error {
		src.ID = ""
		_, err := trace.SaveSource(r.Context(), tx, &src)
		return err
	})
}

func (s *Server) apiCreateHarm(w http.ResponseWriter, r *http.Request) error {
	var h harm.Harm
	return s.create(w, r, &h, func(tx *db.Tx) error {
		// A harm may only be added to an incident the caller may see.
		visible, err := report.Visible(r.Context(), tx, *accessOf(r), h.IncidentID)
		if err != nil {
			return err
		}
		if !visible {
			return validate.Errors{{Field: "incident_id", Message: "no incident with this id"}}
		}
		h.ID = ""
		_, err = harm.Save(r.Context(), tx, &h)
		return err
	})
}

// routeAPI registers every endpoint of the table behind the role check.
func (s *Server) routeAPI(mux *http.ServeMux) {
	for _, e := range s.endpoints() {
		pattern := e.method + " " + e.path
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
		"Filters": strings.Join(filterParams, ", ")}))
}
