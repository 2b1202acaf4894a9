package report

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// markingOnly reports whether the filter selects by marking alone: the
// aggregates are kept per marking, so they can answer it. A public viewer
// is the marking clear; a signed-in one sees by team, which they cannot.
func (f Filter) markingOnly() bool {
	g := f
	if g.Viewer != nil {
		if !g.Viewer.IsPublic() || (g.MaxTLP != "" && g.MaxTLP != "clear") {
			return false
		}
		g.Viewer, g.MaxTLP = nil, "clear"
	}
	return g == Filter{MaxTLP: g.MaxTLP}
}

// fromAggregates builds the report from the rows internal/stats keeps. It
// returns false when the aggregates have not been built.
func fromAggregates(ctx context.Context, q db.Querier, f Filter) (*Report, bool, error) {
	var built int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM stats_state`).Scan(&built); err != nil || built == 0 {
		return nil, false, err
	}
	if f.Viewer != nil {
		f.MaxTLP = "clear" // a public viewer: markingOnly let no other through
	}
	tlps := vocab.TLP.Values
	if f.MaxTLP != "" {
		tlps = tlps[:indexOf(tlps, f.MaxTLP)+1]
	}
	args := make([]any, len(tlps))
	for i, t := range tlps {
		args[i] = t
	}
	zero := make([]int64, 4)
	r := &Report{Filter: f, PeopleAffected: rangeOf(0, zero), RecordsExposed: rangeOf(0, zero), PatientsAffected: rangeOf(0, zero)}
	counts := map[string]*int{"organisation": &r.Organisations, "country": &r.Countries, "actor": &r.Actors, "campaign": &r.Campaigns}
	// Distinct organisations, countries, actors and campaigns are counted
	// on write for each marking limit (internal/stats).
	limit := vocab.TLP.Values[len(vocab.TLP.Values)-1]
	if f.MaxTLP != "" {
		limit = f.MaxTLP
	}
	rows, err := q.Query(ctx, `SELECT dimension, incidents FROM incident_stats WHERE tlp = ? AND dimension IN
		('distinct-organisation', 'distinct-country', 'distinct-actor', 'distinct-campaign')`, limit)
	if err != nil {
		return nil, false, fmt.Errorf("report aggregates: %w", err)
	}
	for rows.Next() {
		var dim string
		var n int
		if err := rows.Scan(&dim, &n); err != nil {
			rows.Close()
			return nil, false, err
		}
		*counts[strings.TrimPrefix(dim, "distinct-")] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	buckets := map[string]*[]Bucket{"year": &r.ByYear, "sector": &r.BySector, "country": &r.ByCountry,
		"attack_type": &r.ByAttackType, "article": &r.ByConventionArticle,
		"data_type": &r.ByDataType, "group": &r.ByGroup}
	rows, err = q.Query(ctx, `SELECT dimension, key, SUM(incidents), SUM(people_known), SUM(people_min), SUM(people_open),
		SUM(people_max), SUM(records_known), SUM(records_min), SUM(records_open), SUM(records_max), SUM(patients_known),
		SUM(patients_min), SUM(patients_open), SUM(patients_max) FROM incident_stats
		WHERE tlp IN (`+placeholders(len(tlps))+`) AND dimension IN ('all', 'year', 'sector', 'country', 'attack_type', 'article', 'data_type', 'group')
		GROUP BY dimension, key HAVING SUM(incidents) > 0`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("report aggregates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dim, key string
		var n int
		var v [12]int64
		dest := []any{&dim, &key, &n}
		for i := range v {
			dest = append(dest, &v[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, false, err
		}
		if dim == "all" {
			r.Incidents = n
			r.PeopleAffected = rangeOf(n, v[0:4])
			r.RecordsExposed = rangeOf(n, v[4:8])
			r.PatientsAffected = rangeOf(n, v[8:12])
			continue
		}
		*buckets[dim] = append(*buckets[dim], Bucket{Key: key, Incidents: n, PeopleAffectedMin: v[1]})
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	for _, b := range buckets {
		if *b == nil {
			*b = []Bucket{}
		}
		sortBuckets(*b)
	}
	r.Headline = headline(r)
	return r, true, nil
}

// rangeOf turns summed counters (known, min, open, max) into a Range.
func rangeOf(incidents int, v []int64) Range {
	r := Range{Min: v[1], KnownIncidents: int(v[0]), UnknownIncidents: incidents - int(v[0])}
	if v[2] == 0 && r.UnknownIncidents == 0 {
		hi := v[3]
		r.Max = &hi
	}
	return r
}

func sortBuckets(out []Bucket) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].Incidents != out[j].Incidents {
			return out[i].Incidents > out[j].Incidents
		}
		return out[i].Key < out[j].Key
	})
}
