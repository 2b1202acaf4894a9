package interchange_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// TestCSVNeutralisesFormulas: a spreadsheet runs a cell that starts with
// =, +, -, @, a tab or a carriage return as a formula, so every text cell
// the CSV export writes that starts so gets a leading single quote (OWASP
// "CSV injection"). Numbers and dates are written as they are.
func TestCSVNeutralisesFormulas(t *testing.T) {
	tests := []struct{ title, want string }{
		{`=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`},
		{"+1", "'+1"},
		{"-cmd", "'-cmd"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"-1", "'-1"},
		{"Ransomware at St Mary", "Ransomware at St Mary"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
	}
	doc := &interchange.Document{
		Organisations: []trace.Organisation{{ID: "identity--1", Name: "=cmd|' /C calc'!A0", Sector: "@Health"}},
		Sources:       []trace.Source{{ID: "source--1", URL: "+https://example.org/"}},
		Campaigns:     []trace.Campaign{{ID: "campaign--1", Name: "-campaign"}},
	}
	for i, tt := range tests {
		id := "incident--" + string(rune('a'+i))
		doc.Incidents = append(doc.Incidents, trace.Incident{ID: id, Title: tt.title, Determination: "confirmed", Start: "2024-05-01",
			TLP: "clear", CampaignID: "campaign--1", Victims: []trace.Victim{{OrganisationID: "identity--1"}}, SourceIDs: []string{"source--1"}})
		// A negative figure is no formula: a numeric column keeps it.
		doc.Harms = append(doc.Harms, harm.Harm{ID: "impact--" + id, IncidentID: id, Indicator: "deaths", Min: harm.Exact(-3)})
	}
	var buf bytes.Buffer
	if err := interchange.WriteCSV(&buf, doc); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	for i, tt := range tests {
		row := rows[i+1]
		if got := row[col("title")]; got != tt.want {
			t.Errorf("title %q written as %q, want %q", tt.title, got, tt.want)
		}
		for name, want := range map[string]string{"start": "2024-05-01", "deaths_min": "-3",
			"victims": "'=cmd|' /C calc'!A0", "victim_sectors": "'@Health", "campaign": "'-campaign", "sources": "'+https://example.org/"} {
			if got := row[col(name)]; got != want {
				t.Errorf("%s of %q: %q, want %q", name, tt.title, got, want)
			}
		}
	}
}
