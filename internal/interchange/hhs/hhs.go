// Package hhs reads the US Department of Health and Human Services Office
// for Civil Rights breach portal (its CSV export). Only breaches whose type
// includes "Hacking/IT Incident" are cyberattacks; theft, loss, improper
// disposal and unauthorised disclosure alone are skipped and counted.
package hhs

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Header is the portal's column list; Detect and Read rely on it.
var Header = []string{"Name of Covered Entity", "State", "Covered Entity Type", "Individuals Affected",
	"Breach Submission Date", "Type of Breach", "Location of Breached Information", "Business Associate Present",
	"Web Description"}

// Portal is the source every imported row cites.
var Portal = trace.Source{
	ID:          trace.DerivedID("source", "hhs-ocr-breach-portal"),
	URL:         "https://ocrportal.hhs.gov/ocr/breach/breach_report.jsf",
	Title:       "U.S. HHS Office for Civil Rights breach portal: breaches affecting 500 or more individuals",
	Publisher:   "U.S. Department of Health and Human Services, Office for Civil Rights",
	Kind:        "dataset",
	Reliability: "A",
	Credibility: 2,
}

// Detect reports whether data starts with the portal's header.
func Detect(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	return bytes.Contains(line, []byte("Name of Covered Entity")) && bytes.Contains(line, []byte("Type of Breach"))
}

// entityKinds maps the portal's covered entity types to organisation kinds.
var entityKinds = map[string]string{
	"Healthcare Provider": "healthcare-provider", "Health Plan": "health-plan",
	"Business Associate": "company", "Healthcare Clearing House": "company",
}

// Read turns the CSV into a Document; tlp marks the incidents (the portal
// is public: clear is right for it).
func Read(r io.Reader, file, tlp string, sum *interchange.Summary) (*interchange.Document, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, h := range Header[:6] {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("%s: line 1: column %q is missing (is this the HHS OCR breach portal export?)", file, h)
		}
	}
	doc := &interchange.Document{Sources: []trace.Source{Portal}}
	orgs := map[string]bool{}
	rows := map[string]int{} // row key → line, to find repeated rows
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0) // the record's first line, even after quoted line breaks
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		key := rowKey(get)
		if first, ok := rows[key]; ok {
			sum.Warn("%s: line %d repeats the breach of line %d (same entity, state, date and count); counted once", file, line, first)
			continue
		}
		rows[key] = line
		n := [3]int{len(doc.Organisations), len(doc.Incidents), len(doc.Harms)}
		if err := readRow(doc, orgs, get, key, tlp, sum); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", file, line, err)
		}
		markRow(doc, line, n, col)
	}
	return doc, nil
}

// markRow records the line (and columns) of the records a row added, for
// the errors found when they are saved.
func markRow(doc *interchange.Document, line int, before [3]int, col map[string]int) {
	at := func(name string) string { return fmt.Sprintf("column %d (%q)", col[name]+1, name) }
	for i := before[0]; i < len(doc.Organisations); i++ {
		doc.SetOrigin("organisations", i, interchange.Origin{Line: line, Columns: map[string]string{"name": at("Name of Covered Entity")}})
	}
	for i := before[1]; i < len(doc.Incidents); i++ {
		doc.SetOrigin("incidents", i, interchange.Origin{Line: line, Columns: map[string]string{"summary": at("Web Description")}})
	}
	for i := before[2]; i < len(doc.Harms); i++ {
		doc.SetOrigin("harms", i, interchange.Origin{Line: line, Columns: map[string]string{"min": at("Individuals Affected")}})
	}
}

// rowKey identifies a breach: entity, state, submission date and count.
func rowKey(get func(string) string) string {
	return strings.Join([]string{"hhs-ocr", trace.NameKey(get("Name of Covered Entity")), get("State"),
		get("Breach Submission Date"), get("Individuals Affected")}, "|")
}

func readRow(doc *interchange.Document, orgs map[string]bool, get func(string) string, key, tlp string, sum *interchange.Summary) error {
	kind := get("Type of Breach")
	if !strings.Contains(kind, "Hacking/IT Incident") {
		if kind == "" {
			kind = "(empty)"
		}
		sum.Skip("not a cyberattack: type of breach is " + kind)
		return nil
	}
	name, state := get("Name of Covered Entity"), get("State")
	if name == "" {
		return fmt.Errorf("field %q: is empty", "Name of Covered Entity")
	}
	people, err := strconv.ParseInt(strings.ReplaceAll(get("Individuals Affected"), ",", ""), 10, 64)
	if err != nil || people < 0 {
		return fmt.Errorf("field %q: %q is not a number of people", "Individuals Affected", get("Individuals Affected"))
	}
	submitted, err := time.Parse("01/02/2006", get("Breach Submission Date"))
	if err != nil {
		return fmt.Errorf("field %q: %q is not a date MM/DD/YYYY", "Breach Submission Date", get("Breach Submission Date"))
	}
	orgID := trace.DerivedID("identity", "hhs-ocr|"+trace.NameKey(name)+"|"+state)
	if !orgs[orgID] {
		orgs[orgID] = true
		entity := get("Covered Entity Type")
		k, ok := entityKinds[entity]
		if !ok {
			k = "other"
		}
		doc.Organisations = append(doc.Organisations, trace.Organisation{ID: orgID, Name: name, Kind: k, Sector: "Health",
			Country: "US", Healthcare: entity == "Healthcare Provider" || entity == "Health Plan",
			Description: "US covered entity (" + entity + ") in " + state})
	}
	incID := trace.DerivedID("incident", key)
	description := get("Web Description")
	attack := []string{"data-breach"}
	lower := strings.ToLower(description)
	if strings.Contains(lower, "ransomware") {
		attack = append(attack, "ransomware")
	}
	if strings.Contains(lower, "phishing") {
		attack = append(attack, "phishing")
	}
	where := get("Location of Breached Information")
	doc.Incidents = append(doc.Incidents, trace.Incident{ID: incID, Title: "Hacking/IT incident at " + name + " (" + where + ")",
		Summary: description, AttackTypes: attack, Determination: "confirmed", Disclosed: trace.DateOf(submitted),
		Victims: []trace.Victim{{OrganisationID: orgID, Role: "victim"}}, Countries: []string{"US"}, TLP: tlp,
		Articles: []int{7}, SourceIDs: []string{Portal.ID}})
	doc.Harms = append(doc.Harms, harm.Harm{ID: trace.DerivedID("impact", key+"|people-affected"), IncidentID: incID,
		Category: "confidentiality", Indicator: "people-affected", Min: &people, Max: &people,
		DataTypes: []string{"health", "personal"}, Certainty: "confirmed", SourceIDs: []string{Portal.ID},
		Description: "Individuals affected, as reported to HHS OCR"})
	return nil
}
