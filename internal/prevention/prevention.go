// Package prevention is where helpers and the organisations they help
// work before an attack (again): an organisation's software inventory and
// the known-exploited-vulnerability alerts it raises, re-targeting
// warnings, volunteers and their tasks, and the notifications outbox.
// internal/access decides every step (prevent.go); every change is
// audited.
package prevention

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/validate"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Server serves the prevention pages and API.
type Server struct {
	log   *slog.Logger
	store *db.DB
	cases *casefile.Store
	pages *template.Template
	// HoursCap is the most hours volunteers give one organisation in a
	// year (volunteer.DefaultHoursCap when 0).
	hoursCap float64
}

// Options are the surface's choices.
type Options struct {
	// Cases, when set, lets case workers open volunteer tasks on cases.
	Cases *casefile.Store
	// HoursCap is the most hours one volunteer gives one organisation in
	// a calendar year.
	HoursCap float64
}

// New returns the surface (store nil: the routes only).
func New(log *slog.Logger, store *db.DB, opts Options) (*Server, error) {
	pages, err := template.New("").Funcs(httpkit.Funcs()).Funcs(template.FuncMap{
		"states": func() []string { return alert.States },
		"has":    slices.Contains[[]string],
	}).ParseFS(httpkit.Layout, httpkit.LayoutPattern)
	if err == nil {
		pages, err = pages.ParseFS(templateFiles, "templates/*.html")
	}
	if err != nil {
		return nil, err
	}
	// Webhooks' secrets are sealed with a key of the cases' ring: the
	// surface gives it to the store (serve did already; again is harmless).
	if store != nil && opts.Cases != nil && opts.Cases.Keys != nil {
		if _, err := outbox.Install(context.Background(), store, opts.Cases.Keys); err != nil {
			return nil, err
		}
	}
	return &Server{log: log, store: store, cases: opts.Cases, pages: pages, hoursCap: opts.HoursCap}, nil
}

// Routes registers the prevention routes.
func (s *Server) Routes(mux httpkit.Router) {
	for pattern, h := range map[string]httpkit.HandlerFunc{
		"GET /work/organisations/{id}/inventory":             s.inventoryPage,
		"POST /work/organisations/{id}/inventory":            s.inventoryAct,
		"GET /work/organisations/{id}/alerts":                s.alertsOfOrganisation,
		"GET /work/alerts":                                   s.alertsPage,
		"POST /work/alerts/{id}":                             s.alertAct,
		"GET /api/v1/alerts":                                 s.apiAlerts,
		"PATCH /api/v1/alerts/{id}":                          s.apiDecide,
		"GET /api/v1/organisations/{id}/inventory":           s.apiInventory,
		"POST /api/v1/organisations/{id}/inventory":          s.apiAddItem,
		"DELETE /api/v1/organisations/{id}/inventory/{item}": s.apiRemoveItem,
		"GET /work/warnings":                                 s.warningsPage,
		"POST /work/warnings/{id}":                           s.warningSeen,
		"GET /api/v1/warnings":                               s.apiWarnings,
		"POST /work/cases/{id}/organisation":                 s.linkCase,
		"POST /api/v1/cases/{id}/organisations":              s.linkCase,
		"GET /work/notifications":                            s.consentPage,
		"POST /work/notifications":                           s.consentPage,
		"GET /admin/notifications":                           s.admin(s.outboxPage),
		"POST /admin/notifications":                          s.admin(s.outboxAct),
		"GET /api/v1/notifications":                          s.admin(s.apiOutbox),
		"GET /work/volunteer":                                s.needCases(s.myVolunteering),
		"POST /work/volunteer":                               s.needCases(s.myVolunteering),
		"GET /work/tasks/{id}":                               s.needCases(s.taskPage),
		"POST /work/tasks/{id}":                              s.needCases(s.taskPage),
		"GET /work/cases/{id}/volunteers":                    s.needCases(s.caseVolunteers),
		"POST /work/cases/{id}/volunteers":                   s.needCases(s.caseVolunteers),
		"GET /work/volunteers":                               s.volunteersPage,
		"POST /work/volunteers/{id}":                         s.vet,
		"GET /api/v1/volunteer/tasks":                        s.needCases(s.apiMyTasks),
		"POST /api/v1/volunteer-tasks/{id}/hours":            s.needCases(s.apiLogHours),
		"GET /api/v1/volunteer-tasks/{id}/matches":           s.needCases(s.apiMatches),
		"POST /api/v1/volunteer-tasks/{id}/assign":           s.needCases(s.apiAssign),
		"POST /api/v1/cases/{id}/volunteer-tasks":            s.needCases(s.apiCreateTask),
		"GET /api/v1/volunteers/{id}":                        s.apiProfile,
		"PUT /api/v1/volunteers/{id}":                        s.apiProfile,
	} {
		mux.Handle(pattern, httpkit.Handle(s.log, s.signedIn(h)))
	}
}

// signedIn lets through signed-in users; what each may do is decided per
// record.
func (s *Server) signedIn(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	unavailable := ""
	if s.store == nil {
		unavailable = "this server has no store"
	}
	return httpkit.SignedIn(unavailable, h)
}

// refused answers what access refused: 404 for what the viewer may not
// read (as for a missing record), 403 with the reason otherwise, 422 for
// input at fault.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, err error) error {
	var refusal *access.Refusal
	status, code, msg := 0, "", ""
	switch {
	case errors.As(err, &refusal):
		status, code, msg = http.StatusForbidden, "forbidden", refusal.Reason
	case errors.Is(err, access.ErrHidden), errors.Is(err, db.ErrNotFound), errors.Is(err, alert.ErrNoAlert):
		status, code, msg = http.StatusNotFound, "not_found", "no such record"
	case isInput(err):
		status, code, msg = http.StatusUnprocessableEntity, "invalid", strings.TrimPrefix(err.Error(), "json: ")
	default:
		return err
	}
	if httpkit.IsAPI(r) {
		return httpkit.WriteJSON(w, status, httpkit.APIError{Code: code, Message: msg})
	}
	return s.render(w, r, status, "preventerror.html", map[string]any{"Message": msg})
}

// inputError marks an error in what the viewer sent.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

func isInput(err error) bool {
	var ie inputError
	return errors.As(err, &ie) || len(validate.Fields(err)) > 0
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) error {
	data["Viewer"] = httpkit.User(r)
	if _, ok := data["Title"]; !ok {
		data["Title"] = "Prevention"
	}
	return httpkit.Render(w, s.pages, status, name, data)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return inputError{err}
	}
	return nil
}

// author is the viewer as the author of a change.
func author(r *http.Request, why string) db.Author {
	return db.Author{Who: httpkit.User(r).Email, Why: why}
}
