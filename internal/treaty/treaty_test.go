package treaty_test

import (
	"context"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/treaty"
)

var (
	ctx    = context.Background()
	update = flag.Bool("update", false, "rewrite the golden files")
)

func load(t *testing.T, file string) *treaty.Request {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req, err := treaty.DecodeRequest(f)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// has finds a finding by rule and severity citing the article; an empty
// article asks for a project safeguard, which cites none.
func has(res *treaty.Result, rule, severity, article string) bool {
	for _, f := range res.Findings {
		if f.Rule == rule && f.Severity == severity && (slices.Contains(f.Articles, article) || article == "" && f.Basis == treaty.BasisPolicy) {
			return true
		}
	}
	return false
}

// TestExamples runs the requests of testdata against the shipped profiles,
// and checks outcome and key findings. The first three are the examples of
// the first treaty issue and keep their outcomes.
func TestExamples(t *testing.T) {
	tests := []struct {
		file    string
		outcome string
		must    [][3]string // rule, severity, article ("" for a project safeguard)
	}{
		{"testdata/hospital-preservation.json", treaty.Proceed, [][3]string{
			{"applicability", "info", "Budapest 23"}, {"scope", "info", "UNCC 9"}, {"dual-criminality", "info", "Budapest 29(3)"}}},
		{"testdata/journalist-extradition.json", treaty.RefuseRecommended, [][3]string{
			{"scope", "block", "UNCC 6(2)"}, {"refusal-grounds", "block", "Budapest 24(5)"}, {"refusal-grounds", "warn", "Budapest 24(5)"}}},
		{"testdata/fraud-interception.json", treaty.RefuseRecommended, [][3]string{
			{"scope", "info", "UNCC 13"}, {"intrusive-measures", "block", ""}, {"intrusive-measures", "warn", "Budapest 21(1)"}}},
		{"testdata/grooming-mla.json", treaty.ProceedWithConditions, [][3]string{
			{"scope", "info", "UNCC 15"}, {"data-protection", "warn", "UNCC 36(2)"}, {"dual-criminality", "warn", "Budapest 25(5)"}}},
		{"testdata/darknet-extradition.json", treaty.NoTreatyBasis, [][3]string{
			{"scope", "warn", "Budapest 24(1)(a)"}, {"scope", "warn", "UNCC 37"}}},
		{"testdata/production-no-assurances.json", treaty.ProceedWithConditions, [][3]string{
			{"data-protection", "warn", "UNCC 36(2)"}, {"data-protection", "warn", "UNCC 36(3)"}, {"data-protection", "warn", "CETS224 14(2)"}}},
		{"testdata/production-with-assurances.json", treaty.Proceed, nil},
		{"testdata/non-parties-preservation.json", treaty.NoTreatyBasis, [][3]string{
			{"applicability", "warn", "UNCC 65(1)"}, {"dual-criminality", "info", "UNCC 42"}}},
	}
	store := dbtest.SQLite(t)
	// The Netherlands' profile records fraud, so that a request with every
	// assurance can proceed; the other states keep the shipped seed.
	nl := treaty.Profile{Country: "NL", Budapest: "party", DeathPenalty: "abolished",
		Criminalises: []treaty.Criminalisation{{Conduct: "fraud", Criminal: true, MaxPenaltyYears: 4, Source: "test profile"}}}
	if err := store.Write(ctx, db.Author{Who: "test", Why: "fixture"}, func(tx *db.Tx) error {
		_, err := treaty.SaveProfile(ctx, tx, &nl)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := treaty.Check(ctx, store, load(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s; findings %+v", res.Outcome, tt.outcome, res.Findings)
			}
			for _, m := range tt.must {
				if !has(res, m[0], m[1], m[2]) {
					t.Errorf("no %s %s finding citing %q; findings %+v", m[1], m[0], m[2], res.Findings)
				}
			}
		})
	}
}

// Profiles used by the rule tests: two Budapest Parties, two states bound
// by neither Convention, and one nobody described.
var (
	partyA   = &treaty.Profile{Country: "FR", Budapest: "party", UNCC: "signatory", DeathPenalty: "abolished"}
	partyB   = &treaty.Profile{Country: "DE", Budapest: "party", UNCC: "signatory", DeathPenalty: "abolished"}
	outsideA = &treaty.Profile{Country: "IN", Budapest: "none", UNCC: "none", DeathPenalty: "retained"}
	outsideB = &treaty.Profile{Country: "CN", Budapest: "none", UNCC: "unknown", DeathPenalty: "retained"}
	nobody   = &treaty.Profile{Country: "DE", Budapest: "unknown", UNCC: "unknown", DeathPenalty: "unknown"}
)

func base() *treaty.Request {
	return &treaty.Request{RequestingState: "FR", RequestedState: "DE", Measure: "mutual-legal-assistance",
		Conduct: []string{"illegal-access"}, MaxPenaltyYears: map[string]float64{"FR": 6, "DE": 6}, Purpose: "x",
		DataProtection: &treaty.DataProtection{Assurances: []string{"safeguards-in-law"}, UseLimits: []string{"stated-proceedings-only"},
			OnwardTransfer: "prior-authorisation"}}
}

func evaluate(t *testing.T, req *treaty.Request, requesting, requested *treaty.Profile) *treaty.Result {
	t.Helper()
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := treaty.Evaluate(req, requesting, requested)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRules checks each rule on a request varied one field at a time.
func TestRules(t *testing.T) {
	notCriminal := &treaty.Profile{Country: "DE", Budapest: "party", UNCC: "party", DeathPenalty: "abolished",
		Criminalises: []treaty.Criminalisation{{Conduct: "illegal-access", Criminal: false, Source: "Penal code, art. 1"}}}
	criminal := &treaty.Profile{Country: "DE", Budapest: "party", DeathPenalty: "abolished",
		Criminalises: []treaty.Criminalisation{{Conduct: "illegal-access", Criminal: true, MaxPenaltyYears: 3, Source: "StGB 202a"}}}
	tests := []struct {
		name                    string
		change                  func(r *treaty.Request)
		requesting, requested   *treaty.Profile
		rule, severity, article string
		outcome                 string
		wantCondition           bool
	}{
		{"extradition without dual criminality blocks", func(r *treaty.Request) { r.Measure = "extradition" }, partyA, notCriminal,
			"dual-criminality", "block", "Budapest 24(1)(a)", treaty.RefuseRecommended, false},
		{"assistance without dual criminality warns", func(r *treaty.Request) {}, partyA, notCriminal, "dual-criminality", "warn",
			"Budapest 25(4)", treaty.ProceedWithConditions, false},
		{"unknown criminalisation asks to verify", func(r *treaty.Request) {}, partyA, partyB, "dual-criminality", "warn", "Budapest 25(5)",
			treaty.ProceedWithConditions, false},
		{"Budapest Parties need 1 year in both", func(r *treaty.Request) { r.Measure = "extradition"; r.MaxPenaltyYears["DE"] = 0.5 },
			partyA, criminal, "dual-criminality", "block", "Budapest 24(1)(a)", treaty.RefuseRecommended, false},
		{"a profile's penalty is used when the request gives none", func(r *treaty.Request) {
			r.Measure = "extradition"
			delete(r.MaxPenaltyYears, "DE")
		}, partyA, &treaty.Profile{Country: "DE", Budapest: "party", DeathPenalty: "abolished", Criminalises: []treaty.Criminalisation{
			{Conduct: "illegal-access", Criminal: true, MaxPenaltyYears: 0.5, Source: "x"}}}, "dual-criminality", "block", "Budapest 24(1)(a)",
			treaty.RefuseRecommended, false},
		{"death penalty retained asks for assurances", func(r *treaty.Request) {
			r.Measure, r.RequestingState = "extradition", "IN"
			r.MaxPenaltyYears = map[string]float64{"IN": 6, "DE": 6}
		},
			&treaty.Profile{Country: "IN", Budapest: "party", DeathPenalty: "retained"}, criminal, "death-penalty", "warn", "Budapest 24(5)",
			treaty.ProceedWithConditions, true},
		{"death penalty unknown is not proceed", func(r *treaty.Request) { r.Measure = "extradition" },
			&treaty.Profile{Country: "FR", Budapest: "party", DeathPenalty: "unknown"}, criminal, "death-penalty", "warn", "UNCC 6(1)",
			treaty.ProceedWithConditions, true},
		{"at-risk target with a cyber offence warns", func(r *treaty.Request) { r.Target = []string{"human-rights-defender"} }, partyA, criminal,
			"refusal-grounds", "warn", "Budapest 25(4)", treaty.ProceedWithConditions, false},
		{"a listed persecution ground blocks", func(r *treaty.Request) { r.TargetGrounds = []string{"political-opinions"} }, partyA, criminal,
			"refusal-grounds", "block", "UNCC 40", treaty.RefuseRecommended, false},
		{"peaceful assembly is expression", func(r *treaty.Request) { r.Conduct = []string{"peaceful-assembly"} }, partyA, criminal,
			"scope", "block", "UNCC 6(2)", treaty.RefuseRecommended, false},
		{"association by an opposition member blocks as persecution", func(r *treaty.Request) {
			r.Conduct = []string{"association"}
			r.Target = []string{"political-opposition"}
		}, partyA, criminal, "refusal-grounds", "block", "UNCC 6(2)", treaty.RefuseRecommended, false},
		{"political offence in assistance between Parties cites 27(4)(a)", func(r *treaty.Request) { r.Target = []string{"political-opposition"} },
			partyA, criminal, "refusal-grounds", "warn", "Budapest 27(4)(a)", treaty.ProceedWithConditions, false},
		{"political offence in extradition cites 24(5)", func(r *treaty.Request) {
			r.Measure = "extradition"
			r.Target = []string{"political-opposition"}
		}, partyA, criminal, "refusal-grounds", "warn", "Budapest 24(5)", treaty.ProceedWithConditions, false},
		{"real-time traffic data has conditions", func(r *treaty.Request) {
			r.Measure = "real-time-traffic-data"
			r.Window = &treaty.Window{From: "2025-01-01", To: "2025-01-10"}
		}, partyA, criminal, "intrusive-measures", "warn", "Budapest 20(1)", treaty.ProceedWithConditions, true},
		{"no window for an intrusive measure warns", func(r *treaty.Request) { r.Measure = "content-interception" }, partyA, criminal,
			"intrusive-measures", "warn", "Budapest 15(2)", treaty.ProceedWithConditions, false},
		{"an extradition needs no data", func(r *treaty.Request) { r.Measure = "extradition"; r.DataCategories = []string{"subscriber"} },
			partyA, criminal, "personal-data", "warn", "Budapest 15(1)", treaty.ProceedWithConditions, false},
		{"no purpose warns", func(r *treaty.Request) { r.Purpose = "" }, partyA, criminal, "purpose", "warn", "Budapest 15(1)",
			treaty.ProceedWithConditions, false},
		{"unknown Budapest status is no known basis", func(r *treaty.Request) {}, partyA, nobody, "applicability", "warn", "",
			treaty.NoTreatyBasis, false},
		{"extradition for a UN-only offence has no treaty basis", func(r *treaty.Request) {
			r.Measure = "extradition"
			r.Conduct = []string{"grooming"}
		}, partyA, criminal, "scope", "warn", "Budapest 24(1)(a)", treaty.NoTreatyBasis, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			tt.change(req)
			res := evaluate(t, req, tt.requesting, tt.requested)
			found := false
			for _, f := range res.Findings {
				if f.Rule == tt.rule && f.Severity == tt.severity && (tt.article == "" || slices.Contains(f.Articles, tt.article)) {
					found = true
					if tt.wantCondition && f.Condition == "" {
						t.Errorf("finding has no condition: %+v", f)
					}
				}
			}
			if !found {
				t.Errorf("no %s %s finding citing %s in %+v", tt.severity, tt.rule, tt.article, res.Findings)
			}
			if res.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s; findings %+v", res.Outcome, tt.outcome, res.Findings)
			}
		})
	}
}

// TestApplicability: a request between states bound by neither instrument
// is never "proceed", and says so at the top; the UN Convention binds no
// one while it is not in force.
func TestApplicability(t *testing.T) {
	for _, measure := range treaty.Measures.Values {
		req := base()
		req.RequestingState, req.RequestedState, req.Measure = "IN", "CN", measure
		req.MaxPenaltyYears = map[string]float64{"IN": 10, "CN": 10}
		req.Window = &treaty.Window{From: "2025-01-01", To: "2025-01-10"}
		res := evaluate(t, req, outsideA, outsideB)
		if res.Outcome == treaty.Proceed || res.Outcome == treaty.ProceedWithConditions {
			t.Errorf("%s between non-Parties: outcome %s", measure, res.Outcome)
		}
		if res.Basis != "none: depends on bilateral or domestic law" {
			t.Errorf("%s between non-Parties: basis %q", measure, res.Basis)
		}
		if res.Findings[0].Rule != "applicability" {
			t.Errorf("%s: the first finding is %s, want applicability", measure, res.Findings[0].Rule)
		}
		for _, a := range res.Applicability {
			if a.BindsBoth {
				t.Errorf("%s: %s binds both", measure, a.Instrument)
			}
		}
		for _, c := range res.Citations {
			if c.BindsBoth {
				t.Errorf("%s: citation %s marked binding between non-Parties", measure, c.Article)
			}
		}
	}
	res := evaluate(t, base(), &treaty.Profile{Country: "FR", Budapest: "party", UNCC: "party", DeathPenalty: "abolished"},
		&treaty.Profile{Country: "DE", Budapest: "party", UNCC: "party", DeathPenalty: "abolished"})
	for _, a := range res.Applicability {
		if want := a.Instrument == "Budapest"; a.BindsBoth != want {
			t.Errorf("two Parties to both: %s binds_both=%v, want %v (the UN Convention is not in force)", a.Instrument, a.BindsBoth, want)
		}
	}
	for _, f := range res.Findings {
		for _, a := range f.Articles {
			if strings.HasPrefix(a, "UNCC ") && !slices.Contains(f.NotBinding, "UNCC") {
				t.Errorf("finding %s cites %s without marking the UN Convention as not binding", f.Rule, a)
			}
		}
	}
}

// TestNoWrongBasis: no finding cites Budapest 27 for extradition, and none
// cites Budapest 29 (or any Budapest co-operation article) between non-Parties.
func TestNoWrongBasis(t *testing.T) {
	variants := []func(r *treaty.Request){
		func(r *treaty.Request) {},
		func(r *treaty.Request) { r.Target = []string{"political-opposition"} },
		func(r *treaty.Request) {
			r.Conduct = []string{"insulting-officials"}
			r.Target = []string{"journalist"}
		},
		func(r *treaty.Request) {
			r.Conduct = []string{"other"}
			r.TargetGrounds = []string{"religion", "gender-identity"}
		},
		func(r *treaty.Request) { r.DataCategories = []string{"content", "health"}; r.DataProtection = nil },
	}
	for _, measure := range treaty.Measures.Values {
		for i, change := range variants {
			req := base()
			req.Measure = measure
			change(req)
			res := evaluate(t, req, partyA, partyB)
			for _, f := range res.Findings {
				for _, a := range f.Articles {
					if measure == "extradition" && strings.HasPrefix(a, "Budapest 27") {
						t.Errorf("extradition variant %d: %s cites %s", i, f.Rule, a)
					}
					if measure != "extradition" && strings.HasPrefix(a, "UNCC 37") {
						t.Errorf("%s variant %d: %s cites the extradition article %s", measure, i, f.Rule, a)
					}
				}
			}
			req.RequestingState, req.RequestedState = "IN", "CN"
			req.MaxPenaltyYears = nil
			res = evaluate(t, req, outsideA, outsideB)
			for _, c := range res.Citations {
				if strings.HasPrefix(c.Article, "Budapest ") && !isOffenceArticle(c.Article) {
					t.Errorf("%s variant %d between non-Parties cites %s", measure, i, c.Article)
				}
			}
		}
	}
}

func isOffenceArticle(citation string) bool {
	c, ok := treaty.Lookup(citation)
	return ok && c.Article.Offence != nil
}

// TestDataProtection: a request that hands over personal data is checked
// for assurances, use limits and onward transfer; without them it is not
// "proceed".
func TestDataProtection(t *testing.T) {
	tests := []struct {
		name     string
		dp       *treaty.DataProtection
		data     []string
		severity string
		article  string
		outcome  string
	}{
		{"no assurances at all", nil, []string{"subscriber"}, "warn", "UNCC 36(1)(a)", treaty.ProceedWithConditions},
		{"no onward-transfer term", &treaty.DataProtection{Assurances: []string{"safeguards-in-law"}, UseLimits: []string{"confidential"}},
			nil, "warn", "UNCC 36(3)", treaty.ProceedWithConditions},
		{"unrestricted onward transfer", &treaty.DataProtection{Assurances: []string{"safeguards-in-law"},
			UseLimits: []string{"stated-proceedings-only"}, OnwardTransfer: "unrestricted"}, nil, "block", "CETS224 14(10)", treaty.RefuseRecommended},
		{"no use limit", &treaty.DataProtection{Assurances: []string{"safeguards-in-law"}, OnwardTransfer: "prohibited"}, nil,
			"warn", "Budapest 28(2)(b)", treaty.ProceedWithConditions},
		{"health data without sensitive-data safeguards", &treaty.DataProtection{Assurances: []string{"safeguards-in-law"},
			UseLimits: []string{"stated-proceedings-only"}, OnwardTransfer: "prohibited"}, []string{"health"}, "warn", "CETS224 14(4)",
			treaty.ProceedWithConditions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			req.Measure, req.DataProtection, req.DataCategories = "production-order", tt.dp, tt.data
			req.Conduct = []string{"fraud"}
			res := evaluate(t, req, partyA, &treaty.Profile{Country: "DE", Budapest: "party", DeathPenalty: "abolished",
				Criminalises: []treaty.Criminalisation{{Conduct: "fraud", Criminal: true, MaxPenaltyYears: 5, Source: "StGB 263a"}}})
			if !has(res, "data-protection", tt.severity, tt.article) {
				t.Errorf("no %s data-protection finding citing %s: %+v", tt.severity, tt.article, res.Findings)
			}
			if res.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s", res.Outcome, tt.outcome)
			}
		})
	}
	// Preservation keeps data where it is: no transfer, no assurance asked,
	// and content data is not broader than the measure.
	req := base()
	req.Measure, req.DataProtection, req.DataCategories = "expedited-preservation", nil, []string{"content", "traffic"}
	res := evaluate(t, req, partyA, partyB)
	for _, f := range res.Findings {
		if f.Rule == "data-protection" || f.Rule == "personal-data" {
			t.Errorf("preservation: unexpected %+v", f)
		}
	}
}

// TestGroundsAndParties: the target and the victim are separate parties;
// grounds outside the UN Convention's list are named as such.
func TestGroundsAndParties(t *testing.T) {
	req := base()
	req.Victim = []string{"individual"}
	req.Target = nil
	req.Person = nil
	res := evaluate(t, req, partyA, partyB)
	for _, f := range res.Findings {
		if f.Rule == "refusal-grounds" {
			t.Errorf("a request whose victim is an individual and whose target is not at risk raised %+v", f)
		}
	}
	req = base()
	req.TargetGrounds = []string{"sexual-orientation"}
	res = evaluate(t, req, partyA, partyB)
	found := false
	for _, f := range res.Findings {
		if f.Rule == "refusal-grounds" && f.Severity == treaty.Warn && strings.Contains(f.Explanation, "absent from the UN Convention's list") {
			found = true
		}
	}
	if !found {
		t.Errorf("sexual orientation not said to be absent from the list: %+v", res.Findings)
	}
	req = base()
	req.Person = []string{"journalist"}
	if err := req.Validate(); err != nil || !slices.Equal(req.Target, []string{"journalist"}) {
		t.Errorf("the older key person is not read as the target: %v %v", req.Target, err)
	}
}

// TestPolicyIsLabelled: the project's own thresholds are labelled as its
// recommended safeguard and never cite an article; 2(h) is not a threshold
// for interception, and no 90-day limit is applied to intrusive measures.
func TestPolicyIsLabelled(t *testing.T) {
	req := base()
	req.Measure, req.MaxPenaltyYears["FR"] = "content-interception", 2
	req.Window = &treaty.Window{From: "2025-01-01", To: "2025-12-31"}
	res := evaluate(t, req, partyA, partyB)
	policies := 0
	for _, f := range res.Findings {
		if f.Basis == treaty.BasisPolicy {
			policies++
			if len(f.Articles) != 0 || !strings.HasPrefix(f.Explanation, "Project safeguard, not a treaty rule") {
				t.Errorf("policy finding not labelled apart: %+v", f)
			}
		}
		if f.Rule == "intrusive-measures" && slices.Contains(f.Articles, "UNCC 2(h)") {
			t.Errorf("2(h) used as an interception threshold: %+v", f)
		}
		if strings.Contains(f.Explanation, "90 days") {
			t.Errorf("a 90-day limit no text contains: %+v", f)
		}
	}
	if policies != 1 || res.Outcome != treaty.RefuseRecommended {
		t.Errorf("%d policy findings, outcome %s; want one block from the 4-year safeguard", policies, res.Outcome)
	}
}

func TestBadRequestsNameTheKey(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"], "urgency": "high"}`, `"urgency"`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "arrest", "conduct": ["fraud"]}`, `key "measure"`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud", "jaywalking"]}`, `key "conduct"[1]`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"], "person": ["spy"]}`, `key "person"[0]`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"], "target_grounds": ["wealth"]}`, `key "target_grounds"[0]`},
		{`{"requesting_state": "France", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"]}`, `key "requesting_state"`},
		{`{"requesting_state": "UK", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"]}`, `the United Kingdom is "GB"`},
		{`{"requesting_state": "AA", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"]}`, `key "requesting_state": "AA" is not an ISO 3166-1`},
		{`{"requested_state": "DE", "measure": "extradition", "conduct": ["fraud"]}`, `key "requesting_state": is missing`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": "fraud"}`, `key "conduct": must be a list of strings`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"], "max_penalty_years": {"GB": 3}}`, `"GB"`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "production-order", "conduct": ["fraud"], "data_protection": {"onward_transfer": "anywhere"}}`, `key "data_protection.onward_transfer"`},
		{`{"requesting_state": "FR", "requested_state": "DE", "measure": "extradition", "conduct": ["fraud"], "window": {"from": "2025-02-01", "to": "2025-01-01"}}`, `key "window"`},
	}
	for _, tt := range tests {
		_, err := treaty.DecodeRequest(strings.NewReader(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v does not name %s", err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "[]string") || strings.Contains(err.Error(), "treaty.")) {
			t.Errorf("error %q shows a Go type", err)
		}
	}
}

// TestTreatyData checks the shipped data: both Conventions' offence
// articles, a verification state on every article and paragraph, a text
// and a date on every verified one, and every conduct of an offence in the
// vocabulary.
func TestTreatyData(t *testing.T) {
	d := treaty.Articles()
	for _, cite := range []string{"UNCC 2(h)", "UNCC 6(2)", "UNCC 7", "UNCC 17", "UNCC 24", "UNCC 36(3)", "UNCC 65(1)", "Budapest 2",
		"Budapest 15(2)", "Budapest 24(1)(a)", "Budapest 24(5)", "Budapest 29(3)", "Budapest 35", "CETS224 14(10)"} {
		if _, ok := treaty.Lookup(cite); !ok {
			t.Errorf("%s is not in the data", cite)
		}
	}
	for _, cite := range []string{"UNCC 99", "Budapest 24(9)", "UNCC 2(z)"} {
		if _, ok := treaty.Lookup(cite); ok {
			t.Errorf("%s does not exist but was found", cite)
		}
	}
	check := func(where string, v treaty.Verification) {
		if _, ok := d.Statuses[v.State]; !ok {
			t.Errorf("%s: unknown verification state %q", where, v.State)
		}
		if _, err := time.Parse("2006-01-02", v.Checked); err != nil {
			t.Errorf("%s: no date checked (%q)", where, v.Checked)
		}
		if v.State == treaty.Verified && v.Against == "" {
			t.Errorf("%s: verified against no named text", where)
		}
		if v.State != treaty.Verified && v.Note == "" {
			t.Errorf("%s: not verified, and no note says why", where)
		}
	}
	for _, a := range d.Articles {
		where := a.Convention + " " + a.Number
		check(where, a.Verification)
		if a.Status != a.Verification.State {
			t.Errorf("%s: status %q differs from its verification %q", where, a.Status, a.Verification.State)
		}
		for _, p := range a.Paragraphs {
			c, ok := treaty.Lookup(where + p.Ref)
			if !ok || c.Paraphrase != p.Paraphrase {
				t.Errorf("%s%s: not found by its citation", where, p.Ref)
			}
			check(where+p.Ref, c.Verification)
		}
		if a.Offence != nil {
			for _, c := range a.Offence.Conduct {
				if !treaty.Conducts.Has(c) {
					t.Errorf("%s %s: conduct %q is not in the request vocabulary", a.Convention, a.Number, c)
				}
			}
		}
	}
	instruments, checked := treaty.Instruments()
	if len(instruments) != 3 || checked == "" {
		t.Errorf("instrument status: %+v, checked %q", instruments, checked)
	}
	for _, in := range instruments {
		if in.Instrument == "UNCC" && in.InForce {
			t.Error("the UN Convention is recorded in force; art. 65 needs forty ratifications")
		}
	}
}

// TestOutput checks the text a reader sees: numeric citation order,
// grammar, paraphrases and verification states, against a golden file.
func TestOutput(t *testing.T) {
	store := dbtest.SQLite(t)
	for _, name := range []string{"journalist-extradition", "non-parties-preservation"} {
		req := load(t, "testdata/"+name+".json")
		res, err := treaty.Check(ctx, store, req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		treaty.WriteText(&b, req, res)
		golden := "testdata/" + name + ".txt"
		if *update {
			if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s differs from %s (go test -run TestOutput -update):\n%s", name, golden, b.String())
		}
	}
	req := base()
	req.Measure, req.DataCategories, req.Conduct = "extradition", []string{"subscriber"}, []string{"misuse-of-devices", "fraud", "illegal-access"}
	req.MaxPenaltyYears["DE"] = 0.5
	res := evaluate(t, req, partyA, &treaty.Profile{Country: "DE", Budapest: "party", DeathPenalty: "abolished"})
	var b strings.Builder
	treaty.WriteText(&b, req, res)
	out := b.String()
	for _, want := range []string{"An extradition request", "0.5 years"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"a extradition", "1 years", "a political-opposition"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q", bad)
		}
	}
	var order []string
	for _, c := range res.Citations {
		order = append(order, c.Article)
	}
	if i, j := slices.Index(order, "Budapest 2"), slices.Index(order, "Budapest 15(1)"); i < 0 || j < 0 || i > j {
		t.Errorf("citations not in numeric order: %v", order)
	}
	if i, j := slices.Index(order, "UNCC 7"), slices.Index(order, "UNCC 11"); i < 0 || j < 0 || i > j {
		t.Errorf("citations not in numeric order: %v", order)
	}
}

// TestProfilesAreVersioned saves a profile twice and reads its revisions.
func TestProfilesAreVersioned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		seed, err := treaty.GetProfile(ctx, store, "FR")
		if err != nil || seed.Budapest != "party" || seed.UNCC != treaty.Unknown || len(seed.StatusSources) == 0 ||
			seed.StatusSources[0].Verification != treaty.Secondary {
			t.Fatalf("seed profile of FR = %+v, %v; want a Budapest party from a secondary source, UN status unknown", seed, err)
		}
		p := *seed
		p.UNCC = "signatory"
		p.DeathPenalty = "abolished"
		p.Criminalises = []treaty.Criminalisation{{Conduct: "illegal-access", Criminal: true, MaxPenaltyYears: 3, Source: "Code pénal, art. 323-1"}}
		for _, why := range []string{"signed in Hanoi", "signed in Hanoi"} {
			if err := store.Write(ctx, db.Author{Who: "analyst", Why: why}, func(tx *db.Tx) error {
				_, err := treaty.SaveProfile(ctx, tx, &p)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := treaty.GetProfile(ctx, store, "FR")
		if got.UNCC != "signatory" || len(got.Criminalises) != 1 {
			t.Errorf("stored profile = %+v", got)
		}
		revs, err := revision.List(ctx, store, "profile--FR")
		if err != nil || len(revs) != 1 || revs[0].Reason != "signed in Hanoi" {
			t.Fatalf("revisions = %+v, %v; want one (the second save changed nothing)", revs, err)
		}
		bad := treaty.Profile{Country: "UK", Budapest: "maybe", Criminalises: []treaty.Criminalisation{{Conduct: "fraud"}},
			StatusSources: []treaty.StatusSource{{Instrument: "UNCC", Status: "party", Source: "x", Checked: "last week", Verification: "sure"}}}
		err = store.Write(ctx, db.Author{Who: "analyst"}, func(tx *db.Tx) error { _, err := treaty.SaveProfile(ctx, tx, &bad); return err })
		for _, want := range []string{`"budapest"`, `criminalises[0].source`, `"country"`, `status_sources[0].checked`, `status_sources[0].verification`} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("bad profile error = %v; want it to name %s", err, want)
			}
		}
	})
}

// TestSeedStatus: the seed corrects the old galaxy with dated facts, each
// with its verification state, and old stored values read as today's words.
func TestSeedStatus(t *testing.T) {
	store := dbtest.SQLite(t)
	fiji, err := treaty.GetProfile(ctx, store, "FJ")
	if err != nil || fiji.Budapest != "party" {
		t.Fatalf("Fiji = %+v, %v; want a Party (acceded 2024), not the galaxy's observer", fiji, err)
	}
	for _, s := range fiji.StatusSources {
		if s.Instrument == "Budapest" && (s.Checked == "" || s.Verification != treaty.Unverified) {
			t.Errorf("Fiji's status source %+v: want a date and the state unverified", s)
		}
	}
	qa, _ := treaty.GetProfile(ctx, store, "QA")
	if qa.UNCC != "party" {
		t.Errorf("Qatar's UN status = %s, want party", qa.UNCC)
	}
	old := treaty.Profile{Country: "IN", Budapest: "not-party", UNCC: "not-signatory"}
	if err := old.Validate(); err != nil || old.Budapest != "none" || old.UNCC != "none" {
		t.Errorf("old values: %+v, %v", old, err)
	}
	for _, v := range []string{"party", "signatory", "observer", "none"} {
		if !treaty.BudapestStatus.Has(v) {
			t.Errorf("Budapest status %q missing", v)
		}
	}
}
