package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// The API's record endpoints reuse the workspace's record kinds
// (records.Forms): the same lookups, the same saving rules (a new incident
// belongs to its creator's organisation, a harm or an attribution only to
// an incident the caller may see) and the same validation.

// recordList is a page of records of one kind.
type recordList[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// listers are the kinds whose records can be listed, with their item type.
var listers = map[string]any{
	"organisations": recordList[trace.Organisation]{}, "sources": recordList[trace.Source]{},
	"actors": recordList[trace.Actor]{}, "campaigns": recordList[trace.Campaign]{},
}

// recordEndpoints are the create, read, update and list endpoints of every
// kind of record, and the history of any record.
func (s *Server) recordEndpoints() []httpkit.Endpoint {
	var out []httpkit.Endpoint
	forms := records.Forms(access.Public) // for their labels and types
	for _, kind := range []string{"incidents", "harms", "attributions", "organisations", "sources", "actors", "campaigns"} {
		f := forms[kind]
		path := "/api/v1/" + kind
		if kind != "incidents" { // incidents have their own list and read, with harms and attributions
			out = append(out, httpkit.Endpoint{Method: "GET", Path: path + "/{id}", Summary: "One " + f.Label,
				Response: f.Zero(), Handler: s.apiGetRecord(kind)})
		}
		if lister, ok := listers[kind]; ok {
			out = append(out, httpkit.Endpoint{Method: "GET", Path: path, Summary: "List " + kind + " by name; q filters by name",
				Query: []string{"q", "page", "per_page"}, Response: lister, Handler: s.apiListRecords(kind)})
		}
		out = append(out,
			httpkit.Endpoint{Method: "POST", Path: path, Summary: "Create a " + f.Label, Role: "analyst",
				Request: f.Zero(), Response: f.Zero(), Status: http.StatusCreated, Handler: s.apiCreateRecord(kind)},
			httpkit.Endpoint{Method: "PATCH", Path: path + "/{id}", Role: "analyst", Request: f.Zero(), Response: f.Zero(),
				Summary: "Change the fields of a " + f.Label + " that the body gives; the others stay", Handler: s.apiPatchRecord(kind)})
		if f.Remove != nil {
			out = append(out, httpkit.Endpoint{Method: "DELETE", Path: path + "/{id}", Role: "analyst", Query: []string{"reason"},
				Response: deleted{}, Handler: s.apiDeleteRecord(kind),
				Summary: "Delete a " + f.Label + "; its last version stays in the history with the reason"})
		}
	}
	return append(out, httpkit.Endpoint{Method: "GET", Path: "/api/v1/revisions/{id}", Summary: "The history of any record the caller may see (for the public: when, why and which fields, without authors or values)",
		Response: []revision.Revision{}, Handler: s.apiRevisions})
}

func (s *Server) apiGetRecord(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		rec, err := records.Stored(r.Context(), s.store, httpkit.Access(r), records.Forms(httpkit.Access(r))[kind], r.PathValue("id"))
		if err != nil {
			return err
		}
		if rec == nil {
			return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.NoRecord)
		}
		if err := records.WithoutHidden(r.Context(), s.store, httpkit.Access(r), rec); err != nil {
			return err
		}
		return httpkit.WriteJSON(w, http.StatusOK, rec)
	}
}

func (s *Server) apiListRecords(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, v, q := r.Context(), httpkit.Access(r), r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		perPage, err := strconv.Atoi(q.Get("per_page"))
		if err != nil {
			perPage = 50
		}
		page, perPage = max(page, 1), min(max(perPage, 1), 200)
		sel := records.ListSelection(kind, v, trace.Selection{Search: strings.TrimSpace(q.Get("q")), Limit: perPage, Offset: (page - 1) * perPage})
		switch kind {
		case "organisations":
			items, total, err := trace.Organisations(ctx, s.store, sel)
			return listed(w, items, total, page, perPage, err)
		case "sources":
			items, total, err := trace.Sources(ctx, s.store, sel)
			return listed(w, items, total, page, perPage, err)
		case "actors":
			items, total, err := trace.Actors(ctx, s.store, sel)
			return listed(w, items, total, page, perPage, err)
		}
		items, total, err := trace.Campaigns(ctx, s.store, sel)
		return listed(w, items, total, page, perPage, err)
	}
}

func listed[T any](w http.ResponseWriter, items []T, total, page, perPage int, err error) error {
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, recordList[T]{Items: items, Total: total, Page: page, PerPage: perPage})
}

// apiCreateRecord saves the body as a new record: the fields of an empty
// record with the body's laid over them, as a patch of nothing.
func (s *Server) apiCreateRecord(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		f := records.Forms(httpkit.Access(r))[kind]
		return s.overlay(w, r, f, f.Zero(), http.StatusCreated)
	}
}

// apiPatchRecord overlays the body's fields on the stored record.
func (s *Server) apiPatchRecord(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		f := records.Forms(httpkit.Access(r))[kind]
		stored, err := records.Stored(r.Context(), s.store, httpkit.Access(r), f, r.PathValue("id"))
		if err != nil {
			return err
		}
		if stored == nil {
			return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.NoRecord)
		}
		return s.overlay(w, r, f, stored, http.StatusOK)
	}
}

// overlay lays the body's fields over a record's and saves the result.
// The id and the owner are not the caller's to set: the store gives a new
// record its id, and its owner is the caller's organisation.
func (s *Server) overlay(w http.ResponseWriter, r *http.Request, f *records.Form, stored any, status int) error {
	var body map[string]json.RawMessage
	if err := httpkit.DecodeJSON(w, r, &body); err != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.FieldErrors{Code: "invalid_json", Message: err.Error()})
	}
	fields, err := revision.Fields(stored)
	if err != nil {
		return err
	}
	for k, v := range body {
		if k != "id" && k != "owner" {
			fields[k] = v
		}
	}
	merged, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	rec := f.Zero()
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.FieldErrors{Code: "invalid_json", Message: err.Error()})
	}
	return s.saveRecord(w, r, f, rec, status)
}

// saveRecord saves a record in one write by the caller and answers with
// it, or 422 naming the fields at fault.
func (s *Server) saveRecord(w http.ResponseWriter, r *http.Request, f *records.Form, rec any, status int) error {
	err := s.store.Write(r.Context(), db.Author{Who: httpkit.User(r).Email, Why: "api " + r.Method + " " + r.URL.Path}, func(tx *db.Tx) error {
		return f.Save(r.Context(), tx, r, rec)
	})
	if fields := validate.Fields(err); fields != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.FieldErrors{Code: "invalid_record", Message: "the record is not valid", Fields: fields})
	}
	if access.IsRefusal(err) {
		return httpkit.Refused(w, r, s.pages, err)
	}
	if errors.Is(err, access.ErrHidden) {
		return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.NoRecord)
	}
	if err != nil {
		return err
	}
	if err := records.WithoutHidden(r.Context(), s.store, httpkit.Access(r), rec); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, status, rec)
}

// deleted answers a deletion.
type deleted struct {
	Deleted string `json:"deleted"`
}

func (s *Server) apiDeleteRecord(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		f := records.Forms(httpkit.Access(r))[kind]
		stored, err := records.Stored(r.Context(), s.store, httpkit.Access(r), f, id)
		if err != nil {
			return err
		}
		if stored == nil {
			return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.NoRecord)
		}
		why := "api DELETE " + r.URL.Path
		if reason := strings.TrimSpace(r.URL.Query().Get("reason")); reason != "" {
			why = reason
		}
		err = s.store.Write(r.Context(), db.Author{Who: httpkit.User(r).Email, Why: why}, func(tx *db.Tx) error {
			return records.DeleteChecked(r.Context(), tx, r, id, f.Remove)
		})
		if access.IsRefusal(err) {
			return httpkit.Refused(w, r, s.pages, err)
		}
		if err != nil {
			return err
		}
		return httpkit.WriteJSON(w, http.StatusOK, deleted{id})
	}
}

func (s *Server) apiRevisions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ok, err := report.RecordVisible(r.Context(), s.store, httpkit.Access(r), id)
	if err != nil {
		return err
	}
	if !ok {
		return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.NoRecord)
	}
	revs, err := revision.List(r.Context(), s.store, id)
	if err != nil {
		return err
	}
	if revs, err = records.VisibleHistory(r.Context(), s.store, httpkit.Access(r), id, revs); err != nil {
		return err
	}
	if httpkit.User(r) == nil {
		revs = revision.ForPublic(revs)
	}
	return httpkit.WriteJSON(w, http.StatusOK, revs)
}
