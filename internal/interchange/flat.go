package interchange

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/report"
)

// csvIndicators are the harm columns of the CSV export, each as a min and
// a max column (empty max: no upper bound; both empty: unknown).
var csvIndicators = []string{"records-exposed", "people-affected", "patients-affected", "service-disruption-days",
	"facilities-affected", "care-cancelled", "care-diverted", "deaths", "injuries"}

// WriteCSV writes one row per incident, with its harm figures counted by
// the rules of docs/harm-method.md.
func WriteCSV(w io.Writer, doc *Document) error {
	orgs := map[string]string{}
	sectors := map[string]string{}
	for _, o := range doc.Organisations {
		orgs[o.ID], sectors[o.ID] = o.Name, o.Sector
	}
	campaigns := map[string]string{}
	for _, c := range doc.Campaigns {
		campaigns[c.ID] = c.Name
	}
	actorNames := map[string]string{}
	for _, a := range doc.Actors {
		actorNames[a.ID] = a.Name
	}
	actorsOf := map[string][]string{}
	for _, a := range doc.Attributions {
		owner := a.IncidentID + a.CampaignID
		actorsOf[owner] = append(actorsOf[owner], actorNames[a.ActorID])
	}
	urls := map[string]string{}
	for _, s := range doc.Sources {
		urls[s.ID] = s.URL
		if s.URL == "" {
			urls[s.ID] = s.Title
		}
	}
	harmsOf := map[string][]harm.Harm{}
	for _, h := range doc.Harms {
		harmsOf[h.IncidentID] = append(harmsOf[h.IncidentID], h)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader()); err != nil {
		return err
	}
	for _, in := range doc.Incidents {
		var victims, vsectors, articles, srcs []string
		for _, v := range in.Victims {
			victims = append(victims, orgs[v.OrganisationID])
			if s := sectors[v.OrganisationID]; s != "" {
				vsectors = append(vsectors, s)
			}
		}
		for _, a := range in.Articles {
			articles = append(articles, strconv.Itoa(a))
		}
		for _, s := range in.SourceIDs {
			srcs = append(srcs, urls[s])
		}
		actors := append(append([]string{}, actorsOf[in.ID]...), actorsOf[in.CampaignID]...)
		row := csvText(in.ID, in.Title, in.Determination, strings.Join(in.AttackTypes, ";"), string(in.Start), string(in.End),
			string(in.Discovered), string(in.Disclosed), strings.Join(victims, ";"), strings.Join(uniq(vsectors), ";"),
			strings.Join(in.Countries, ";"), campaigns[in.CampaignID], strings.Join(uniq(actors), ";"),
			strings.Join(articles, ";"), in.TLP)
		dataTypes := map[string]bool{}
		for _, ind := range csvIndicators {
			lo, hi, known := report.FigureOf(harmsOf[in.ID], ind)
			minCol, maxCol := "", ""
			if known {
				minCol = strconv.FormatInt(lo, 10)
				if hi != nil {
					maxCol = strconv.FormatInt(*hi, 10)
				}
			}
			row = append(row, minCol, maxCol)
		}
		for _, h := range harmsOf[in.ID] {
			for _, t := range h.DataTypes {
				dataTypes[t] = true
			}
		}
		row = append(row, csvText(strings.Join(keys(dataTypes), ";"), strings.Join(srcs, " "))...)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText returns text cells as a spreadsheet should show them. A cell that
// starts with =, +, -, @, a tab or a carriage return would be run as a
// formula (OWASP "CSV injection"): such a cell gets a leading single quote,
// which spreadsheets take for "this is text". Every CSV writer passes its
// text cells through here; the harm figures are numbers written by strconv,
// which are no formula even when negative, and are left as they are.
func csvText(cells ...string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			c = "'" + c
		}
		out[i] = c
	}
	return out
}

func uniq(v []string) []string { return keys(toSet(v)) }

func toSet(v []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range v {
		m[s] = true
	}
	return m
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WriteJSONLines writes one record per line, each with its "type", in the
// order a reader needs them (referenced records first).
func WriteJSONLines(w io.Writer, doc *Document) error {
	enc := json.NewEncoder(w)
	emit := func(typ string, rec any) error {
		body, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		m["type"] = typ
		return enc.Encode(m)
	}
	for _, r := range doc.Sources {
		if err := emit("source", r); err != nil {
			return err
		}
	}
	for _, r := range doc.Organisations {
		if err := emit("organisation", r); err != nil {
			return err
		}
	}
	for _, r := range doc.Actors {
		if err := emit("actor", r); err != nil {
			return err
		}
	}
	for _, r := range doc.Campaigns {
		if err := emit("campaign", r); err != nil {
			return err
		}
	}
	for _, r := range doc.Incidents {
		if err := emit("incident", r); err != nil {
			return err
		}
	}
	for _, r := range doc.Attributions {
		if err := emit("attribution", r); err != nil {
			return err
		}
	}
	for _, r := range doc.Harms {
		if err := emit("harm", r); err != nil {
			return err
		}
	}
	return nil
}
