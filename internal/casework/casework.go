// Package casework is where case workers and the volunteers they assign
// work on victims' cases: the list and the overdue list, triage, status,
// assignment, tasks, sealed notes, messages to the reporter through the
// receipt channel, the timeline, and an incident for the public tracker
// when the reporter consented. internal/access decides every step (its
// cases.go); every read of a case is a line of the audit log.
package casework

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/i18n"
	"github.com/harmtrace/harmtrace/internal/recovery"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

//go:embed templates/*.html
var templateFiles embed.FS

// DefaultFirstResponse is how long a case may wait for its first
// response before it is overdue.
const DefaultFirstResponse = 48 * time.Hour

// Server serves the cases.
type Server struct {
	log           *slog.Logger
	cases         *casefile.Store
	pages         *template.Template
	firstResponse time.Duration
	now           func() time.Time
}

// New returns the cases' surface (cases nil: the routes only).
func New(log *slog.Logger, cases *casefile.Store, firstResponse time.Duration) (*Server, error) {
	pages, err := template.New("").Funcs(httpkit.Funcs()).Funcs(template.FuncMap{
		"attack": func(a string) string { return i18n.T("en", "attack."+a) },
		"has":    slices.Contains[[]string],
	}).ParseFS(httpkit.Layout, httpkit.LayoutPattern)
	if err == nil {
		pages, err = pages.ParseFS(templateFiles, "templates/*.html")
	}
	if err != nil {
		return nil, err
	}
	if firstResponse <= 0 {
		firstResponse = DefaultFirstResponse
	}
	return &Server{log: log, cases: cases, pages: pages, firstResponse: firstResponse, now: time.Now}, nil
}

// Routes registers the case routes.
func (s *Server) Routes(mux httpkit.Router) {
	for pattern, h := range map[string]httpkit.HandlerFunc{
		"GET /work/cases":                       s.list,
		"GET /work/cases/{id}":                  s.show,
		"POST /work/cases/{id}":                 s.act,
		"GET /work/cases/{id}/files/{file}":     s.file,
		"GET /api/v1/cases":                     s.apiList,
		"GET /api/v1/cases/{id}":                s.apiGet,
		"PATCH /api/v1/cases/{id}":              s.apiPatch,
		"GET /api/v1/cases/{id}/tasks":          s.apiTasks,
		"POST /api/v1/cases/{id}/tasks":         s.apiAddTask,
		"PATCH /api/v1/cases/{id}/tasks/{task}": s.apiSetTask,
		"GET /api/v1/cases/{id}/notes":          s.apiNotes,
		"POST /api/v1/cases/{id}/notes":         s.apiAddNote,
		"GET /api/v1/cases/{id}/messages":       s.apiMessages,
		"POST /api/v1/cases/{id}/messages":      s.apiAddMessage,
	} {
		mux.Handle(pattern, httpkit.Handle(s.log, s.caseWorker(h)))
	}
}

// caseWorker lets through signed-in users whose role works on cases.
func (s *Server) caseWorker(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	unavailable := ""
	if s.cases == nil {
		unavailable = "this server keeps no cases"
	}
	return httpkit.SignedIn(unavailable, func(w http.ResponseWriter, r *http.Request) error {
		if err := httpkit.Access(r).MayWorkCases(); err != nil {
			return s.refused(w, r, err)
		}
		return h(w, r)
	})
}

// refused answers what access refused: 404 for a case the viewer may not
// read (as for a missing one), 403 with the reason otherwise.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, err error) error {
	var refusal *access.Refusal
	switch {
	case errors.As(err, &refusal):
		if httpkit.IsAPI(r) {
			return httpkit.WriteJSON(w, http.StatusForbidden, httpkit.APIError{Code: "forbidden", Message: refusal.Reason})
		}
		return s.render(w, r, http.StatusForbidden, "caseerror.html", map[string]any{"Message": refusal.Reason})
	case errors.Is(err, access.ErrHidden), errors.Is(err, casefile.ErrNoCase):
		if httpkit.IsAPI(r) {
			return httpkit.WriteJSON(w, http.StatusNotFound, httpkit.APIError{Code: "not_found", Message: "no such case"})
		}
		return s.render(w, r, http.StatusNotFound, "caseerror.html", map[string]any{"Message": "No such case."})
	}
	return err
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) error {
	data["Viewer"] = httpkit.User(r)
	if _, ok := data["Title"]; !ok {
		data["Title"] = "Cases"
	}
	return httpkit.Render(w, s.pages, status, name, data)
}

// check asks access whether the viewer may do action on case id.
func (s *Server) check(r *http.Request, action access.Action, id string) error {
	return access.Check(r.Context(), s.cases.DB, httpkit.Access(r), action, id)
}

// audit records a read or a change of a case: who, which case, what.
func (s *Server) audit(r *http.Request, action, id string) error {
	u := httpkit.User(r)
	return s.cases.DB.Write(r.Context(), db.Author{Who: u.Email, Why: action}, func(tx *db.Tx) error {
		return account.Audit(r.Context(), tx, u.Email, action, id, "", "")
	})
}

// write runs fn as the viewer's change of case id, after access allows
// action, and audits it.
func (s *Server) write(r *http.Request, action access.Action, id, what string, fn func(tx *db.Tx, who string) error) error {
	if err := s.check(r, action, id); err != nil {
		return err
	}
	u := httpkit.User(r)
	return s.cases.DB.Write(r.Context(), db.Author{Who: u.Email, Why: what}, func(tx *db.Tx) error {
		if err := fn(tx, u.Email); err != nil {
			return err
		}
		return account.Audit(r.Context(), tx, u.Email, "case."+what, id, "", "")
	})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) error {
	v := httpkit.Access(r)
	cond, args := v.CaseCondition("c")
	overdue := r.URL.Query().Get("view") == "overdue"
	cases, err := casefile.List(r.Context(), s.cases.DB, cond, args, s.now(), s.firstResponse, overdue)
	if err != nil {
		return err
	}
	late, err := casefile.List(r.Context(), s.cases.DB, cond, args, s.now(), s.firstResponse, true)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "cases.html", map[string]any{"Cases": cases, "Overdue": overdue, "Late": len(late),
		"FirstResponse": s.firstResponse})
}

// casePage is the data of case.html.
type casePage struct {
	Case       *casefile.Case
	Manage     bool
	Tasks      []casefile.Task
	Notes      []casefile.Note
	Messages   []casefile.Message
	Events     []casefile.Event
	Team       []account.User
	Error      string
	Plan       []recovery.Step
	Severities []string
	Priorities []string
	Statuses   []string
	Outcomes   []string
	TLPs       []string
	Helpers    []string
}

// load reads a case for its page or the API, and audits the read.
func (s *Server) load(r *http.Request, id string) (*casePage, error) {
	if err := s.check(r, access.Read, id); err != nil {
		return nil, err
	}
	if err := s.audit(r, "case.read", id); err != nil {
		return nil, err
	}
	ctx, q := r.Context(), s.cases.DB
	c, err := s.cases.Get(ctx, q, id)
	if err != nil {
		return nil, err
	}
	p := &casePage{Case: c, Manage: s.check(r, access.Manage, id) == nil, Severities: casefile.Severities, Priorities: casefile.Priorities,
		Statuses: []string{"received", "triaged", "in-progress", "waiting", "closed"}, Outcomes: casefile.Outcomes, TLPs: vocab.TLP.Values,
		Helpers: casefile.Helpers}
	if !p.Manage {
		c.Report.Contact = casefile.Contact{} // a volunteer works without the reporter's contact
	}
	if p.Events, err = casefile.Events(ctx, q, id); err != nil {
		return nil, err
	}
	if c.IsErased() {
		return p, nil
	}
	if p.Tasks, err = s.cases.Tasks(ctx, q, id); err != nil {
		return nil, err
	}
	if p.Notes, err = s.cases.Notes(ctx, q, id); err != nil {
		return nil, err
	}
	if p.Messages, err = s.cases.Messages(ctx, q, id); err != nil {
		return nil, err
	}
	p.Plan = recovery.Plan(c.Report.Situation(), "en")
	if p.Manage {
		if p.Team, err = account.TeamUsers(ctx, q, httpkit.User(r).TeamID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) error {
	p, err := s.load(r, r.PathValue("id"))
	if err != nil {
		return s.refused(w, r, err)
	}
	return s.render(w, r, http.StatusOK, "case.html", map[string]any{"Title": "Case " + shortID(p.Case.ID), "Page": p})
}

func shortID(id string) string {
	_, rest, _ := strings.Cut(id, "--")
	if len(rest) > 8 {
		rest = rest[:8]
	}
	return rest
}

// act runs one action of the case page's forms and shows the case again.
func (s *Server) act(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	f := r.PostForm
	var err error
	switch f.Get("action") {
	case "triage":
		err = s.write(r, access.Manage, id, "triage", func(tx *db.Tx, who string) error {
			return casefile.SetTriage(r.Context(), tx, id, who, casefile.Triage{Severity: f.Get("severity"), Priority: f.Get("priority")})
		})
	case "status":
		err = s.write(r, access.Manage, id, "status", func(tx *db.Tx, who string) error {
			return casefile.SetStatus(r.Context(), tx, id, who, f.Get("status"), f.Get("outcome"))
		})
	case "assign":
		err = s.write(r, access.Manage, id, "assign", func(tx *db.Tx, who string) error {
			return casefile.Assign(r.Context(), tx, id, who, httpkit.User(r).TeamID, f["assignee"])
		})
	case "task":
		title := strings.TrimSpace(f.Get("title"))
		if title == "" {
			err = errors.New("a task needs a title")
			break
		}
		err = s.write(r, access.Write, id, "task", func(tx *db.Tx, who string) error { return s.cases.AddTask(r.Context(), tx, id, who, title) })
	case "task-done", "task-reopen":
		err = s.write(r, access.Write, id, "task", func(tx *db.Tx, who string) error {
			return casefile.SetTaskDone(r.Context(), tx, id, f.Get("task"), who, f.Get("action") == "task-done")
		})
	case "note":
		body := strings.TrimSpace(f.Get("body"))
		if body == "" {
			err = errors.New("a note needs text")
			break
		}
		err = s.write(r, access.Write, id, "note", func(tx *db.Tx, who string) error {
			return s.cases.AddNote(r.Context(), tx, id, who, body)
		})
	case "message":
		body := strings.TrimSpace(f.Get("body"))
		if p := casefile.CheckMessage(body, false); p != nil {
			err = errors.New(i18n.T("en", p.Key, p.Args...))
			break
		}
		err = s.write(r, access.Write, id, "message", func(tx *db.Tx, who string) error {
			return s.cases.AddMessage(r.Context(), tx, id, "helper", who, body, "", nil)
		})
	case "incident":
		err = s.makeIncident(r, id, f.Get("title"), f.Get("summary"), f.Get("tlp"), f.Get("name_organisation") == "yes")
	case "erase":
		if f.Get("confirm") != "yes" {
			err = errors.New("tick the box to confirm the erasure")
			break
		}
		if err = s.check(r, access.Erase, id); err == nil {
			_, err = s.cases.Erase(r.Context(), id, httpkit.User(r).Email, "withdrawn")
		}
	default:
		return httpkit.BadRequest(fmt.Errorf("unknown action %q", f.Get("action")))
	}
	if err != nil && (access.IsRefusal(err) || errors.Is(err, access.ErrHidden) || errors.Is(err, casefile.ErrNoCase)) {
		return s.refused(w, r, err)
	}
	if err != nil {
		var problem *problemError
		if !errors.As(err, &problem) && !isInputError(err) {
			return err
		}
		p, lerr := s.load(r, id)
		if lerr != nil {
			return s.refused(w, r, lerr)
		}
		p.Error = err.Error()
		return s.render(w, r, http.StatusUnprocessableEntity, "case.html", map[string]any{"Title": "Case " + shortID(id), "Page": p})
	}
	http.Redirect(w, r, "/work/cases/"+id, http.StatusSeeOther)
	return nil
}

// problemError is a mistake in what the case worker asked for.
type problemError struct{ msg string }

func (e *problemError) Error() string { return e.msg }

func problem(format string, args ...any) error { return &problemError{fmt.Sprintf(format, args...)} }

// isInputError tells the errors of the case store that come from the
// input (a bad status, a bad assignee) from those of the store.
func isInputError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"triage:", "status must", "a closed case", "assign:", "a task needs", "a note needs", "tick the box", "Write a message", "This is too long"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// makeIncident makes a tracker incident from a case whose reporter
// consented to an anonymised account: only what the case worker writes
// anew passes (title, summary), with the attack types, the month it
// started and the country; the organisation is named only when the
// reporter allowed it and the case worker asks for it.
func (s *Server) makeIncident(r *http.Request, id, title, summary, tlp string, nameOrg bool) error {
	ctx := r.Context()
	if err := s.check(r, access.Manage, id); err != nil {
		return err
	}
	v := httpkit.Access(r)
	if err := v.MayCreateFromCase(); err != nil {
		return err
	}
	c, err := s.cases.Get(ctx, s.cases.DB, id)
	if err != nil {
		return err
	}
	switch {
	case !c.Report.Consent.ShareAnonymised:
		return problem("the reporter did not consent to sharing an anonymised account: no incident can be made from this case")
	case c.IncidentID != "":
		return problem("an incident was already made from this case: %s", c.IncidentID)
	case strings.TrimSpace(title) == "":
		return problem("write the incident's title anew: nothing of the report is copied")
	case nameOrg && !c.Report.Consent.NameOrganisation:
		return problem("the reporter did not allow naming the organisation")
	}
	if tlp == "" {
		tlp = trace.DefaultTLP
	}
	if err := vocab.TLP.Check(tlp); err != nil {
		return problem("%v", err)
	}
	team := httpkit.User(r).TeamID
	marking := access.Marking{TLP: tlp, Owner: team}
	return s.cases.DB.Write(ctx, db.Author{Who: httpkit.User(r).Email, Why: "incident made from a case with the reporter's consent"}, func(tx *db.Tx) error {
		src := &trace.Source{Title: "Report to the helpdesk", Kind: "victim-statement", Marking: marking}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		in := &trace.Incident{Title: strings.TrimSpace(title), Summary: strings.TrimSpace(summary), AttackTypes: trackerAttackTypes(c.Report.AttackTypes),
			Determination: "confirmed", Start: trace.Date(month(c.Report.Started)), SourceIDs: []string{src.ID}, Marking: marking}
		if cc := c.Report.Country(); cc != "" {
			in.Countries = []string{cc}
		}
		if nameOrg && c.Report.Organisation != nil {
			o := c.Report.Organisation
			kind := "ngo"
			if slices.Contains(vocab.OrganisationKinds.Values, o.Kind) {
				kind = o.Kind
			}
			org := &trace.Organisation{Name: o.Name, Kind: kind, Country: o.Country, Sector: o.Sector, Marking: marking}
			if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
				return err
			}
			in.Victims = []trace.Victim{{OrganisationID: org.ID}}
		}
		if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
			return err
		}
		if err := casefile.LinkIncident(ctx, tx, id, httpkit.User(r).Email, in.ID); err != nil {
			return err
		}
		return account.Audit(ctx, tx, httpkit.User(r).Email, "case.incident", id, "", in.ID)
	})
}

// trackerAttackTypes maps the victims' words to the tracker's vocabulary.
func trackerAttackTypes(types []string) []string {
	var out []string
	for _, t := range types {
		switch {
		case slices.Contains(vocab.AttackTypes.Values, t):
			out = append(out, t)
		case t == "stalkerware":
			out = append(out, "espionage")
		default:
			out = append(out, "other")
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// month keeps a start date to its month: the day can point at a person.
func month(d string) string {
	if len(d) >= 7 {
		return d[:7]
	}
	return d
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.check(r, access.Read, id); err != nil {
		return s.refused(w, r, err)
	}
	f, content, err := s.cases.FileContent(r.Context(), s.cases.DB, id, r.PathValue("file"))
	if err != nil {
		return s.refused(w, r, err)
	}
	if err := s.audit(r, "case.file.read", id); err != nil {
		return err
	}
	// Served as an attachment of no type a browser would run.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Content-Security-Policy", "sandbox")
	_, err = w.Write(content)
	return err
}
