package victim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/i18n"
	"github.com/harmtrace/harmtrace/internal/recovery"
)

// The victims' JSON API: the same rules as the pages, for the apps and
// hotlines that report on a victim's behalf. A receipt goes in the header
// Authorization: Receipt <code>, never in a URL.

// Submitted is the answer to a report.
type Submitted struct {
	Receipt      string       `json:"receipt"`
	RecoveryPlan RecoveryPlan `json:"recovery_plan"`
}

// RecoveryPlan is the plan as the API gives it.
type RecoveryPlan struct {
	Steps []PlanStep `json:"steps"`
}

// PlanStep is one step: what to do, why, and its public source.
type PlanStep struct {
	Title     string `json:"title"`
	Why       string `json:"why"`
	Source    string `json:"source"`
	SourceURL string `json:"source_url"`
}

func planOf(steps []recovery.Step) RecoveryPlan {
	out := RecoveryPlan{Steps: []PlanStep{}}
	for _, s := range steps {
		out.Steps = append(out.Steps, PlanStep{s.Title, s.Why, s.Source, s.SourceURL})
	}
	return out
}

// invalid is the answer to a report with problems, each message in the
// report's language.
type invalid struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Fields  []fieldProblem `json:"fields"`
}

type fieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func problemsIn(lang string, p casefile.Problems) invalid {
	out := invalid{Code: "invalid_report", Message: i18n.T(lang, "error.form")}
	for _, e := range p {
		out.Fields = append(out.Fields, fieldProblem{e.Field, i18n.T(lang, e.Key, e.Args...)})
	}
	return out
}

func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	private(w)
	if s.reports.Blocked(s.now(), "report:"+httpkit.Address(r)) {
		return httpkit.WriteJSON(w, http.StatusTooManyRequests, httpkit.APIError{Code: "too_many", Message: i18n.T("en", "error.too_many")})
	}
	var rep casefile.Report
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.APIError{Code: "invalid_json", Message: jsonProblem(err)})
	}
	if p := casefile.Validate(&rep, s.now()); p != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, problemsIn(rep.Language, p))
	}
	receipt, c, err := s.cases.Submit(r.Context(), &rep)
	if err != nil {
		return err
	}
	s.reports.Fail(s.now(), "report:"+httpkit.Address(r))
	return httpkit.WriteJSON(w, http.StatusCreated, Submitted{Receipt: receipt, RecoveryPlan: planOf(recovery.Plan(c.Report.Situation(), rep.Language))})
}

// jsonProblem says what is wrong with a body without Go's type names.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return "field " + typeErr.Field + " has the wrong type: see the API documentation at /api"
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON"
	case errors.Is(err, io.EOF):
		return "the body is empty: send the report as JSON"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ReportStatus is a case as its reporter sees it.
type ReportStatus struct {
	Status       string            `json:"status"`
	StatusText   string            `json:"status_text"`
	Created      time.Time         `json:"created"`
	Erased       string            `json:"erased,omitempty"`
	Messages     []ReporterMessage `json:"messages"`
	RecoveryPlan *RecoveryPlan     `json:"recovery_plan,omitempty"`
}

// ReporterMessage is a message as its reporter sees it.
type ReporterMessage struct {
	From    string         `json:"from"` // helper or reporter
	Body    string         `json:"body"`
	File    *casefile.File `json:"file,omitempty"`
	Created time.Time      `json:"created"`
}

// receiptOf reads the Authorization: Receipt header.
func receiptOf(r *http.Request) string {
	scheme, code, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Receipt") {
		return ""
	}
	return strings.TrimSpace(code)
}

// wrongReceipt is the one answer to a receipt that opens nothing.
var wrongReceipt = httpkit.APIError{Code: "unknown_receipt", Message: "no report has this receipt"}

func (s *Server) apiCase(w http.ResponseWriter, r *http.Request) (*casefile.Case, bool, error) {
	private(w)
	c, blocked, err := s.open(r.Context(), r, receiptOf(r))
	switch {
	case err != nil:
		return nil, false, err
	case blocked:
		return nil, false, httpkit.WriteJSON(w, http.StatusTooManyRequests, httpkit.APIError{Code: "too_many", Message: i18n.T("en", "error.too_many")})
	case c == nil:
		w.Header().Set("WWW-Authenticate", `Receipt realm="harmtrace"`)
		return nil, false, httpkit.WriteJSON(w, http.StatusUnauthorized, wrongReceipt)
	}
	return c, true, nil
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) error {
	c, ok, err := s.apiCase(w, r)
	if !ok {
		return err
	}
	return s.writeStatus(w, r, c)
}

func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, c *casefile.Case) error {
	out := ReportStatus{Status: c.Status, StatusText: i18n.T(c.Language, "status."+c.Status), Created: c.Created, Erased: c.Erased,
		Messages: []ReporterMessage{}}
	if !c.IsErased() {
		msgs, err := s.cases.Messages(r.Context(), s.cases.DB, c.ID)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			out.Messages = append(out.Messages, ReporterMessage{From: m.Sender, Body: m.Body, File: m.File, Created: m.Created})
		}
		plan := planOf(recovery.Plan(c.Report.Situation(), c.Language))
		out.RecoveryPlan = &plan
	}
	return httpkit.WriteJSON(w, http.StatusOK, out)
}

// Erasure is the receipt of an erasure.
type Erasure struct {
	Status    string `json:"status"`
	Erased    string `json:"erased"`
	Reference string `json:"reference"`
}

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	c, ok, err := s.apiCase(w, r)
	if !ok {
		return err
	}
	at := c.Erased
	if !c.IsErased() {
		if at, err = s.withdraw(r.Context(), c.ID); err != nil {
			return err
		}
	}
	return httpkit.WriteJSON(w, http.StatusOK, Erasure{Status: "withdrawn", Erased: at, Reference: erasureReference(at)})
}

// Reply is a reporter's reply.
type Reply struct {
	Message string `json:"message"`
}

func (s *Server) apiReply(w http.ResponseWriter, r *http.Request) error {
	c, ok, err := s.apiCase(w, r)
	if !ok {
		return err
	}
	if c.IsErased() {
		return httpkit.WriteJSON(w, http.StatusGone, httpkit.APIError{Code: "erased", Message: "this report was withdrawn and erased"})
	}
	var body Reply
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, httpkit.APIError{Code: "invalid_json", Message: jsonProblem(err)})
	}
	if p := casefile.CheckMessage(body.Message, false); p != nil {
		return httpkit.WriteJSON(w, http.StatusUnprocessableEntity, problemsIn(c.Language, casefile.Problems{*p}))
	}
	if err := s.reply(r.Context(), c.ID, body.Message, "", nil); err != nil {
		return err
	}
	c, err = s.cases.Get(r.Context(), s.cases.DB, c.ID)
	if err != nil {
		return err
	}
	return s.writeStatus(w, r, c)
}

// Figures are the anonymous counts of what victims reported: no case, and
// no count under casefile.MinCount, is ever public.
type Figures struct {
	casefile.GroupCounts
	MinCount int    `json:"min_count"`
	Note     string `json:"note"`
}

func (s *Server) apiFigures(w http.ResponseWriter, r *http.Request) error {
	counts, err := casefile.CountGroups(r.Context(), s.cases.DB)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, Figures{GroupCounts: counts, MinCount: casefile.MinCount,
		Note: "Reports to the helpers that were not withdrawn or erased. Harm to groups is counted only where the reporter allowed it. A count under min_count is withheld (null, or left out of by_attack_type), so that no small number points at a person."})
}
