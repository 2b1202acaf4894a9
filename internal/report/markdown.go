package report

import (
	"encoding/base64"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/chart"
)

// WriteMarkdown writes an advocacy-ready brief: the headline, the figures
// with their ranges and unknowns, the method in two sentences, and each
// breakdown as a table with its chart embedded as an SVG image.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("# Cyberattacks and their harm to people\n\n")
	if r.Selection != "" {
		fmt.Fprintf(&b, "*Selection: %s.*\n\n", r.Selection)
	}
	fmt.Fprintf(&b, "**%s**\n\n", r.Headline)
	if r.OpenDuplicates > 0 {
		fmt.Fprintf(&b, "*%s*\n\n", DuplicatesNote(r.OpenDuplicates))
	}
	b.WriteString("| Figure | Value |\n|---|---|\n")
	fmt.Fprintf(&b, "| Incidents | %s |\n| Organisations attacked | %s |\n| Countries | %s |\n| Threat actors named in these incidents | %s |\n| Campaigns | %s |\n",
		Number(int64(r.Incidents)), Number(int64(r.Organisations)), Number(int64(r.Countries)), Number(int64(r.Actors)), Number(int64(r.Campaigns)))
	for _, f := range r.Figures() {
		fmt.Fprintf(&b, "| %s | %s |\n", f.Name, RangeText(f.Range, f.Unit))
	}
	b.WriteString("\n")
	for _, c := range r.Caveats {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	fmt.Fprintf(&b, "\nMethod: %s (docs/harm-method.md in the source).\n", r.MethodURL)
	years := append([]Bucket(nil), r.ByYear...)
	sort.Slice(years, func(i, j int) bool { return years[i].Key < years[j].Key })
	sections := []struct {
		title   string
		buckets []Bucket
		columns bool
	}{
		{"Incidents per year", years, true}, {"By victim sector", r.BySector, false}, {"By country", r.ByCountry, false},
		{"By attack type", r.ByAttackType, false}, {"By offence article of the UN Convention against Cybercrime", r.ByConventionArticle, false},
		{"By data exposed (health, children's and other sensitive data)", r.ByDataType, false},
		{"By vulnerable group of the victims", r.ByGroup, false},
	}
	for _, s := range sections {
		if len(s.buckets) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", s.title)
		var bars []chart.Bar
		b.WriteString("| | Incidents | People affected (at least) |\n|---|---:|---:|\n")
		for _, k := range s.buckets {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", k.Key, Number(int64(k.Incidents)), Number(k.PeopleAffectedMin))
			bars = append(bars, chart.Bar{Label: k.Key, Value: float64(k.Incidents)})
		}
		if len(bars) > 15 && !s.columns {
			bars = bars[:15]
		}
		draw := chart.Bars
		if s.columns {
			draw = chart.Columns
		}
		svg := string(draw(s.title, bars, func(v float64) string { return Number(int64(v)) }))
		fmt.Fprintf(&b, "\n![%s](data:image/svg+xml;base64,%s)\n", s.title, base64.StdEncoding.EncodeToString([]byte(svg)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// NamedRange is one figure of a report with its name and unit.
type NamedRange struct {
	Key, Name, Unit string
	Range           Range
}

// Figures lists the report's harm figures in the order every output
// gives them: records and people first, then harm to services and care,
// then harm to life.
func (r *Report) Figures() []NamedRange {
	return []NamedRange{
		{"people", "People affected", "people", r.PeopleAffected}, {"records", "Records exposed", "records", r.RecordsExposed},
		{"patients", "Patients affected", "patients", r.PatientsAffected},
		{"disruption", "Service disruption", "days", r.ServiceDisruptionDays},
		{"cancelled", "Care cancelled", "appointments", r.CareCancelled}, {"diverted", "Care diverted", "patients", r.CareDiverted},
		{"facilities", "Facilities affected", "facilities", r.FacilitiesAffected},
		{"deaths", "Deaths", "people", r.Deaths}, {"injuries", "Injuries", "people", r.Injuries},
	}
}

// RangeText writes a summed figure in words: "unknown" when no incident
// has one (never "at least 0"), else its bounds, the incidents it is
// unknown for, and the attackers' claims set aside beside it.
func RangeText(r Range, unit string) string {
	s := BoundsText(r, unit)
	if c := r.Claimed; c != nil {
		s += fmt.Sprintf("; attackers claim at least %s for %s %s, not counted", Number(c.Min), Number(int64(c.Incidents)),
			plural(c.Incidents, "incident", "incidents"))
	}
	return s
}

// BoundsText is RangeText without the claims.
func BoundsText(r Range, unit string) string {
	if !r.Known() {
		return "unknown"
	}
	s := "at least " + Number(r.Min)
	if r.Max != nil {
		s = Number(r.Min)
		if *r.Max != r.Min {
			s = Number(r.Min) + "–" + Number(*r.Max)
		}
	}
	if unit != "" {
		s += " " + unit
	}
	if r.UnknownIncidents > 0 {
		s += fmt.Sprintf("; unknown for %s %s", Number(int64(r.UnknownIncidents)), plural(r.UnknownIncidents, "incident", "incidents"))
	}
	return s
}
