package web

import (
	"net/http"

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

// victimEndpoints are the API endpoints that internal/victim and
// internal/casework register themselves: listed here (without a handler)
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
	}
}
