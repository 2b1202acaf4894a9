// Package veris reads VERIS 1.3 and 1.4 incident records (one JSON object
// per file), as the VERIS Community Database publishes them. Only
// incidents with a hacking, malware or social action are cyberattacks;
// errors, misuse, physical and environmental incidents alone are skipped.
package veris

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

type record struct {
	SchemaVersion    string                     `json:"schema_version"`
	IncidentID       string                     `json:"incident_id"`
	Summary          string                     `json:"summary"`
	SecurityIncident string                     `json:"security_incident"`
	Reference        string                     `json:"reference"`
	Action           map[string]json.RawMessage `json:"action"`
	Victim           struct {
		VictimID string   `json:"victim_id"`
		Industry string   `json:"industry"`
		Country  []string `json:"country"`
	} `json:"victim"`
	Attribute struct {
		Confidentiality struct {
			DataTotal  *int64   `json:"data_total"`
			DataVictim []string `json:"data_victim"`
			Data       []struct {
				Variety string `json:"variety"`
				Amount  *int64 `json:"amount"`
			} `json:"data"`
		} `json:"confidentiality"`
	} `json:"attribute"`
	Timeline struct {
		Incident struct {
			Year, Month, Day int
		} `json:"incident"`
	} `json:"timeline"`
	Plus struct {
		// Created and Modified are when the record was written and last
		// changed: the incident keeps them.
		Created  string `json:"created"`
		Modified string `json:"modified"`
		Timeline struct {
			Notification struct {
				Year, Month, Day int
			} `json:"notification"`
		} `json:"timeline"`
	} `json:"plus"`
}

// Detect reports whether data looks like a VERIS record.
func Detect(data []byte) bool {
	return bytes.Contains(data, []byte(`"schema_version"`)) && bytes.Contains(data, []byte(`"incident_id"`)) &&
		bytes.Contains(data, []byte(`"action"`))
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// naicsSectors maps NAICS prefixes (longest first wins) to MISP sectors.
var naicsSectors = []struct{ prefix, sector string }{
	{"813", "Non-profit organisation"}, {"621", "Health"}, {"622", "Health"}, {"623", "Health"}, {"624", "NGO"},
	{"62", "Health"}, {"92", "Government, Administration"}, {"61", "Education"}, {"52", "Finance"},
	{"51", "IT"}, {"54", "Consulting"}, {"56", "Other"}, {"44", "Retail"}, {"45", "Retail"}, {"48", "Transport"},
	{"49", "Logistic"}, {"22", "Energy"}, {"31", "Manufacturing"}, {"32", "Manufacturing"}, {"33", "Manufacturing"},
	{"72", "Hospitality"}, {"71", "Entertainment"}, {"23", "Construction"}, {"21", "Mining"}, {"11", "Agriculture"},
	{"53", "Other"}, {"55", "Other"}, {"81", "Other"}, {"42", "Trade"},
}

func sectorOf(naics string) string {
	for _, s := range naicsSectors {
		if strings.HasPrefix(naics, s.prefix) {
			return s.sector
		}
	}
	return ""
}

// dataTypes maps VERIS data varieties to harmtrace data types.
var dataTypes = map[string]string{
	"Medical": "health", "Personal": "personal", "Sensitive Personal": "personal", "Credentials": "credentials",
	"Bank": "financial", "Payment": "financial",
}

var determinations = map[string]string{
	"Confirmed": "confirmed", "Suspected": "suspected", "False positive": "false-positive", "Near miss": "suspected",
}

// Read turns one VERIS record into a Document; tlp marks the incident.
func Read(data []byte, file, tlp string, sum *interchange.Summary) (*interchange.Document, error) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: incident %s: field %q: %s", file, r.IncidentID, field, fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(r.SchemaVersion, "1.3") && !strings.HasPrefix(r.SchemaVersion, "1.4") {
		return nil, fail("schema_version", "%q is not VERIS 1.3 or 1.4", r.SchemaVersion)
	}
	if !uuidPattern.MatchString(r.IncidentID) {
		return nil, fail("incident_id", "%q is not a UUID", r.IncidentID)
	}
	attack := attackTypes(r.Action)
	if len(attack) == 0 {
		sum.Skip("not a cyberattack: VERIS action is " + strings.Join(actionNames(r.Action), ", "))
		return &interchange.Document{}, nil
	}
	det, ok := determinations[r.SecurityIncident]
	if !ok {
		return nil, fail("security_incident", "unknown value %q", r.SecurityIncident)
	}
	start, err := partialDate(r.Timeline.Incident.Year, r.Timeline.Incident.Month, r.Timeline.Incident.Day)
	if err != nil {
		return nil, fail("timeline.incident", "%v", err)
	}
	disclosed, _ := partialDate(r.Plus.Timeline.Notification.Year, r.Plus.Timeline.Notification.Month, r.Plus.Timeline.Notification.Day)
	id := strings.ToLower(r.IncidentID)
	doc := &interchange.Document{}
	in := trace.Incident{ID: "incident--" + id, Summary: r.Summary, AttackTypes: attack, Determination: det,
		Start: start, Disclosed: disclosed, TLP: tlp}
	in.Created, _ = time.Parse(time.RFC3339Nano, r.Plus.Created)
	in.Updated, _ = time.Parse(time.RFC3339Nano, r.Plus.Modified)
	if name := strings.TrimSpace(r.Victim.VictimID); name != "" {
		org := trace.Organisation{ID: trace.DerivedID("identity", "veris|"+trace.NameKey(name)), Name: name, Kind: "other",
			NAICS: r.Victim.Industry, Sector: sectorOf(r.Victim.Industry)}
		if strings.HasPrefix(r.Victim.Industry, "62") {
			org.Kind, org.Healthcare = "healthcare-provider", true
		}
		if strings.HasPrefix(r.Victim.Industry, "813") {
			org.Kind = "ngo"
		}
		if strings.HasPrefix(r.Victim.Industry, "92") {
			org.Kind = "government"
		}
		if len(r.Victim.Country) > 0 {
			if _, ok := vocab.LookupCountry(r.Victim.Country[0]); ok {
				org.Country = strings.ToUpper(r.Victim.Country[0])
			}
		}
		doc.Organisations = append(doc.Organisations, org)
		in.Victims = []trace.Victim{{OrganisationID: org.ID, Role: "victim"}}
		in.Title = name + ": " + strings.Join(attack, ", ")
	} else {
		in.Title = "Unnamed victim: " + strings.Join(attack, ", ")
	}
	for _, c := range r.Victim.Country {
		if _, ok := vocab.LookupCountry(c); ok {
			in.Countries = append(in.Countries, strings.ToUpper(c))
		}
	}
	in.SourceIDs = sources(doc, r, id)
	doc.Incidents = append(doc.Incidents, in)
	doc.Harms = harms(r, in, file, sum)
	kept, err := keep(data, id, tlp)
	if err != nil {
		return nil, fail("", "%v", err)
	}
	doc.Objects = append(doc.Objects, kept)
	return doc, nil
}

// keep keeps the whole VERIS record (actors, assets, motives and all that
// harmtrace does not model) as a custom STIX object, given back by a STIX
// export.
func keep(data []byte, id, tlp string) (interchange.Object, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return interchange.Object{}, err
	}
	objectID := "x-veris-incident--" + id
	body, err := json.Marshal(map[string]any{"type": "x-veris-incident", "spec_version": "2.1", "id": objectID,
		"created": "2000-01-01T00:00:00.000Z", "modified": "2000-01-01T00:00:00.000Z", "x_veris": json.RawMessage(compact.Bytes())})
	return interchange.Object{ID: objectID, Type: "x-veris-incident", TLP: tlp, Body: body}, err
}

func attackTypes(action map[string]json.RawMessage) []string {
	var out []string
	varieties := func(name string) string {
		var a struct {
			Variety []string `json:"variety"`
		}
		_ = json.Unmarshal(action[name], &a)
		return strings.ToLower(strings.Join(a.Variety, " "))
	}
	if _, ok := action["malware"]; ok {
		v := varieties("malware")
		switch {
		case strings.Contains(v, "ransomware"):
			out = append(out, "ransomware")
		case strings.Contains(v, "destroy") || strings.Contains(v, "wiper"):
			out = append(out, "wiper")
		default:
			out = append(out, "other")
		}
	}
	if _, ok := action["hacking"]; ok {
		v := varieties("hacking")
		if strings.Contains(v, "dos") {
			out = append(out, "ddos")
		} else {
			out = append(out, "data-breach")
		}
	}
	if _, ok := action["social"]; ok {
		out = append(out, "phishing")
	}
	return out
}

func actionNames(action map[string]json.RawMessage) []string {
	var out []string
	for k := range action {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func partialDate(y, m, d int) (trace.Date, error) {
	var s string
	switch {
	case y == 0:
		return "", nil
	case m == 0:
		s = fmt.Sprintf("%04d", y)
	case d == 0:
		s = fmt.Sprintf("%04d-%02d", y, m)
	default:
		s = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}
	date := trace.Date(s)
	return date, date.Check()
}

// sources cites each reference URL, or the VERIS record itself.
func sources(doc *interchange.Document, r record, id string) []string {
	var ids []string
	for _, ref := range strings.FieldsFunc(r.Reference, func(c rune) bool { return c == ',' || c == ' ' || c == ';' }) {
		if !strings.HasPrefix(ref, "http://") && !strings.HasPrefix(ref, "https://") {
			continue
		}
		s := trace.Source{ID: trace.URLSourceID(ref), URL: ref, Kind: "news"}
		doc.Sources = append(doc.Sources, s)
		ids = append(ids, s.ID)
	}
	if len(ids) == 0 {
		s := trace.Source{ID: trace.DerivedID("source", "veris|"+id), Title: "VERIS incident record " + id, Kind: "dataset",
			Publisher: "VERIS Community Database"}
		doc.Sources = append(doc.Sources, s)
		ids = append(ids, s.ID)
	}
	return ids
}

// harms reads the records exposed. Where data_total and the sum of the
// varieties' amounts disagree (a known defect of real VCDB records), the
// figure becomes the range between them and the summary notes it.
func harms(r record, in trace.Incident, file string, sum *interchange.Summary) []harm.Harm {
	conf := r.Attribute.Confidentiality
	var types []string
	var total int64
	haveAmounts := false
	for _, d := range conf.Data {
		if t, ok := dataTypes[d.Variety]; ok {
			types = append(types, t)
		}
		if d.Amount != nil {
			total += *d.Amount
			haveAmounts = true
		}
	}
	lo, hi := conf.DataTotal, conf.DataTotal
	note := ""
	switch {
	case lo == nil && haveAmounts:
		lo, hi = &total, &total
	case lo != nil && haveAmounts && total != *lo:
		a, b := min(total, *lo), max(total, *lo)
		lo, hi = &a, &b
		note = fmt.Sprintf("VERIS data_total %d disagrees with the sum of data amounts %d; both kept as a range", *conf.DataTotal, total)
		sum.Warn("%s: incident %s: field \"attribute.confidentiality.data_total\": %s", file, r.IncidentID, note)
	}
	if lo == nil && len(conf.Data) == 0 {
		return nil
	}
	h := harm.Harm{ID: trace.DerivedID("impact", in.ID+"|records-exposed"), IncidentID: in.ID, Indicator: "records-exposed",
		Min: lo, Max: hi, DataTypes: types, Certainty: "reported", SourceIDs: in.SourceIDs, Description: note}
	out := []harm.Harm{h}
	for _, v := range conf.DataVictim {
		if v == "Patient" {
			p := h
			p.ID, p.Indicator, p.Unit, p.Category = trace.DerivedID("impact", in.ID+"|patients-affected"), "patients-affected", "", ""
			out = append(out, p)
		}
	}
	return out
}
