package treaty_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/treaty"
)

var ctx = context.Background()

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

func has(res *treaty.Result, rule, severity, article string) bool {
	for _, f := range res.Findings {
		if f.Rule == rule && f.Severity == severity && (article == "" || slices.Contains(f.Articles, article)) {
			return true
		}
	}
	return false
}

// TestExamples runs the requests of testdata against unknown jurisdictions
// (AA, BB) or the shipped profiles, and checks outcome and key findings.
func TestExamples(t *testing.T) {
	tests := []struct {
		file    string
		outcome string
		must    [][3]string // rule, severity, article
	}{
		{"testdata/hospital-preservation.json", treaty.Proceed, [][3]string{
			{"scope", "info", "UNCC 9"}, {"dual-criminality", "info", "Budapest 29(3)"}}},
		{"testdata/journalist-extradition.json", treaty.RefuseRecommended, [][3]string{
			{"scope", "block", "UNCC 6(2)"}, {"refusal-grounds", "block", "UNCC 6(2)"}, {"refusal-grounds", "warn", "Budapest 27(4)(a)"}}},
		{"testdata/fraud-interception.json", treaty.RefuseRecommended, [][3]string{
			{"scope", "info", "UNCC 13"}, {"intrusive-measures", "block", "UNCC 2(h)"}, {"intrusive-measures", "warn", "UNCC 30"}}},
		{"testdata/grooming-mla.json", treaty.ProceedWithConditions, [][3]string{
			{"scope", "info", "UNCC 15"}, {"personal-data", "warn", "UNCC 36"}, {"dual-criminality", "warn", "Budapest 25(5)"}}},
	}
	store := dbtest.SQLite(t)
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
					t.Errorf("no %s %s finding citing %s; findings %+v", m[1], m[0], m[2], res.Findings)
				}
			}
		})
	}
}

// TestRules checks each rule on a request varied one field at a time.
func TestRules(t *testing.T) {
	base := func() *treaty.Request {
		return &treaty.Request{RequestingState: "AA", RequestedState: "BB", Measure: "mutual-legal-assistance",
			Conduct: []string{"illegal-access"}, MaxPenaltyYears: map[string]float64{"AA": 6, "BB": 6}, Purpose: "x"}
	}
	party := &treaty.Profile{Country: "AA", Budapest: "party", UNCC: "party", DeathPenalty: "retained"}
	notCriminal := &treaty.Profile{Country: "BB", Budapest: "party", UNCC: "party", DeathPenalty: "abolished",
		Criminalises: []treaty.Criminalisation{{Conduct: "illegal-access", Criminal: false, Source: "Penal code, art. 1"}}}
	unknown := &treaty.Profile{Country: "BB", Budapest: "unknown", UNCC: "unknown", DeathPenalty: "unknown"}
	tests := []struct {
		name                    string
		change                  func(r *treaty.Request)
		requesting, requested   *treaty.Profile
		rule, severity, article string
		wantCondition           bool
	}{
		{"extradition without dual criminality blocks", func(r *treaty.Request) { r.Measure = "extradition" }, party, notCriminal,
			"dual-criminality", "block", "UNCC 37", false},
		{"assistance without dual criminality warns", func(r *treaty.Request) {}, party, notCriminal, "dual-criminality", "warn", "Budapest 25(4)", false},
		{"unknown profile asks to verify", func(r *treaty.Request) {}, party, unknown, "dual-criminality", "warn", "UNCC 35", false},
		{"Budapest parties need one year in both", func(r *treaty.Request) { r.Measure = "extradition"; r.MaxPenaltyYears["BB"] = 0.5 },
			party, &treaty.Profile{Country: "BB", Budapest: "party"}, "dual-criminality", "block", "Budapest 24(1)(a)", false},
		{"death penalty asks for assurances", func(r *treaty.Request) { r.Measure = "extradition" }, party, unknown,
			"refusal-grounds", "warn", "UNCC 37", true},
		{"at-risk person with a cyber offence warns", func(r *treaty.Request) { r.Person = []string{"human-rights-defender"} }, party, unknown,
			"refusal-grounds", "warn", "UNCC 40", false},
		{"other conduct below four years is out of scope", func(r *treaty.Request) { r.Conduct = []string{"other"}; r.MaxPenaltyYears["AA"] = 3 },
			party, unknown, "scope", "block", "UNCC 2(h)", false},
		{"other serious conduct flags article 4", func(r *treaty.Request) { r.Conduct = []string{"other"} }, party, unknown,
			"scope", "warn", "UNCC 4", false},
		{"real-time traffic data has conditions", func(r *treaty.Request) { r.Measure = "real-time-traffic-data" }, party, unknown,
			"intrusive-measures", "warn", "UNCC 29", true},
		{"a long intrusive window warns", func(r *treaty.Request) {
			r.Measure = "content-interception"
			r.Window = &treaty.Window{From: "2025-01-01", To: "2025-12-31"}
		}, party, unknown, "intrusive-measures", "warn", "UNCC 24", false},
		{"content for a preservation is broader than needed", func(r *treaty.Request) {
			r.Measure = "expedited-preservation"
			r.DataCategories = []string{"content"}
		}, party, unknown, "personal-data", "warn", "Budapest 15", false},
		{"biometric data asks for data protection", func(r *treaty.Request) { r.DataCategories = []string{"biometric"} }, party, unknown,
			"personal-data", "warn", "UNCC 36", true},
		{"no purpose warns", func(r *treaty.Request) { r.Purpose = "" }, party, unknown, "purpose", "warn", "Budapest 15", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			tt.change(req)
			if err := req.Validate(); err != nil {
				t.Fatal(err)
			}
			res, err := treaty.Evaluate(req, tt.requesting, tt.requested)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range res.Findings {
				if f.Rule == tt.rule && f.Severity == tt.severity && slices.Contains(f.Articles, tt.article) {
					found = true
					if tt.wantCondition && f.Condition == "" {
						t.Errorf("finding has no condition: %+v", f)
					}
				}
			}
			if !found {
				t.Errorf("no %s %s finding citing %s in %+v", tt.severity, tt.rule, tt.article, res.Findings)
			}
			want := treaty.ProceedWithConditions
			if tt.severity == "block" {
				want = treaty.RefuseRecommended
			}
			if res.Outcome != want {
				t.Errorf("outcome %s, want %s", res.Outcome, want)
			}
		})
	}
}

func TestBadRequestsNameTheKey(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"requesting_state": "AA", "requested_state": "BB", "measure": "extradition", "conduct": ["fraud"], "urgency": "high"}`, `"urgency"`},
		{`{"requesting_state": "AA", "requested_state": "BB", "measure": "arrest", "conduct": ["fraud"]}`, `key "measure"`},
		{`{"requesting_state": "AA", "requested_state": "BB", "measure": "extradition", "conduct": ["fraud", "jaywalking"]}`, `key "conduct"[1]`},
		{`{"requesting_state": "AA", "requested_state": "BB", "measure": "extradition", "conduct": ["fraud"], "person": ["spy"]}`, `key "person"[0]`},
		{`{"requesting_state": "France", "requested_state": "BB", "measure": "extradition", "conduct": ["fraud"]}`, `key "requesting_state"`},
		{`{"requesting_state": "AA", "requested_state": "BB", "measure": "extradition", "conduct": ["fraud"], "max_penalty_years": {"CC": 3}}`, `"CC"`},
		{`{"requesting_state": "AA", "requested_state": "BB", "measure": "extradition", "conduct": ["fraud"], "window": {"from": "2025-02-01", "to": "2025-01-01"}}`, `key "window"`},
	}
	for _, tt := range tests {
		_, err := treaty.DecodeRequest(strings.NewReader(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v does not name %s", err, tt.want)
		}
	}
}

// TestTreatyData checks the shipped data: both Conventions' offence
// articles, valid statuses, and every conduct of an offence in the vocabulary.
func TestTreatyData(t *testing.T) {
	d := treaty.Articles()
	for _, cite := range []string{"UNCC 2(h)", "UNCC 6(2)", "UNCC 7", "UNCC 17", "UNCC 24", "UNCC 36", "Budapest 2", "Budapest 15",
		"Budapest 24(1)(a)", "Budapest 29(3)", "Budapest 35"} {
		if _, ok := treaty.Lookup(cite); !ok {
			t.Errorf("%s is not in the data", cite)
		}
	}
	if _, ok := treaty.Lookup("UNCC 99"); ok {
		t.Error("an article that does not exist was found")
	}
	for _, a := range d.Articles {
		if _, ok := d.Statuses[a.Status]; !ok {
			t.Errorf("%s %s: unknown status %q", a.Convention, a.Number, a.Status)
		}
		if a.Offence != nil {
			for _, c := range a.Offence.Conduct {
				if !treaty.Conducts.Has(c) {
					t.Errorf("%s %s: conduct %q is not in the request vocabulary", a.Convention, a.Number, c)
				}
			}
		}
	}
}

// TestProfilesAreVersioned saves a profile twice and reads its revisions.
func TestProfilesAreVersioned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		seed, err := treaty.GetProfile(ctx, store, "FR")
		if err != nil || seed.Budapest != "party" || seed.UNCC != treaty.Unknown {
			t.Fatalf("seed profile of FR = %+v, %v; want a Budapest party, UN status unknown", seed, err)
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
		bad := treaty.Profile{Country: "FR", Budapest: "maybe", Criminalises: []treaty.Criminalisation{{Conduct: "fraud"}}}
		err = store.Write(ctx, db.Author{Who: "analyst"}, func(tx *db.Tx) error { _, err := treaty.SaveProfile(ctx, tx, &bad); return err })
		if err == nil || !strings.Contains(err.Error(), `"budapest"`) || !strings.Contains(err.Error(), `criminalises[0].source`) {
			t.Errorf("bad profile error = %v", err)
		}
	})
}
