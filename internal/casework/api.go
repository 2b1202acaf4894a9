package casework

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
)

// The cases' API, for case workers' own tools: the same rules as the
// pages, every read audited.

// CaseList is a list of cases.
type CaseList struct {
	Items []casefile.Summary `json:"items"`
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request) error {
	cond, args := httpkit.Access(r).CaseCondition("c")
	items, err := casefile.List(r.Context(), s.cases.DB, cond, args, s.now(), s.firstResponse, r.URL.Query().Get("view") == "overdue")
	if err != nil {
		return err
	}
	if items == nil {
		items = []casefile.Summary{}
	}
	return httpkit.WriteJSON(w, http.StatusOK, CaseList{items})
}

// CaseAnswer is a case with its timeline.
type CaseAnswer struct {
	*casefile.Case
	Events []casefile.Event `json:"events"`
}

func (s *Server) apiGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.load(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	return httpkit.WriteJSON(w, http.StatusOK, CaseAnswer{p.Case, p.Events})
}

// CasePatch is what PATCH /api/v1/cases/{id} changes: any of triage,
// status (with an outcome when closed) and the assigned users.
type CasePatch struct {
	Severity *string   `json:"severity"`
	Priority *string   `json:"priority"`
	Status   *string   `json:"status"`
	Outcome  string    `json:"outcome"`
	Assigned *[]string `json:"assigned"`
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func invalid(w http.ResponseWriter, err error) error {
	return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.APIError{Code: "invalid", Message: strings.TrimPrefix(err.Error(), "json: ")})
}

// answer turns the outcome of a change into the API's answer.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error, then func() error) error {
	switch {
	case err == nil:
		return then()
	case access.IsRefusal(err), errors.Is(err, access.ErrHidden), errors.Is(err, casefile.ErrNoCase):
		return s.refused(w, r, err)
	case isInputError(err):
		return invalid(w, err)
	}
	var p *problemError
	if errors.As(err, &p) {
		return invalid(w, err)
	}
	return err
}

func (s *Server) apiPatch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body CasePatch
	if err := decodeBody(w, r, &body); err != nil {
		return invalid(w, err)
	}
	err := s.write(r, access.Manage, id, "update", func(tx *db.Tx, who string) error {
		ctx := r.Context()
		if body.Severity != nil || body.Priority != nil {
			c, err := s.cases.Get(ctx, tx, id)
			if err != nil {
				return err
			}
			t := casefile.Triage{Severity: c.Severity, Priority: c.Priority}
			if body.Severity != nil {
				t.Severity = *body.Severity
			}
			if body.Priority != nil {
				t.Priority = *body.Priority
			}
			if err := casefile.SetTriage(ctx, tx, id, who, t); err != nil {
				return err
			}
		}
		if body.Status != nil {
			if err := casefile.SetStatus(ctx, tx, id, who, *body.Status, body.Outcome); err != nil {
				return err
			}
		}
		if body.Assigned != nil {
			return casefile.Assign(ctx, tx, id, who, httpkit.User(r).TeamID, *body.Assigned)
		}
		return nil
	})
	return s.answer(w, r, err, func() error { return s.apiGet(w, r) })
}

func (s *Server) apiTasks(w http.ResponseWriter, r *http.Request) error {
	p, err := s.load(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	return httpkit.WriteJSON(w, http.StatusOK, orEmpty(p.Tasks))
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// NewTask is a task to add.
type NewTask struct {
	Title string `json:"title"`
}

func (s *Server) apiAddTask(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body NewTask
	if err := decodeBody(w, r, &body); err != nil {
		return invalid(w, err)
	}
	if strings.TrimSpace(body.Title) == "" {
		return invalid(w, errors.New("a task needs a title"))
	}
	err := s.write(r, access.Write, id, "task", func(tx *db.Tx, who string) error {
		return s.cases.AddTask(r.Context(), tx, id, who, strings.TrimSpace(body.Title))
	})
	return s.answer(w, r, err, func() error { w.WriteHeader(http.StatusCreated); return s.writeTasks(w, r, id) })
}

func (s *Server) writeTasks(w http.ResponseWriter, r *http.Request, id string) error {
	tasks, err := s.cases.Tasks(r.Context(), s.cases.DB, id)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(orEmpty(tasks))
}

// TaskPatch marks a task done or not.
type TaskPatch struct {
	Done bool `json:"done"`
}

func (s *Server) apiSetTask(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body TaskPatch
	if err := decodeBody(w, r, &body); err != nil {
		return invalid(w, err)
	}
	err := s.write(r, access.Write, id, "task", func(tx *db.Tx, who string) error {
		return casefile.SetTaskDone(r.Context(), tx, id, r.PathValue("task"), who, body.Done)
	})
	return s.answer(w, r, err, func() error { w.Header().Set("Content-Type", "application/json"); return s.writeTasks(w, r, id) })
}

func (s *Server) apiNotes(w http.ResponseWriter, r *http.Request) error {
	p, err := s.load(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	return httpkit.WriteJSON(w, http.StatusOK, orEmpty(p.Notes))
}

// NewText is a note or a message to add.
type NewText struct {
	Body string `json:"body"`
}

func (s *Server) apiAddNote(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body NewText
	if err := decodeBody(w, r, &body); err != nil {
		return invalid(w, err)
	}
	if strings.TrimSpace(body.Body) == "" {
		return invalid(w, errors.New("a note needs text"))
	}
	err := s.write(r, access.Write, id, "note", func(tx *db.Tx, who string) error {
		return s.cases.AddNote(r.Context(), tx, id, who, strings.TrimSpace(body.Body))
	})
	return s.answer(w, r, err, func() error {
		notes, err := s.cases.Notes(r.Context(), s.cases.DB, id)
		if err != nil {
			return err
		}
		return httpkit.WriteJSON(w, http.StatusCreated, orEmpty(notes))
	})
}

func (s *Server) apiMessages(w http.ResponseWriter, r *http.Request) error {
	p, err := s.load(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	return httpkit.WriteJSON(w, http.StatusOK, orEmpty(p.Messages))
}

func (s *Server) apiAddMessage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body NewText
	if err := decodeBody(w, r, &body); err != nil {
		return invalid(w, err)
	}
	if p := casefile.CheckMessage(body.Body, false); p != nil {
		return invalid(w, errors.New("a message needs text, at most 20,000 characters"))
	}
	err := s.write(r, access.Write, id, "message", func(tx *db.Tx, who string) error {
		return s.cases.AddMessage(r.Context(), tx, id, "helper", who, strings.TrimSpace(body.Body), "", nil)
	})
	return s.answer(w, r, err, func() error {
		msgs, err := s.cases.Messages(r.Context(), s.cases.DB, id)
		if err != nil {
			return err
		}
		return httpkit.WriteJSON(w, http.StatusCreated, orEmpty(msgs))
	})
}
