package public

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/httpkit"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/treaty"
)

// checkPage is the form and result of a cooperation-request check.
type checkPage struct {
	Viewer                                      *account.User
	Title                                       string
	Form                                        treaty.Request
	PenaltyRequesting, PenaltyRequested         string
	From, To                                    string
	Result                                      *treaty.Result
	Error                                       string
	Measures, Conducts, Persons, DataCategories []string
	Grounds, Victims, Assurances, UseLimits     []string
	OnwardTransfers                             []string
	// The data-protection part of the form, filled in again.
	FormAssurances, FormUseLimits []string
	FormOnward                    string
}

func newCheckPage(r *http.Request) *checkPage {
	return &checkPage{Viewer: httpkit.User(r), Title: "Check a cooperation request", Measures: treaty.Measures.Values, Conducts: treaty.Conducts.Values,
		Persons: treaty.Persons.Values, DataCategories: treaty.DataCategories.Values, Grounds: treaty.Grounds.Values,
		Victims: treaty.Victims.Values, Assurances: treaty.Assurances.Values, UseLimits: treaty.UseLimits.Values,
		OnwardTransfers: treaty.OnwardTransfer.Values}
}

func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "check.html", newCheckPage(r))
}

// checkSubmit reads the form into a request, checks it and shows the result
// with the form filled in again.
func (s *Server) checkSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	p := newCheckPage(r)
	f := r.PostForm
	p.Form = treaty.Request{RequestingState: f.Get("requesting_state"), RequestedState: f.Get("requested_state"),
		Measure: f.Get("measure"), Conduct: f["conduct"], Target: f["target"], TargetGrounds: f["target_grounds"],
		Victim: f["victim"], DataCategories: f["data_categories"], Purpose: f.Get("purpose"), MaxPenaltyYears: map[string]float64{}}
	if len(f["person"]) > 0 && len(p.Form.Target) == 0 {
		p.Form.Target = f["person"] // the form's older field name
	}
	if len(f["assurances"]) > 0 || len(f["use_limits"]) > 0 || f.Get("onward_transfer") != "" {
		p.Form.DataProtection = &treaty.DataProtection{Assurances: f["assurances"], UseLimits: f["use_limits"],
			OnwardTransfer: f.Get("onward_transfer")}
	}
	p.FormAssurances, p.FormUseLimits, p.FormOnward = f["assurances"], f["use_limits"], f.Get("onward_transfer")
	p.PenaltyRequesting, p.PenaltyRequested, p.From, p.To = f.Get("penalty_requesting"), f.Get("penalty_requested"), f.Get("from"), f.Get("to")
	for _, pen := range []struct{ state, value string }{
		{strings.ToUpper(p.Form.RequestingState), p.PenaltyRequesting}, {strings.ToUpper(p.Form.RequestedState), p.PenaltyRequested},
	} {
		if pen.value == "" {
			continue
		}
		years, err := strconv.ParseFloat(pen.value, 64)
		if err != nil {
			p.Error = "The maximum penalty must be a number of years."
			return s.render(w, http.StatusUnprocessableEntity, "check.html", p)
		}
		p.Form.MaxPenaltyYears[pen.state] = years
	}
	if p.From != "" || p.To != "" {
		p.Form.Window = &treaty.Window{From: p.From, To: p.To}
	}
	req := p.Form
	res, err := treaty.Check(r.Context(), s.store, &req)
	if err != nil {
		var status = http.StatusUnprocessableEntity
		p.Error = err.Error()
		return s.render(w, status, "check.html", p)
	}
	p.Result = res
	return s.render(w, http.StatusOK, "check.html", p)
}
