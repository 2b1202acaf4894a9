package treaty

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Severities and outcomes of a check.
const (
	Block = "block"
	Warn  = "warn"
	Info  = "info"

	Proceed               = "proceed"
	ProceedWithConditions = "proceed-with-conditions"
	RefuseRecommended     = "refuse-recommended"
)

// Finding is one result of one rule.
type Finding struct {
	Rule        string   `json:"rule"`
	Severity    string   `json:"severity"`
	Articles    []string `json:"articles"`
	Explanation string   `json:"explanation"`
	// Condition is what must hold for the request to proceed, when any.
	Condition string `json:"condition,omitempty"`
}

// Citation is an article a finding cites, with how far its entry was checked.
type Citation struct {
	Article string `json:"article"`
	Title   string `json:"title"`
	Status  string `json:"status"`
}

// Result is the output of a check; its JSON is a contract.
type Result struct {
	Outcome    string     `json:"outcome"`
	Findings   []Finding  `json:"findings"`
	Citations  []Citation `json:"citations"`
	Requesting *Profile   `json:"requesting_profile"`
	Requested  *Profile   `json:"requested_profile"`
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

// Evaluate applies every rule; it fails if a rule cites an article that
// is not in the treaty data, so no citation is ever invented.
func Evaluate(req *Request, requesting, requested *Profile) (*Result, error) {
	c := &checkContext{req: req, requesting: requesting, requested: requested}
	res := &Result{Outcome: Proceed, Findings: []Finding{}, Requesting: requesting, Requested: requested}
	cited := map[string]bool{}
	for _, r := range rules {
		for _, f := range r.check(c) {
			for _, a := range f.Articles {
				art, ok := Lookup(a)
				if !ok {
					return nil, fmt.Errorf("rule %s cites %s, which is not in the treaty data", r.name, a)
				}
				if !cited[a] {
					cited[a] = true
					res.Citations = append(res.Citations, Citation{Article: a, Title: art.Title, Status: art.Status})
				}
			}
			res.Findings = append(res.Findings, f)
			switch {
			case f.Severity == Block:
				res.Outcome = RefuseRecommended
			case f.Severity == Warn && res.Outcome == Proceed:
				res.Outcome = ProceedWithConditions
			}
		}
	}
	sort.Slice(res.Citations, func(i, j int) bool { return res.Citations[i].Article < res.Citations[j].Article })
	return res, nil
}

func (w *Window) days() int {
	from, _ := time.Parse("2006-01-02", w.From)
	to, _ := time.Parse("2006-01-02", w.To)
	return int(to.Sub(from).Hours()/24) + 1
}
