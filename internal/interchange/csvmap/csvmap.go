// Package csvmap reads any CSV file through a mapping file that says which
// column fills which field, and how to translate its values.
package csvmap

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Mapping is the JSON mapping file (docs/formats.md).
type Mapping struct {
	Delimiter string `json:"delimiter,omitempty"`
	// IDColumn, when set, holds a stable key of each row: re-importing the
	// file then updates the same records.
	IDColumn string `json:"id_column,omitempty"`
	TLP      string `json:"tlp,omitempty"`
	// DateLayout is a Go time layout for date columns; without it dates are
	// YYYY, YYYY-MM or YYYY-MM-DD.
	DateLayout string `json:"date_layout,omitempty"`
	// Source is cited by every row that has no source.url column value.
	Source trace.Source `json:"source"`
	// Columns maps a column name to a field: incident.title, incident.summary,
	// incident.attack_types, incident.determination, incident.start,
	// incident.end, incident.discovered, incident.disclosed,
	// incident.countries, organisation.name, organisation.kind,
	// organisation.sector, organisation.country, organisation.naics,
	// source.url, source.title, source.publisher, source.published, or
	// harm.<indicator> (a number, a range "min-max", or empty for unknown).
	Columns map[string]string `json:"columns"`
	// Values translates a column's values before use ("Ransom" → "ransomware").
	Values map[string]map[string]string `json:"values,omitempty"`
	// ListSeparator splits list fields (attack types, countries); default ";".
	ListSeparator string `json:"list_separator,omitempty"`
}

var fields = map[string]bool{
	"incident.title": true, "incident.summary": true, "incident.attack_types": true, "incident.determination": true,
	"incident.start": true, "incident.end": true, "incident.discovered": true, "incident.disclosed": true,
	"incident.countries": true, "organisation.name": true, "organisation.kind": true, "organisation.sector": true,
	"organisation.country": true, "organisation.naics": true, "source.url": true, "source.title": true,
	"source.publisher": true, "source.published": true,
}

// LoadMapping reads and checks a mapping file.
func LoadMapping(data []byte, file string) (*Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(m.Columns) == 0 {
		return nil, fmt.Errorf("%s: field \"columns\": map at least one column", file)
	}
	names := make([]string, 0, len(m.Columns))
	for c := range m.Columns {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		f := m.Columns[c]
		ind, isHarm := strings.CutPrefix(f, "harm.")
		if isHarm && vocab.IndicatorNames.Has(ind) {
			continue
		}
		if !fields[f] {
			return nil, fmt.Errorf("%s: field \"columns\": column %q maps to unknown field %q", file, c, f)
		}
	}
	if m.ListSeparator == "" {
		m.ListSeparator = ";"
	}
	if m.TLP == "" {
		m.TLP = trace.DefaultTLP
	}
	if m.Source.ID == "" && (m.Source.Title != "" || m.Source.URL != "") {
		m.Source.ID = trace.DerivedID("source", "csv|"+m.Source.URL+"|"+m.Source.Title)
	}
	if m.Source.Kind == "" {
		m.Source.Kind = "dataset"
	}
	return &m, nil
}

// Read reads a CSV file through the mapping.
func Read(r io.Reader, file string, m *Mapping) (*interchange.Document, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	if m.Delimiter != "" {
		cr.Comma = []rune(m.Delimiter)[0]
	}
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for c := range m.Columns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: line 1: the mapping names column %q, which the file does not have", file, c)
		}
	}
	doc := &interchange.Document{}
	if m.Source.ID != "" {
		doc.Sources = append(doc.Sources, m.Source)
	}
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0) // the record's first line, even after quoted line breaks
		if err := readRow(doc, m, col, rec, seen); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", file, line, err)
		}
	}
	return doc, nil
}

// row gives a mapped column's translated value.
type row struct {
	m   *Mapping
	col map[string]int
	rec []string
}

func (r row) value(column string) string {
	i := r.col[column]
	if i >= len(r.rec) {
		return ""
	}
	v := strings.TrimSpace(r.rec[i])
	if tr, ok := r.m.Values[column][v]; ok {
		return tr
	}
	return v
}

func readRow(doc *interchange.Document, m *Mapping, col map[string]int, rec []string, seen map[string]bool) error {
	r := row{m, col, rec}
	in := trace.Incident{Determination: "suspected", TLP: m.TLP}
	org := trace.Organisation{Kind: "other"}
	src := trace.Source{Kind: "news"}
	var harms []harm.Harm
	columns := make([]string, 0, len(m.Columns))
	for c := range m.Columns {
		columns = append(columns, c)
	}
	sort.Strings(columns)
	for _, c := range columns {
		v := r.value(c)
		if err := set(&in, &org, &src, &harms, m, m.Columns[c], v); err != nil {
			return fmt.Errorf("column %q (%s): %w", c, m.Columns[c], err)
		}
	}
	key := strings.Join(rec, "\x1f")
	if m.IDColumn != "" {
		key = r.value(m.IDColumn)
	}
	in.ID = trace.DerivedID("incident", "csv|"+key)
	if seen[in.ID] {
		return fmt.Errorf("row repeats the key %q of an earlier row", key)
	}
	seen[in.ID] = true
	if org.Name != "" {
		org.ID = trace.DerivedID("identity", "csv|"+trace.NameKey(org.Name)+"|"+strings.ToUpper(org.Country))
		doc.Organisations = append(doc.Organisations, org)
		in.Victims = []trace.Victim{{OrganisationID: org.ID, Role: "victim"}}
		if in.Title == "" {
			in.Title = "Attack on " + org.Name
		}
	}
	if src.URL != "" {
		src.ID = trace.DerivedID("source", src.URL)
		doc.Sources = append(doc.Sources, src)
		in.SourceIDs = []string{src.ID}
	} else if m.Source.ID != "" {
		in.SourceIDs = []string{m.Source.ID}
	}
	for i := range harms {
		harms[i].ID = trace.DerivedID("impact", in.ID+"|"+harms[i].Indicator)
		harms[i].IncidentID, harms[i].SourceIDs = in.ID, in.SourceIDs
	}
	doc.Incidents = append(doc.Incidents, in)
	doc.Harms = append(doc.Harms, harms...)
	return nil
}

func set(in *trace.Incident, org *trace.Organisation, src *trace.Source, harms *[]harm.Harm, m *Mapping, field, v string) error {
	list := func() []string {
		var out []string
		for _, s := range strings.Split(v, m.ListSeparator) {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if ind, ok := strings.CutPrefix(field, "harm."); ok {
		h, err := harmOf(ind, v)
		if err == nil {
			*harms = append(*harms, h)
		}
		return err
	}
	var err error
	switch field {
	case "incident.title":
		in.Title = v
	case "incident.summary":
		in.Summary = v
	case "incident.attack_types":
		in.AttackTypes = list()
	case "incident.determination":
		if v != "" {
			in.Determination = v
		}
	case "incident.start":
		in.Start, err = date(v, m.DateLayout)
	case "incident.end":
		in.End, err = date(v, m.DateLayout)
	case "incident.discovered":
		in.Discovered, err = date(v, m.DateLayout)
	case "incident.disclosed":
		in.Disclosed, err = date(v, m.DateLayout)
	case "incident.countries":
		in.Countries = append(in.Countries, list()...)
	case "organisation.name":
		org.Name = v
	case "organisation.kind":
		if v != "" {
			org.Kind = v
		}
	case "organisation.sector":
		org.Sector = v
	case "organisation.country":
		org.Country = v
		if v != "" {
			in.Countries = append(in.Countries, v)
		}
	case "organisation.naics":
		org.NAICS = v
	case "source.url":
		src.URL = v
	case "source.title":
		src.Title = v
	case "source.publisher":
		src.Publisher = v
	case "source.published":
		src.Published, err = date(v, m.DateLayout)
	}
	return err
}

func date(v, layout string) (trace.Date, error) {
	if v == "" {
		return "", nil
	}
	if layout != "" {
		t, err := time.Parse(layout, v)
		if err != nil {
			return "", fmt.Errorf("%q does not match the date layout %q", v, layout)
		}
		return trace.DateOf(t), nil
	}
	return trace.ParseDate(v)
}

// harmOf reads "1200", "1,200", "1000-5000", "1000+" (at least) or "" (unknown).
func harmOf(indicator, v string) (harm.Harm, error) {
	h := harm.Harm{Indicator: indicator, Certainty: "reported"}
	v = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
	if v == "" || strings.EqualFold(v, "unknown") {
		return h, nil
	}
	parse := func(s string) (*int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number, a range like 1000-5000, or 1000+", v)
		}
		return &n, nil
	}
	var err error
	switch {
	case strings.HasSuffix(v, "+"):
		h.Min, err = parse(strings.TrimSuffix(v, "+"))
	case strings.Contains(v, "-"):
		lo, hi, _ := strings.Cut(v, "-")
		if h.Min, err = parse(lo); err == nil {
			h.Max, err = parse(hi)
		}
	default:
		h.Min, err = parse(v)
		h.Max = h.Min
	}
	return h, err
}
