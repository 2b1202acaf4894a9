package report

import (
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
		{"an attacker's claim does not raise the lower bound",
			[]harm.Harm{h("", n(40000), n(40000), "confirmed"), h("", n(400000), nil, "claimed")}, 40000, nil, true},
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
	r := &Report{Filter: Filter{Sector: "Health"}, Incidents: 512, Countries: 33,
		PeopleAffected: Range{Min: 20_000_000, KnownIncidents: 451, UnknownIncidents: 61}}
	want := "At least 512 cyberattacks on health in 33 countries affected at least 20,000,000 people; for 61 of them the number is unknown."
	if got := headline(r); got != want {
		t.Errorf("headline =\n%q\nwant\n%q", got, want)
	}
}
