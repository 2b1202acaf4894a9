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
	if d := r.Filter.Describe(); d != "" {
		fmt.Fprintf(&b, "*Selection: %s.*\n\n", d)
	}
	fmt.Fprintf(&b, "**%s**\n\n", r.Headline)
	b.WriteString("| Figure | Value |\n|---|---|\n")
	fmt.Fprintf(&b, "| Incidents | %s |\n| Organisations attacked | %s |\n| Countries | %s |\n| Threat actors named | %s |\n| Campaigns | %s |\n",
		Number(int64(r.Incidents)), Number(int64(r.Organisations)), Number(int64(r.Countries)), Number(int64(r.Actors)), Number(int64(r.Campaigns)))
	for _, row := range []struct {
		name string
		rg   Range
	}{{"People affected", r.PeopleAffected}, {"Records exposed", r.RecordsExposed}, {"Patients affected", r.PatientsAffected}} {
		fmt.Fprintf(&b, "| %s | %s |\n", row.name, rangeText(row.rg))
	}
	b.WriteString("\nFigures are lower bounds summed over distinct incidents, each counted once however many sources " +
		"report it; unknown figures are never counted as zero. A person in several breaches is counted in each, so " +
		"\"people affected\" counts harms to people, not distinct people (method: docs/harm-method.md).\n")
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

func rangeText(r Range) string {
	s := "at least " + Number(r.Min)
	if r.Max != nil {
		s += ", at most " + Number(*r.Max)
	}
	if r.UnknownIncidents > 0 {
		s += fmt.Sprintf("; unknown for %s incidents", Number(int64(r.UnknownIncidents)))
	}
	return s
}
