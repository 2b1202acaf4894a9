package web

import (
	"net/http"

	"github.com/harmtrace/harmtrace/internal/alert"
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
func victimEndpoints() []endpoint {
	return []endpoint{
		{method: "POST", path: "/api/v1/reports", status: http.StatusCreated, request: casefile.Report{}, response: victim.Submitted{},
			summary: "Report a cyberattack, without an account: answers the receipt (shown once) and the recovery plan"},
		{method: "GET", path: "/api/v1/reports/status", response: victim.ReportStatus{},
			summary: "The report's status, messages and plan; header Authorization: Receipt <code>"},
		{method: "DELETE", path: "/api/v1/reports/status", response: victim.Erasure{},
			summary: "Withdraw the report: its content, contact, messages and files are erased; header Authorization: Receipt <code>"},
		{method: "POST", path: "/api/v1/reports/status/messages", request: victim.Reply{}, response: victim.ReportStatus{},
			summary: "Reply to the helpers; header Authorization: Receipt <code>"},
		{method: "GET", path: "/api/v1/reports/figures", response: victim.Figures{},
			summary: "Anonymous counts of the reports, each withheld under 5"},
		{method: "GET", path: "/api/v1/cases", role: "volunteer", query: []string{"view"}, response: casework.CaseList{},
			summary: "The cases the caller works on (view=overdue: without a first response in time)"},
		{method: "GET", path: "/api/v1/cases/{id}", role: "volunteer", response: casework.CaseAnswer{}, summary: "One case and its timeline (audited)"},
		{method: "PATCH", path: "/api/v1/cases/{id}", role: "case-worker", request: casework.CasePatch{}, response: casework.CaseAnswer{},
			summary: "Triage, status and assignment of a case"},
		{method: "GET", path: "/api/v1/cases/{id}/tasks", role: "volunteer", response: []casefile.Task{}, summary: "A case's tasks"},
		{method: "POST", path: "/api/v1/cases/{id}/tasks", role: "volunteer", status: http.StatusCreated, request: casework.NewTask{},
			response: []casefile.Task{}, summary: "Add a task"},
		{method: "PATCH", path: "/api/v1/cases/{id}/tasks/{task}", role: "volunteer", request: casework.TaskPatch{}, response: []casefile.Task{},
			summary: "Mark a task done or not done"},
		{method: "GET", path: "/api/v1/cases/{id}/notes", role: "volunteer", response: []casefile.Note{}, summary: "A case's notes (the team only)"},
		{method: "POST", path: "/api/v1/cases/{id}/notes", role: "volunteer", status: http.StatusCreated, request: casework.NewText{},
			response: []casefile.Note{}, summary: "Add a note"},
		{method: "GET", path: "/api/v1/cases/{id}/messages", role: "volunteer", response: []casefile.Message{}, summary: "Messages with the reporter"},
		{method: "POST", path: "/api/v1/cases/{id}/messages", role: "volunteer", status: http.StatusCreated, request: casework.NewText{},
			response: []casefile.Message{}, summary: "Write to the reporter (they read it with their receipt)"},

		// internal/prevention
		{method: "GET", path: "/api/v1/alerts", role: "viewer", query: []string{"organisation", "state"}, response: map[string]any{},
			summary: "Known-exploited-vulnerability alerts the caller may read: {catalog, alerts}; known ransomware use first, then the oldest due date"},
		{method: "PATCH", path: "/api/v1/alerts/{id}", role: "viewer", request: map[string]any{}, response: alert.Alert{},
			summary: "Acknowledge, fix or dismiss an alert, with a reason kept in its history: {state, reason}"},
		{method: "GET", path: "/api/v1/organisations/{id}/inventory", role: "viewer", response: map[string]any{},
			summary: "An organisation's software inventory: {organisation_id, items}"},
		{method: "POST", path: "/api/v1/organisations/{id}/inventory", role: "viewer", status: http.StatusCreated, request: inventory.Item{},
			response: map[string]any{}, summary: "Add software to an inventory: {item, raised} with the alerts it raised"},
		{method: "DELETE", path: "/api/v1/organisations/{id}/inventory/{item}", role: "viewer", response: map[string]any{},
			summary: "Remove software from an inventory"},
		{method: "GET", path: "/api/v1/warnings", role: "case-worker", response: map[string]any{},
			summary: "Warnings that an organisation with a case or an earlier incident was attacked again"},
		{method: "POST", path: "/api/v1/cases/{id}/organisations", role: "case-worker", request: map[string]any{}, response: map[string]any{},
			summary: "Link a case to a tracker organisation, so a new attack on it warns the case worker"},
		{method: "GET", path: "/api/v1/notifications", role: "admin", response: map[string]any{},
			summary: "The team's outbox: each notification's status (waiting, delivered, retried, failed, withheld)"},
		{method: "GET", path: "/api/v1/volunteer/tasks", role: "volunteer", response: map[string]any{}, summary: "The caller's volunteer tasks: {tasks}"},
		{method: "POST", path: "/api/v1/volunteer-tasks/{id}/hours", role: "volunteer", request: map[string]any{}, response: volunteer.Task{},
			summary: "Log hours on a task, within the yearly cap per helped organisation"},
		{method: "GET", path: "/api/v1/volunteer-tasks/{id}/matches", role: "case-worker", response: []volunteer.Match{},
			summary: "Volunteers ranked for a task: skills, language, time-zone overlap, load, within the cap"},
		{method: "POST", path: "/api/v1/volunteer-tasks/{id}/assign", role: "case-worker", request: map[string]any{}, response: volunteer.Task{},
			summary: "Assign a task to one of its matches"},
		{method: "POST", path: "/api/v1/cases/{id}/volunteer-tasks", role: "case-worker", status: http.StatusCreated, request: map[string]any{},
			response: volunteer.Task{}, summary: "Open a volunteer task on a case, asking for skills and languages"},
		{method: "GET", path: "/api/v1/volunteers/{id}", role: "volunteer", response: volunteer.Profile{}, summary: "A volunteer's profile"},
		{method: "PUT", path: "/api/v1/volunteers/{id}", role: "volunteer", request: volunteer.Profile{}, response: volunteer.Profile{},
			summary: "Keep one's volunteer profile; case workers vet it"},
	}
}
