package treaty

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
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
		"defamation", "insulting-officials", "disinformation", "extremist-content", "peaceful-assembly", "association", "other"}}
	// Persons is the situation of the request's target. The name is kept
	// for the older "person" key.
	Persons = vocab.List{Name: "target", Values: []string{"journalist", "human-rights-defender", "political-opposition",
		"minority", "none"}}
	// Grounds are the grounds on which the target may be pursued. The first
	// seven are those the UN Convention lists (arts 37, 40); sexual
	// orientation and gender identity are not in its list, which the check
	// says.
	Grounds = vocab.List{Name: "ground", Values: []string{"sex", "race", "language", "religion", "nationality", "ethnic-origin",
		"political-opinions", "sexual-orientation", "gender-identity", "none"}}
	Victims        = vocab.List{Name: "victim", Values: []string{"individual", "child", "organisation", "health-care-provider", "none"}}
	DataCategories = vocab.List{Name: "data category", Values: []string{"subscriber", "traffic", "content", "location",
		"health", "sexual-life", "biometric", "children"}}
	// Assurances are the data-protection safeguards the requesting state
	// gives for the data it receives (UNCC 36(2); CETS 224 art. 14).
	Assurances = vocab.List{Name: "assurance", Values: []string{"safeguards-in-law", "sensitive-data-safeguards",
		"retention-limit", "data-security", "access-and-rectification", "remedies", "independent-oversight"}}
	UseLimits      = vocab.List{Name: "use limit", Values: []string{"stated-proceedings-only", "confidential"}}
	OnwardTransfer = vocab.List{Name: "onward transfer", Values: []string{"prohibited", "prior-authorisation", "unrestricted"}}
)

// listedGrounds are the persecution grounds the UN Convention lists.
var listedGrounds = []string{"sex", "race", "language", "religion", "nationality", "ethnic-origin", "political-opinions"}

// expressionConduct is conduct that consists of speech, content, assembly
// or association outside the Conventions' content offences (UNCC 14–16).
var expressionConduct = map[string]bool{"defamation": true, "insulting-officials": true, "disinformation": true,
	"extremist-content": true, "peaceful-assembly": true, "association": true}

// Request is a proposed cooperation request; its JSON is the input of
// `harmtrace check-request` and of POST /api/v1/check-request.
type Request struct {
	RequestingState string             `json:"requesting_state"`
	RequestedState  string             `json:"requested_state"`
	Measure         string             `json:"measure"`
	Conduct         []string           `json:"conduct"`
	MaxPenaltyYears map[string]float64 `json:"max_penalty_years,omitempty"`
	// Person is the older name of Target: read, and copied to Target.
	Person []string `json:"person,omitempty"`
	// Target is the situation of the person the request is about (to be
	// extradited, or whose data is sought); Victim is who suffered the
	// crime. Only the target can be persecuted through the request.
	Target         []string        `json:"target,omitempty"`
	TargetGrounds  []string        `json:"target_grounds,omitempty"`
	Victim         []string        `json:"victim,omitempty"`
	DataCategories []string        `json:"data_categories,omitempty"`
	DataProtection *DataProtection `json:"data_protection,omitempty"`
	Window         *Window         `json:"window,omitempty"`
	Purpose        string          `json:"purpose,omitempty"`
}

// DataProtection is what the request promises for the personal data it
// would receive.
type DataProtection struct {
	Assurances     []string `json:"assurances,omitempty"`
	UseLimits      []string `json:"use_limits,omitempty"`
	OnwardTransfer string   `json:"onward_transfer,omitempty"`
}

// Window is the period of data or activity the request covers.
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

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
		return nil, fmt.Errorf("request: %s", jsonProblem(err))
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
		if err := checkCountry(s.value); err != nil {
			return fmt.Errorf("key %q: %w", s.key, err)
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
	}{{"conduct", r.Conduct, Conducts}, {"person", r.Person, Persons}, {"target", r.Target, Persons},
		{"target_grounds", r.TargetGrounds, Grounds}, {"victim", r.Victim, Victims}, {"data_categories", r.DataCategories, DataCategories}} {
		for i, v := range list.values {
			if err := list.vocab.Check(v); err != nil {
				return fmt.Errorf("key %q[%d]: %w", list.key, i, err)
			}
		}
	}
	if len(r.Target) == 0 {
		r.Target = r.Person
	}
	if err := r.DataProtection.validate(); err != nil {
		return err
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

func (d *DataProtection) validate() error {
	if d == nil {
		return nil
	}
	for i, v := range d.Assurances {
		if err := Assurances.Check(v); err != nil {
			return fmt.Errorf("key \"data_protection.assurances\"[%d]: %w", i, err)
		}
	}
	for i, v := range d.UseLimits {
		if err := UseLimits.Check(v); err != nil {
			return fmt.Errorf("key \"data_protection.use_limits\"[%d]: %w", i, err)
		}
	}
	if d.OnwardTransfer != "" {
		if err := OnwardTransfer.Check(d.OnwardTransfer); err != nil {
			return fmt.Errorf("key \"data_protection.onward_transfer\": %w", err)
		}
	}
	return nil
}

// jsonProblem says what is wrong with the JSON in the request's words: the
// key and the kind of value it takes, never a Go type.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("key %q: must be %s, not a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not valid JSON at byte %d: %s", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.Is(err, io.EOF):
		return "empty: send a JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown key " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of strings"
	case reflect.Map:
		return "an object of numbers by state code"
	case reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "another kind of value"
}

func (r *Request) hasTarget(persons ...string) bool {
	for _, p := range r.Target {
		for _, q := range persons {
			if p == q {
				return true
			}
		}
	}
	return false
}
