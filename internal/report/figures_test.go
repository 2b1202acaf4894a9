package report

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/harm"
)

func n(v int64) *int64 { return &v }

// TestFigureOf pins down the counting rules of docs/harm-method.md.
func TestFigureOf(t *testing.T) {
	h := func(org string, lo, hi *int64, certainty string) harm.Harm {
		return harm.Harm{Indicator: "people-affected", OrganisationID: org, Min: lo, Max: hi, Certainty: certainty}
	}
	tests := []struct {
		name  string
		harms []harm.Harm
		min   int64
		max   *int64
		known bool
	}{
		{"no figure", nil, 0, nil, false},
		{"unknown figure", []harm.Harm{h("", nil, nil, "reported")}, 0, nil, false},
		{"exact", []harm.Harm{h("", n(100), n(100), "confirmed")}, 100, n(100), true},
		{"two sources are alternatives: the smallest minimum, the largest maximum",
			[]harm.Harm{h("", n(100), n(100), "confirmed"), h("", n(300), n(500), "reported")}, 100, n(500), true},
		{"an attacker's claim sets neither bound when another figure exists",
			[]harm.Harm{h("", n(40000), n(40000), "confirmed"), h("", n(400000), nil, "claimed")}, 40000, n(40000), true},
		{"nor does a bounded claim",
			[]harm.Harm{h("", n(40000), n(40000), "confirmed"), h("", n(400000), n(400000), "claimed")}, 40000, n(40000), true},
		{"a claim alone counts", []harm.Harm{h("", n(5000), nil, "claimed")}, 5000, nil, true},
		{"distinct victims add up when there is no whole-incident figure",
			[]harm.Harm{h("identity--a", n(10), n(20), "reported"), h("identity--b", n(5), n(5), "reported")}, 15, n(25), true},
		{"a whole-incident figure wins over per-victim figures",
			[]harm.Harm{h("", n(12), n(12), "confirmed"), h("identity--a", n(10), n(10), "reported"), h("identity--b", n(5), n(5), "reported")}, 12, n(12), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, known := FigureOf(tt.harms, "people-affected")
			if known != tt.known || lo != tt.min || (hi == nil) != (tt.max == nil) || (hi != nil && *hi != *tt.max) {
				t.Errorf("FigureOf = %d, %v, %v; want %d, %v, %v", lo, deref(hi), known, tt.min, deref(tt.max), tt.known)
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func TestSumRange(t *testing.T) {
	figures := map[string]figure{"a": {known: true, min: 10, max: n(10)}, "b": {known: true, min: 5, max: n(7)}}
	r := sumRange(figures, 2)
	if r.Min != 15 || r.Max == nil || *r.Max != 17 || r.UnknownIncidents != 0 {
		t.Errorf("bounded sum = %+v", r)
	}
	r = sumRange(figures, 3)
	if r.Max != nil || r.UnknownIncidents != 1 {
		t.Errorf("with an unknown incident the upper bound must vanish: %+v", r)
	}
}

func TestHeadline(t *testing.T) {
	people := Range{Min: 20_000_000, KnownIncidents: 451, UnknownIncidents: 61}
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"a sector", Report{Filter: Filter{Sector: "Health"}, Incidents: 512, Countries: 33, PeopleAffected: people},
			"At least 512 cyberattacks on health in 33 countries affected at least 20,000,000 people; for 61 of them the number is unknown."},
		{"every filter is named before the figures",
			Report{Filter: Filter{Sector: "Health", Since: "2019", Until: "2019", AttackType: "ransomware", Query: "hospital"},
				Incidents: 512, Countries: 33, PeopleAffected: people},
			"In 2019, of type ransomware, matching 'hospital': at least 512 cyberattacks on health in 33 countries affected at least 20,000,000 people; for 61 of them the number is unknown."},
		{"a country filter names the country, not a count of one",
			Report{Filter: Filter{Country: "GB", Since: "2019-06", Determination: "confirmed"}, Incidents: 2, Countries: 1, PeopleAffected: Range{Min: 10, KnownIncidents: 2}},
			"In the United Kingdom, since 2019-06, determined as confirmed: at least 2 cyberattacks affected at least 10 people."},
		{"open duplicates counted once", Report{Incidents: 10, DistinctMin: 8, Countries: 1, PeopleAffected: Range{Min: 10, KnownIncidents: 10}},
			"At least 8 cyberattacks in 1 country affected at least 10 people."},
		{"nothing selected", Report{Filter: Filter{Until: "2001"}}, "Until 2001: no cyberattacks match this selection."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.Selection = selection(context.Background(), nil, tt.r.Filter)
			if got := headline(&tt.r); got != tt.want {
				t.Errorf("headline =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestRangeText: an unknown total reads "unknown", never "at least 0";
// attackers' claims are written beside the figure.
func TestRangeText(t *testing.T) {
	tests := []struct {
		r    Range
		want string
	}{
		{Range{UnknownIncidents: 1398}, "unknown"},
		{Range{Min: 3, Max: n(10), KnownIncidents: 1}, "3–10 days"},
		{Range{Min: 3, Max: n(3), KnownIncidents: 1}, "3 days"},
		{Range{Min: 120, KnownIncidents: 1, UnknownIncidents: 2}, "at least 120 days; unknown for 2 incidents"},
		{Range{Min: 40000, Max: n(40000), KnownIncidents: 1, Claimed: &Claimed{Incidents: 1, Min: 400000}},
			"40,000 days; attackers claim at least 400,000 for 1 incident, not counted"},
	}
	for _, tt := range tests {
		if got := RangeText(tt.r, "days"); got != tt.want {
			t.Errorf("RangeText(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
	body, _ := json.Marshal(Range{UnknownIncidents: 4})
	if !strings.Contains(string(body), `"min":null`) {
		t.Errorf("an unknown total's JSON is %s; want min null", body)
	}
}
