package web

import (
	"net/http"

	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/volunteer"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/casework"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/victim"
)

// routeVictims registers the victims' pages (internal/victim), the cases
// (internal/casework) and the evidence locker (internal/evidence), each a
// surface of its own on the shared plumbing (internal/httpkit).
func (s *Server) routeVictims(mux *router) {
	v, err := victim.New(s.log, s.opts.Cases)
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	v.Routes(mux)
	c, err := casework.New(s.log, s.opts.Cases, s.opts.FirstResponse)
	if err != nil {
		panic(err)
	}
	c.Routes(mux)
	e, err := evidence.NewWeb(s.log, s.opts.Evidence)
	if err != nil {
		panic(err)
	}
	e.Routes(mux)
}

// victimEndpoints are the API endpoints that internal/victim,
// internal/casework and internal/prevention register themselves: listed here (without a handler)
// for the API page and the OpenAPI document.
func victimEndpoints() []httpkit.Endpoint {
	return []httpkit.Endpoint{
		{Method: "POST", Path: "/api/v1/reports", Status: http.StatusCreated, Request: casefile.Report{}, Response: victim.Submitted{},
			Summary: "Report a cyberattack, without an account: answers the receipt (shown once) and the recovery plan"},
		{Method: "GET", Path: "/api/v1/reports/status", Response: victim.ReportStatus{},
			Summary: "The report's status, messages and plan; header Authorization: Receipt <code>"},
		{Method: "DELETE", Path: "/api/v1/reports/status", Response: victim.Erasure{},
			Summary: "Withdraw the report: its content, contact, messages and files are erased; header Authorization: Receipt <code>"},
		{Method: "POST", Path: "/api/v1/reports/status/messages", Request: victim.Reply{}, Response: victim.ReportStatus{},
			Summary: "Reply to the helpers; header Authorization: Receipt <code>"},
		{Method: "GET", Path: "/api/v1/reports/figures", Response: victim.Figures{},
			Summary: "Anonymous counts of the reports, each withheld under 5"},
		{Method: "GET", Path: "/api/v1/cases", Role: "volunteer", Query: []string{"view"}, Response: casework.CaseList{},
			Summary: "The cases the caller works on (view=overdue: without a first response in time)"},
		{Method: "GET", Path: "/api/v1/cases/{id}", Role: "volunteer", Response: casework.CaseAnswer{}, Summary: "One case and its timeline (audited)"},
		{Method: "PATCH", Path: "/api/v1/cases/{id}", Role: "case-worker", Request: casework.CasePatch{}, Response: casework.CaseAnswer{},
			Summary: "Triage, status and assignment of a case"},
		{Method: "GET", Path: "/api/v1/cases/{id}/tasks", Role: "volunteer", Response: []casefile.Task{}, Summary: "A case's tasks"},
		{Method: "POST", Path: "/api/v1/cases/{id}/tasks", Role: "volunteer", Status: http.StatusCreated, Request: casework.NewTask{},
			Response: []casefile.Task{}, Summary: "Add a task"},
		{Method: "PATCH", Path: "/api/v1/cases/{id}/tasks/{task}", Role: "volunteer", Request: casework.TaskPatch{}, Response: []casefile.Task{},
			Summary: "Mark a task done or not done"},
		{Method: "GET", Path: "/api/v1/cases/{id}/notes", Role: "volunteer", Response: []casefile.Note{}, Summary: "A case's notes (the team only)"},
		{Method: "POST", Path: "/api/v1/cases/{id}/notes", Role: "volunteer", Status: http.StatusCreated, Request: casework.NewText{},
			Response: []casefile.Note{}, Summary: "Add a note"},
		{Method: "GET", Path: "/api/v1/cases/{id}/messages", Role: "volunteer", Response: []casefile.Message{}, Summary: "Messages with the reporter"},
		{Method: "POST", Path: "/api/v1/cases/{id}/messages", Role: "volunteer", Status: http.StatusCreated, Request: casework.NewText{},
			Response: []casefile.Message{}, Summary: "Write to the reporter (they read it with their receipt)"},

		// internal/prevention
		{Method: "GET", Path: "/api/v1/alerts", Role: "viewer", Query: []string{"organisation", "state"}, Response: map[string]any{},
			Summary: "Known-exploited-vulnerability alerts the caller may read: {catalog, alerts}; known ransomware use first, then the oldest due date"},
		{Method: "PATCH", Path: "/api/v1/alerts/{id}", Role: "viewer", Request: map[string]any{}, Response: alert.Alert{},
			Summary: "Acknowledge, fix or dismiss an alert, with a reason kept in its history: {state, reason}"},
		{Method: "GET", Path: "/api/v1/organisations/{id}/inventory", Role: "viewer", Response: map[string]any{},
			Summary: "An organisation's software inventory: {organisation_id, items}"},
		{Method: "POST", Path: "/api/v1/organisations/{id}/inventory", Role: "viewer", Status: http.StatusCreated, Request: inventory.Item{},
			Response: map[string]any{}, Summary: "Add software to an inventory: {item, raised} with the alerts it raised"},
		{Method: "DELETE", Path: "/api/v1/organisations/{id}/inventory/{item}", Role: "viewer", Response: map[string]any{},
			Summary: "Remove software from an inventory"},
		{Method: "GET", Path: "/api/v1/warnings", Role: "case-worker", Response: map[string]any{},
			Summary: "Warnings that an organisation with a case or an earlier incident was attacked again"},
		{Method: "POST", Path: "/api/v1/cases/{id}/organisations", Role: "case-worker", Request: map[string]any{}, Response: map[string]any{},
			Summary: "Link a case to a tracker organisation, so a new attack on it warns the case worker"},
		{Method: "GET", Path: "/api/v1/notifications", Role: "admin", Response: map[string]any{},
			Summary: "The team's outbox: each notification's status (waiting, delivered, retried, failed, withheld)"},
		{Method: "GET", Path: "/api/v1/volunteer/tasks", Role: "volunteer", Response: map[string]any{}, Summary: "The caller's volunteer tasks: {tasks}"},
		{Method: "POST", Path: "/api/v1/volunteer-tasks/{id}/hours", Role: "volunteer", Request: map[string]any{}, Response: volunteer.Task{},
			Summary: "Log hours on a task, within the yearly cap per helped organisation"},
		{Method: "GET", Path: "/api/v1/volunteer-tasks/{id}/matches", Role: "case-worker", Response: []volunteer.Match{},
			Summary: "Volunteers ranked for a task: skills, language, time-zone overlap, load, within the cap"},
		{Method: "POST", Path: "/api/v1/volunteer-tasks/{id}/assign", Role: "case-worker", Request: map[string]any{}, Response: volunteer.Task{},
			Summary: "Assign a task to one of its matches"},
		{Method: "POST", Path: "/api/v1/cases/{id}/volunteer-tasks", Role: "case-worker", Status: http.StatusCreated, Request: map[string]any{},
			Response: volunteer.Task{}, Summary: "Open a volunteer task on a case, asking for skills and languages"},
		{Method: "GET", Path: "/api/v1/volunteers/{id}", Role: "volunteer", Response: volunteer.Profile{}, Summary: "A volunteer's profile"},
		{Method: "PUT", Path: "/api/v1/volunteers/{id}", Role: "volunteer", Request: volunteer.Profile{}, Response: volunteer.Profile{},
			Summary: "Keep one's volunteer profile; case workers vet it"},
	}
}
