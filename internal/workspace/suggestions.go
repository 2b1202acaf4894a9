package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/suggest"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// Suggested corrections (internal/suggest). A user who may read a record
// but not write it suggests new values for some of its fields; the users
// who may write the record accept (the record is saved through
// records.Form.Save, like any edit of theirs) or decline. The suggester gains no
// right: a hidden record answers like a missing one, and a suggestion is
// refused to whoever may simply edit the record.

// formKinds names the workspace's form of each kind of record.
var formKinds = map[access.Kind]string{access.Incident: "incidents", access.Harm: "harms", access.Attribution: "attributions",
	access.Organisation: "organisations", access.Source: "sources", access.Actor: "actors", access.Campaign: "campaigns"}

// suggestionRequest is the API's body for a new suggestion.
type suggestionRequest struct {
	RecordID string                     `json:"record_id"`
	Fields   map[string]json.RawMessage `json:"fields"`
	Reason   string                     `json:"reason"`
}

// decisionRequest is the API's body for accepting or declining.
type decisionRequest struct {
	Note string `json:"note"`
}

type suggestionList struct {
	Items []suggest.Suggestion `json:"items"`
}

// Endpoints are the suggestions' API, for the API's route table
// (internal/api), which registers them behind their role.
func (s *Server) Endpoints() []httpkit.Endpoint {
	return []httpkit.Endpoint{
		{Method: "POST", Path: "/api/v1/suggestions", Role: "analyst", Request: suggestionRequest{}, Response: suggest.Suggestion{},
			Status: http.StatusCreated, Handler: s.apiSuggest,
			Summary: "Suggest a correction of a record the caller may read but not change; its owners accept or decline it"},
		{Method: "GET", Path: "/api/v1/suggestions", Role: "analyst", Response: suggestionList{}, Handler: s.apiSuggestions,
			Summary: "The open suggestions the caller may decide, and the caller's own"},
		{Method: "POST", Path: "/api/v1/suggestions/{id}/accept", Role: "analyst", Request: decisionRequest{}, Response: suggest.Suggestion{},
			Handler: s.apiDecide(suggest.Accepted), Summary: "Accept a suggestion: the record changes, with the suggestion named in its history"},
		{Method: "POST", Path: "/api/v1/suggestions/{id}/decline", Role: "analyst", Request: decisionRequest{}, Response: suggest.Suggestion{},
			Handler: s.apiDecide(suggest.Declined), Summary: "Decline a suggestion, with a note"},
	}
}

// newSuggestion checks and stores a suggestion of the request's viewer.
func (s *Server) newSuggestion(r *http.Request, req suggestionRequest) (*suggest.Suggestion, error) {
	ctx, v, u := r.Context(), httpkit.Access(r), httpkit.User(r)
	err := access.Check(ctx, s.store, v, access.Write, req.RecordID)
	switch {
	case errors.Is(err, access.ErrHidden):
		return nil, err
	case err == nil:
		return nil, validate.Errors{{Field: "record_id", Message: "you may change this record yourself: edit it instead"}}
	case !access.IsRefusal(err):
		return nil, err
	}
	kind := access.KindOf(req.RecordID)
	sg := &suggest.Suggestion{RecordID: req.RecordID, RecordKind: string(kind), Fields: req.Fields, Reason: req.Reason,
		AuthorID: u.ID, Author: u.Email, AuthorTeam: u.TeamID}
	if err := sg.Check(); err != nil {
		return nil, err
	}
	if _, err := s.applied(ctx, sg); err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, db.Author{Who: u.Email, Why: "suggestion: " + req.Reason}, func(tx *db.Tx) error {
		return suggest.Create(ctx, tx, sg)
	})
	return sg, err
}

// applied returns the record with the suggestion's fields laid over its
// stored values: a field the record does not have is refused.
func (s *Server) applied(ctx context.Context, sg *suggest.Suggestion) (any, error) {
	f := records.Forms(access.Operator)[formKinds[access.Kind(sg.RecordKind)]]
	if f == nil {
		return nil, validate.Errors{{Field: "record_id", Message: "records of this kind take no suggestions"}}
	}
	stored, err := f.Get(ctx, s.store, sg.RecordID)
	if err != nil {
		return nil, err
	}
	fields, err := revision.Fields(stored)
	if err != nil {
		return nil, err
	}
	for k, val := range sg.Fields {
		fields[k] = val
	}
	merged, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	rec := f.Zero()
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return nil, validate.Errors{{Field: "fields", Message: err.Error()}}
	}
	return rec, nil
}

// decide accepts or declines suggestion id for the request's viewer, who
// must be allowed to write the record.
func (s *Server) decide(r *http.Request, id, status, note string) (*suggest.Suggestion, error) {
	ctx, u := r.Context(), httpkit.User(r)
	sg, err := suggest.Get(ctx, s.store, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, access.ErrHidden
	}
	if err != nil {
		return nil, err
	}
	if err := access.Check(ctx, s.store, httpkit.Access(r), access.Write, sg.RecordID); err != nil {
		return nil, err
	}
	why := fmt.Sprintf("%s suggestion %s by %s: %s", status, sg.ID, sg.Author, sg.Reason)
	err = s.store.Write(ctx, db.Author{Who: u.Email, Why: why}, func(tx *db.Tx) error {
		if status == suggest.Accepted {
			rec, err := s.applied(ctx, sg)
			if err != nil {
				return err
			}
			f := records.Forms(httpkit.Access(r))[formKinds[access.Kind(sg.RecordKind)]]
			if err := f.Save(ctx, tx, r, rec); err != nil {
				return err
			}
		}
		return suggest.Decide(ctx, tx, sg, status, u.Email, note)
	})
	return sg, err
}

// visibleSuggestions are the open suggestions the viewer may decide, and
// the viewer's own.
func (s *Server) visibleSuggestions(r *http.Request) (decide, own []suggest.Suggestion, err error) {
	open, err := suggest.OpenOnes(r.Context(), s.store)
	if err != nil {
		return nil, nil, err
	}
	for _, sg := range open {
		if access.Check(r.Context(), s.store, httpkit.Access(r), access.Write, sg.RecordID) == nil {
			decide = append(decide, sg)
		}
	}
	own, err = suggest.By(r.Context(), s.store, httpkit.User(r).ID)
	return decide, own, err
}

// answer writes the API's answer to a suggestion step.
func (s *Server) suggestionAnswer(w http.ResponseWriter, r *http.Request, sg *suggest.Suggestion, err error, status int) error {
	switch {
	case errors.Is(err, access.ErrHidden):
		return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.NoRecord)
	case access.IsRefusal(err):
		return httpkit.Refused(w, r, s.pages, err)
	case validate.Fields(err) != nil:
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.FieldErrors{Code: "invalid_suggestion", Message: "the suggestion is not valid", Fields: validate.Fields(err)})
	case err != nil:
		return err
	}
	return httpkit.WriteJSON(w, status, sg)
}

func (s *Server) apiSuggest(w http.ResponseWriter, r *http.Request) error {
	var req suggestionRequest
	if err := httpkit.DecodeJSON(w, r, &req); err != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.FieldErrors{Code: "invalid_json", Message: err.Error()})
	}
	sg, err := s.newSuggestion(r, req)
	return s.suggestionAnswer(w, r, sg, err, http.StatusCreated)
}

func (s *Server) apiSuggestions(w http.ResponseWriter, r *http.Request) error {
	decide, own, err := s.visibleSuggestions(r)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, suggestionList{Items: append(append([]suggest.Suggestion{}, decide...), own...)})
}

func (s *Server) apiDecide(status string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req decisionRequest
		if r.ContentLength != 0 {
			if err := httpkit.DecodeJSON(w, r, &req); err != nil {
				return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.FieldErrors{Code: "invalid_json", Message: err.Error()})
			}
		}
		sg, err := s.decide(r, r.PathValue("id"), status, req.Note)
		return s.suggestionAnswer(w, r, sg, err, http.StatusOK)
	}
}

// The workspace's suggestions page: the open ones to decide, and one's own.
func (s *Server) workSuggestions(w http.ResponseWriter, r *http.Request) error {
	decide, own, err := s.visibleSuggestions(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "suggestions.html", httpkit.Page(r, "Suggested corrections", map[string]any{
		"Decide": decide, "Own": own, "Message": r.URL.Query().Get("done")}))
}

// workSuggest stores a suggestion posted from the form a refused edit shows.
func (s *Server) workSuggest(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	req := suggestionRequest{RecordID: r.PostForm.Get("record_id"), Reason: r.PostForm.Get("reason")}
	if err := json.Unmarshal([]byte(r.PostForm.Get("fields")), &req.Fields); err != nil {
		return httpkit.BadRequest(err)
	}
	_, err := s.newSuggestion(r, req)
	return s.workSuggestionDone(w, r, err, "Your suggestion was sent to the record's owners.")
}

func (s *Server) workDecide(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	status := map[string]string{"accept": suggest.Accepted, "decline": suggest.Declined}[r.PostForm.Get("decision")]
	if status == "" {
		return httpkit.BadRequest(errors.New("decision: accept or decline"))
	}
	_, err := s.decide(r, r.PathValue("id"), status, r.PostForm.Get("note"))
	return s.workSuggestionDone(w, r, err, "The suggestion was "+status+".")
}

func (s *Server) workSuggestionDone(w http.ResponseWriter, r *http.Request, err error, done string) error {
	switch {
	case errors.Is(err, access.ErrHidden):
		return httpkit.NotFound(w, r, s.pages)
	case access.IsRefusal(err):
		return httpkit.Refused(w, r, s.pages, err)
	case validate.Fields(err) != nil:
		var msgs []string
		for _, f := range validate.Fields(err) {
			msgs = append(msgs, f.Field+": "+f.Message)
		}
		return s.render(w, http.StatusUnprocessableEntity, "error.html", httpkit.Page(r, "Suggestion refused",
			map[string]any{"Message": strings.Join(msgs, "; ")}))
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/work/suggestions?done="+done, http.StatusSeeOther)
	return nil
}

// offerSuggestion answers a refused edit with 403 and its reason, and the
// form that sends the same changes as a suggestion to the record's owners.
func (s *Server) offerSuggestion(w http.ResponseWriter, r *http.Request, refusal error, stored, edited any, reason string) error {
	var changed map[string]json.RawMessage
	if stored != nil && httpkit.User(r).Allows("analyst") {
		before, err := revision.Fields(stored)
		if err != nil {
			return err
		}
		after, err := revision.Fields(edited)
		if err != nil {
			return err
		}
		changed = map[string]json.RawMessage{}
		for _, c := range revision.Diff(before, after) {
			if !suggestDropped[c.Field] {
				changed[c.Field] = c.New
			}
		}
	}
	if len(changed) == 0 {
		return httpkit.Refused(w, r, s.pages, refusal)
	}
	body, err := json.Marshal(changed)
	if err != nil {
		return err
	}
	var why *access.Refusal
	errors.As(refusal, &why)
	return s.render(w, http.StatusForbidden, "suggest.html", httpkit.Page(r, "Not yours to change", map[string]any{
		"Message": why.Reason, "RecordID": records.ID(stored), "Fields": string(body), "Changed": changed, "Reason": reason}))
}

// suggestDropped are the fields a suggestion leaves out: the marking is its
// owners' alone, and bookkeeping is no content.
var suggestDropped = map[string]bool{"id": true, "owner": true, "tlp": true, "shared_with": true, "readers": true,
	"created": true, "updated": true, "undisclosed_victims": true}
