package treaty

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Vocabularies of a request.
var (
	Measures = vocab.List{Name: "measure", Values: []string{"extradition", "mutual-legal-assistance", "expedited-preservation",
		"production-order", "stored-data-access", "real-time-traffic-data", "content-interception"}}
	Conducts = vocab.List{Name: "conduct", Values: []string{"illegal-access", "illegal-interception", "data-interference",
		"system-interference", "misuse-of-devices", "forgery", "fraud", "csam", "grooming", "intimate-images", "laundering",
		"defamation", "insulting-officials", "disinformation", "extremist-content", "other"}}
	Persons = vocab.List{Name: "person", Values: []string{"journalist", "human-rights-defender", "political-opposition",
		"minority", "none"}}
	DataCategories = vocab.List{Name: "data category", Values: []string{"subscriber", "traffic", "content", "location",
		"health", "sexual-life", "biometric", "children"}}
)

// expressionConduct is conduct that consists of speech or content outside
// the Convention's content offences (arts 14–16).
var expressionConduct = map[string]bool{"defamation": true, "insulting-officials": true, "disinformation": true, "extremist-content": true}

// Request is a proposed cooperation request; its JSON is the input of
// `harmtrace check-request` and of POST /api/v1/check-request.
type Request struct {
	RequestingState string             `json:"requesting_state"`
	RequestedState  string             `json:"requested_state"`
	Measure         string             `json:"measure"`
	Conduct         []string           `json:"conduct"`
	MaxPenaltyYears map[string]float64 `json:"max_penalty_years,omitempty"`
	Person          []string           `json:"person,omitempty"`
	DataCategories  []string           `json:"data_categories,omitempty"`
	Window          *Window            `json:"window,omitempty"`
	Purpose         string             `json:"purpose,omitempty"`
}

// Window is the period of data or activity the request covers.
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

var statePattern = regexp.MustCompile(`^[A-Z]{2}$`)

// DecodeRequest reads a request strictly: an unknown key or value is an
// error naming it; missing optional parts are left unknown.
func DecodeRequest(r io.Reader) (*Request, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("request: unexpected data after the JSON object")
	}
	return &req, req.Validate()
}

// Validate names the first key with a bad value.
func (r *Request) Validate() error {
	r.RequestingState = strings.ToUpper(strings.TrimSpace(r.RequestingState))
	r.RequestedState = strings.ToUpper(strings.TrimSpace(r.RequestedState))
	for _, s := range []struct{ key, value string }{{"requesting_state", r.RequestingState}, {"requested_state", r.RequestedState}} {
		if !statePattern.MatchString(s.value) {
			return fmt.Errorf("key %q: %q is not an ISO 3166-1 alpha-2 code", s.key, s.value)
		}
	}
	if r.RequestingState == r.RequestedState {
		return fmt.Errorf("key \"requested_state\": the requested state is the requesting state")
	}
	if err := Measures.Check(r.Measure); err != nil {
		return fmt.Errorf("key \"measure\": %w", err)
	}
	if len(r.Conduct) == 0 {
		return fmt.Errorf("key \"conduct\": name at least one conduct (use \"other\" with the stated purpose)")
	}
	for _, list := range []struct {
		key    string
		values []string
		vocab  vocab.List
	}{{"conduct", r.Conduct, Conducts}, {"person", r.Person, Persons}, {"data_categories", r.DataCategories, DataCategories}} {
		for i, v := range list.values {
			if err := list.vocab.Check(v); err != nil {
				return fmt.Errorf("key %q[%d]: %w", list.key, i, err)
			}
		}
	}
	for state, years := range r.MaxPenaltyYears {
		if state != r.RequestingState && state != r.RequestedState {
			return fmt.Errorf("key \"max_penalty_years\": %q is neither the requesting nor the requested state", state)
		}
		if years < 0 {
			return fmt.Errorf("key \"max_penalty_years\": %s: %v is negative", state, years)
		}
	}
	if w := r.Window; w != nil {
		from, err1 := time.Parse("2006-01-02", w.From)
		to, err2 := time.Parse("2006-01-02", w.To)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("key \"window\": from and to must be dates YYYY-MM-DD")
		}
		if to.Before(from) {
			return fmt.Errorf("key \"window\": to %s is before from %s", w.To, w.From)
		}
	}
	return nil
}

// penalty returns the maximum penalty in years a state gives, and whether
// it is known.
func (r *Request) penalty(state string) (float64, bool) {
	y, ok := r.MaxPenaltyYears[state]
	return y, ok
}

func (r *Request) hasPerson(persons ...string) bool {
	for _, p := range r.Person {
		for _, q := range persons {
			if p == q {
				return true
			}
		}
	}
	return false
}
