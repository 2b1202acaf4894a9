package treaty

import (
	"context"
	"fmt"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Severities, bases and outcomes of a check.
const (
	Block = "block"
	Warn  = "warn"
	Info  = "info"

	// A finding rests on a treaty's articles, on the project's own
	// recommended safeguard, or on the jurisdiction profile.
	BasisTreaty  = "treaty"
	BasisPolicy  = "policy"
	BasisProfile = "profile"

	Proceed               = "proceed"
	ProceedWithConditions = "proceed-with-conditions"
	RefuseRecommended     = "refuse-recommended"
	// NoTreatyBasis: no instrument binds both states for this request, so
	// it depends on a bilateral treaty or domestic law.
	NoTreatyBasis = "no-treaty-basis"
)

// noBasis is how the result states the basis when no instrument applies.
const noBasis = "none: depends on bilateral or domestic law"

// Finding is one result of one rule.
type Finding struct {
	Rule        string   `json:"rule"`
	Severity    string   `json:"severity"`
	Articles    []string `json:"articles"`
	Explanation string   `json:"explanation"`
	// Condition is what must hold for the request to proceed, when any.
	Condition string `json:"condition,omitempty"`
	// Basis is treaty, policy (the project's recommended safeguard, never
	// an article) or profile.
	Basis string `json:"basis"`
	// NotBinding lists the instruments the finding cites that do not bind
	// both states: they are cited as the standard they set.
	NotBinding []string `json:"not_binding,omitempty"`

	noBasis bool // the request has no treaty basis because of this finding
}

// Citation is an article a finding cites, with what it says and how far
// that was checked.
type Citation struct {
	Article      string       `json:"article"`
	Title        string       `json:"title"`
	Status       string       `json:"status"`
	Paraphrase   string       `json:"paraphrase"`
	Verification Verification `json:"verification"`
	BindsBoth    bool         `json:"binds_both"`
}

// Result is the output of a check; its JSON is a contract.
type Result struct {
	Outcome string `json:"outcome"`
	// Basis names the instrument that binds both states, or says there is none.
	Basis         string          `json:"basis"`
	Applicability []Applicability `json:"applicability"`
	Findings      []Finding       `json:"findings"`
	Citations     []Citation      `json:"citations"`
	Requesting    *Profile        `json:"requesting_profile"`
	Requested     *Profile        `json:"requested_profile"`
}

// Check applies every rule to the request, with the two states' profiles
// from the store.
func Check(ctx context.Context, q db.Querier, req *Request) (*Result, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	requesting, err := GetProfile(ctx, q, req.RequestingState)
	if err != nil {
		return nil, err
	}
	requested, err := GetProfile(ctx, q, req.RequestedState)
	if err != nil {
		return nil, err
	}
	return Evaluate(req, requesting, requested)
}

// Evaluate applies every rule; it fails if a rule cites an article or a
// paragraph that is not in the treaty data, so no citation is ever invented.
func Evaluate(req *Request, requesting, requested *Profile) (*Result, error) {
	c := newContext(req, requesting, requested)
	res := &Result{Findings: []Finding{}, Citations: []Citation{}, Applicability: c.applies,
		Requesting: requesting, Requested: requested}
	var cited []string
	seen := map[string]bool{}
	blocked, warned, basisLost := false, false, !c.bound(Budapest)
	for _, r := range rules {
		for _, f := range r.check(c) {
			if f.Basis == "" {
				f.Basis = BasisTreaty
			}
			sortCitations(f.Articles)
			for _, a := range f.Articles {
				if _, ok := Lookup(a); !ok {
					return nil, fmt.Errorf("rule %s cites %s, which is not in the treaty data", r.name, a)
				}
				if !c.bound(instrumentOf(a)) && !containsString(f.NotBinding, instrumentOf(a)) {
					f.NotBinding = append(f.NotBinding, instrumentOf(a))
				}
				if !seen[a] {
					seen[a] = true
					cited = append(cited, a)
				}
			}
			blocked = blocked || f.Severity == Block
			warned = warned || f.Severity == Warn
			basisLost = basisLost || f.noBasis
			res.Findings = append(res.Findings, f)
		}
	}
	sortCitations(cited)
	for _, a := range cited {
		art, _ := Lookup(a)
		res.Citations = append(res.Citations, Citation{Article: a, Title: art.Article.Title, Status: art.Verification.State,
			Paraphrase: art.Paraphrase, Verification: art.Verification, BindsBoth: c.bound(instrumentOf(a))})
	}
	res.Basis = noBasis
	if !basisLost {
		res.Basis = instrument(Budapest).Name + " binds both states"
	}
	switch {
	case blocked:
		res.Outcome = RefuseRecommended
	case basisLost:
		res.Outcome = NoTreatyBasis
	case warned:
		res.Outcome = ProceedWithConditions
	default:
		res.Outcome = Proceed
	}
	return res, nil
}

func (w *Window) days() int {
	from, _ := time.Parse("2006-01-02", w.From)
	to, _ := time.Parse("2006-01-02", w.To)
	return int(to.Sub(from).Hours()/24) + 1
}

func containsString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
