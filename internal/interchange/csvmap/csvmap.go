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
	"maps"
	"path/filepath"
	"slices"
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
	// source.url, source.title, source.publisher, source.published,
	// actor.name (one or more, split by the list separator), actor.type,
	// actor.country, attribution.by, attribution.on, attribution.basis,
	// attribution.confidence, or harm.<indicator> (a number, a range
	// "min-max", or empty for unknown).
	Columns map[string]string `json:"columns"`
	// Values translates a column's values before use ("Ransom" → "ransomware").
	Values map[string]map[string]string `json:"values,omitempty"`
	// ListSeparator splits list fields (attack types, countries, actors); default ";".
	ListSeparator string `json:"list_separator,omitempty"`
	// Encoding of the file: utf-8 (the default) or windows-1252 (also
	// spelt latin-1), as many spreadsheets save CSV.
	Encoding string `json:"encoding,omitempty"`
}

var fields = map[string]bool{
	"incident.title": true, "incident.summary": true, "incident.attack_types": true, "incident.determination": true,
	"incident.start": true, "incident.end": true, "incident.discovered": true, "incident.disclosed": true,
	"incident.countries": true, "organisation.name": true, "organisation.kind": true, "organisation.sector": true,
	"organisation.country": true, "organisation.naics": true, "source.url": true, "source.title": true,
	"source.publisher": true, "source.published": true,
	"actor.name": true, "actor.type": true, "actor.country": true,
	"attribution.by": true, "attribution.on": true, "attribution.basis": true, "attribution.confidence": true,
}

// recordField is the field of the record a mapped field fills, as the
// record's validation names it: an error on it is told at its column.
var recordField = map[string]string{
	"incident.title": "incidents.title", "incident.summary": "incidents.summary",
	"incident.attack_types": "incidents.attack_types", "incident.determination": "incidents.determination",
	"incident.start": "incidents.start", "incident.end": "incidents.end", "incident.discovered": "incidents.discovered",
	"incident.disclosed": "incidents.disclosed", "incident.countries": "incidents.countries",
	"organisation.name": "organisations.name", "organisation.kind": "organisations.kind",
	"organisation.sector": "organisations.sector", "organisation.country": "organisations.country",
	"organisation.naics": "organisations.naics", "source.url": "sources.url", "source.title": "sources.title",
	"source.publisher": "sources.publisher", "source.published": "sources.published",
	"actor.name": "actors.name", "actor.type": "actors.type", "actor.country": "actors.origin_country",
	"attribution.by": "attributions.attributed_by", "attribution.on": "attributions.attributed_on",
	"attribution.basis": "attributions.basis", "attribution.confidence": "attributions.confidence",
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
	if m.Source.ID == "" && !slices.Contains(slices.Collect(maps.Values(m.Columns)), "source.url") {
		return nil, fmt.Errorf("%s: field \"source\": every incident cites a source: give the source a title or URL, or map a column to source.url", file)
	}
	if m.Encoding != "" && !slices.Contains(interchange.Encodings, strings.ToLower(m.Encoding)) {
		return nil, fmt.Errorf("%s: field \"encoding\": unknown encoding %q (want one of %s)", file, m.Encoding, strings.Join(interchange.Encodings, ", "))
	}
	return &m, nil
}

// Read reads a CSV file (UTF-8: see interchange.Text) through the
// mapping. A row's id is derived from its id column (else the whole row)
// within the file's namespace: the mapping's source when it names one,
// else the file's name, and the owner team when the import has one; two
// files whose id columns share values are two sets of incidents.
func Read(r io.Reader, file string, m *Mapping, owner string) (*interchange.Document, error) {
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
	for _, c := range sortedColumns(m) {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: line 1: the mapping names column %q, which the file does not have", file, c)
		}
	}
	if m.IDColumn != "" {
		if _, ok := col[m.IDColumn]; !ok {
			return nil, fmt.Errorf("%s: line 1: the mapping's id_column %q is not a column of the file", file, m.IDColumn)
		}
	}
	doc := &interchange.Document{}
	dataset := m.Source
	namespace := "csv|file|" + filepath.Base(file)
	if dataset.ID != "" {
		namespace = "csv|" + dataset.ID
		if owner != "" && derived(dataset.ID) {
			// A team's copy of the dataset is its own, as its rows are.
			dataset.ID = trace.DerivedID("source", "owner|"+owner+"|"+dataset.ID)
		}
		doc.Sources = append(doc.Sources, dataset)
	}
	if owner != "" {
		namespace += "|owner|" + owner
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0) // the record's first line, even after quoted line breaks
		rw := row{m: m, col: col, rec: rec, line: line, namespace: namespace, dataset: dataset.ID}
		if owner != "" {
			rw.owner = "owner|" + owner + "|"
		}
		if err := rw.read(doc, seen); err != nil {
			return nil, fmt.Errorf("%s: line %d%s", file, line, err)
		}
	}
	return doc, nil
}

// derived reports whether a source id was derived by LoadMapping (UUID v5)
// rather than given by the mapping.
func derived(id string) bool {
	_, uuid, ok := strings.Cut(id, "--")
	return ok && len(uuid) == 36 && uuid[14] == '5'
}

func sortedColumns(m *Mapping) []string {
	columns := make([]string, 0, len(m.Columns))
	for c := range m.Columns {
		columns = append(columns, c)
	}
	sort.Strings(columns)
	return columns
}

// row is one row of the file, read through the mapping.
type row struct {
	m         *Mapping
	col       map[string]int
	rec       []string
	line      int
	namespace string
	dataset   string // the id of the mapping's source, which rows without a URL cite
	owner     string
}

// value is a mapped column's translated value.
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

// urlColumn is the column mapped to source.url.
func (r row) urlColumn() string {
	for _, c := range sortedColumns(r.m) {
		if r.m.Columns[c] == "source.url" {
			return c
		}
	}
	return ""
}

// at names a column as an error does: `column 3 ("Country")`.
func (r row) at(column string) string {
	return fmt.Sprintf("column %d (%q)", r.col[column]+1, column)
}

// origins gives each kind of record the columns its fields came from.
func (r row) origins() map[string]interchange.Origin {
	out := map[string]interchange.Origin{}
	for _, c := range sortedColumns(r.m) {
		f := r.m.Columns[c]
		kind, field, _ := strings.Cut(recordField[f], ".")
		if strings.HasPrefix(f, "harm.") {
			kind, field = "harms", "min"
		}
		if kind == "" {
			continue
		}
		o, ok := out[kind]
		if !ok {
			o = interchange.Origin{Line: r.line, Columns: map[string]string{}}
		}
		o.Columns[field] = r.at(c)
		if kind == "harms" {
			o.Columns["max"] = r.at(c)
		}
		if f == "organisation.country" {
			in := out["incidents"]
			if in.Columns == nil {
				in = interchange.Origin{Line: r.line, Columns: map[string]string{}}
			}
			in.Columns["countries"] = r.at(c)
			out["incidents"] = in
		}
		out[kind] = o
	}
	for _, kind := range []string{"incidents", "organisations", "sources", "actors", "attributions", "harms"} {
		if _, ok := out[kind]; !ok {
			out[kind] = interchange.Origin{Line: r.line}
		}
	}
	return out
}

// parts is what one row names.
type parts struct {
	in     trace.Incident
	org    trace.Organisation
	src    trace.Source
	harms  []harm.Harm
	actors []string
	actor  trace.Actor // type and country of the row's actors
	attr   trace.Attribution
	owner  string // the team an import is for: its new actors are its own
}

func (r row) read(doc *interchange.Document, seen map[string]int) error {
	p := parts{in: trace.Incident{Determination: "suspected", TLP: r.m.TLP}, org: trace.Organisation{Kind: "other"},
		src: trace.Source{Kind: "news"}, attr: trace.Attribution{Confidence: "unknown"}, owner: r.owner}
	for _, c := range sortedColumns(r.m) {
		if err := p.set(r.m, r.m.Columns[c], r.value(c)); err != nil {
			return fmt.Errorf(", %s: %s: %w", r.at(c), r.m.Columns[c], err)
		}
	}
	key := strings.Join(r.rec, "\x1f")
	if r.m.IDColumn != "" {
		key = r.value(r.m.IDColumn)
	}
	p.in.ID = trace.DerivedID("incident", r.namespace+"|"+key)
	if first, ok := seen[p.in.ID]; ok {
		where := ""
		if r.m.IDColumn != "" {
			where = ", " + r.at(r.m.IDColumn)
		}
		return fmt.Errorf("%s: the row repeats the key %q of line %d", where, key, first)
	}
	seen[p.in.ID] = r.line
	origins := r.origins()
	mark := func(kind string, n int) { doc.SetOrigin(kind, n, origins[kind]) }
	if p.org.Name != "" {
		p.org.ID = trace.DerivedID("identity", "csv|"+trace.NameKey(p.org.Name)+"|"+strings.ToUpper(p.org.Country))
		mark("organisations", len(doc.Organisations))
		doc.Organisations = append(doc.Organisations, p.org)
		p.in.Victims = []trace.Victim{{OrganisationID: p.org.ID, Role: "victim"}}
		if p.in.Title == "" {
			p.in.Title = "Attack on " + p.org.Name
		}
	}
	if p.src.URL != "" {
		p.src.ID = trace.URLSourceID(p.src.URL)
		mark("sources", len(doc.Sources))
		doc.Sources = append(doc.Sources, p.src)
		p.in.SourceIDs = []string{p.src.ID}
	} else if r.dataset != "" {
		p.in.SourceIDs = []string{r.dataset}
	} else {
		// LoadMapping let a mapping without a source through only because
		// it maps a URL column, so the column exists.
		return fmt.Errorf(", %s: the row has no source URL and the mapping names no source (field \"source\") for rows without one", r.at(r.urlColumn()))
	}
	for i := range p.harms {
		p.harms[i].ID = trace.DerivedID("impact", p.in.ID+"|"+p.harms[i].Indicator)
		p.harms[i].IncidentID, p.harms[i].SourceIDs = p.in.ID, p.in.SourceIDs
		mark("harms", len(doc.Harms))
		doc.Harms = append(doc.Harms, p.harms[i])
	}
	mark("incidents", len(doc.Incidents))
	doc.Incidents = append(doc.Incidents, p.in)
	return p.attributions(doc, mark)
}

// attributions adds the row's actors, each attributed the row's incident
// by the attribution columns; an actor named by name only is matched to a
// stored actor of that name or alias when the file is written.
func (p *parts) attributions(doc *interchange.Document, mark func(kind string, n int)) error {
	if len(p.actors) == 0 {
		if p.attr.Basis != "" || p.attr.AttributedBy != "" {
			return fmt.Errorf(": the row gives an attribution but no actor (map a column to actor.name)")
		}
		return nil
	}
	for _, name := range p.actors {
		a := p.actor
		a.Name = name
		a.ID = trace.DerivedID("threat-actor", p.owner+"name|"+trace.NameKey(name))
		mark("actors", len(doc.Actors))
		doc.Actors = append(doc.Actors, a)
		doc.NameActor(a.ID)
		at := p.attr
		at.ID = trace.DerivedID("relationship", p.in.ID+"|attributed-to|"+a.ID)
		at.IncidentID, at.ActorID, at.SourceIDs = p.in.ID, a.ID, p.in.SourceIDs
		if at.AttributedBy == "" {
			at.AttributedBy = "unknown"
		}
		mark("attributions", len(doc.Attributions))
		doc.Attributions = append(doc.Attributions, at)
	}
	return nil
}

func (p *parts) set(m *Mapping, field, v string) error {
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
			p.harms = append(p.harms, h)
		}
		return err
	}
	in, org, src := &p.in, &p.org, &p.src
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
	case "actor.name":
		p.actors = list()
	case "actor.type":
		p.actor.Type = v
	case "actor.country":
		p.actor.OriginCountry = v
	case "attribution.by":
		p.attr.AttributedBy = v
	case "attribution.on":
		p.attr.AttributedOn, err = date(v, m.DateLayout)
	case "attribution.basis":
		p.attr.Basis = v
	case "attribution.confidence":
		if v != "" {
			p.attr.Confidence = v
		}
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
