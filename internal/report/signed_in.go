package report

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/harmtrace/harmtrace/internal/db"
)

// A signed-in user sees what every signed-in user sees (clear and green)
// and, besides, the amber, amber+strict and red incidents their team or
// name opens to them: usually few. Their unfiltered figures are therefore
// the aggregates up to green plus those few incidents' contributions,
// which internal/stats keeps in incident_contributions; no scan of the
// incident tables is needed.

// viewerOnly reports whether the filter selects by a signed-in viewer alone.
func (f Filter) viewerOnly() bool {
	return f.Viewer != nil && f.Viewer.SignedIn && !f.Viewer.Operator && f == Filter{Viewer: f.Viewer}
}

// contribution mirrors what internal/stats stores for one incident.
type contribution struct {
	Keys    map[string][]string `json:"keys"`
	Figures [3]struct {
		Known bool  `json:"known"`
		Min   int64 `json:"min"`
		Open  bool  `json:"open"`
		Max   int64 `json:"max"`
	} `json:"figures"` // people, records, patients
}

// forSignedIn builds a signed-in viewer's unfiltered report; false when
// the aggregates have not been built.
func forSignedIn(ctx context.Context, q db.Querier, f Filter) (*Report, bool, error) {
	r, ok, err := fromAggregates(ctx, q, Filter{MaxTLP: "green"})
	if err != nil || !ok {
		return nil, ok, err
	}
	r.Filter = f
	cond, args := f.Viewer.Condition("i")
	bodies, err := db.Column[string](ctx, q, `SELECT c.body FROM incidents i JOIN incident_contributions c ON c.incident_id = i.id
		WHERE i.tlp IN ('amber', 'amber+strict', 'red') AND `+cond, args...)
	if err != nil {
		return nil, false, fmt.Errorf("report restricted contributions: %w", err)
	}
	extra := make([]contribution, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal([]byte(b), &extra[i]); err != nil {
			return nil, false, fmt.Errorf("report restricted contributions: %w", err)
		}
	}
	r.Incidents += len(extra)
	for i, rg := range []*Range{&r.PeopleAffected, &r.RecordsExposed, &r.PatientsAffected} {
		for _, c := range extra {
			addFigure(rg, c.Figures[i].Known, c.Figures[i].Min, c.Figures[i].Open, c.Figures[i].Max)
		}
	}
	buckets := map[string]*[]Bucket{"year": &r.ByYear, "sector": &r.BySector, "country": &r.ByCountry,
		"attack_type": &r.ByAttackType, "article": &r.ByConventionArticle,
		"data_type": &r.ByDataType, "group": &r.ByGroup}
	for dim, list := range buckets {
		for _, c := range extra {
			*list = addToBuckets(*list, c.Keys[dim], c.Figures[0].Min)
		}
		sortBuckets(*list)
	}
	counts := map[string]*int{"organisation": &r.Organisations, "country": &r.Countries, "actor": &r.Actors, "campaign": &r.Campaigns}
	for dim, n := range counts {
		more, err := newKeys(ctx, q, dim, extra)
		if err != nil {
			return nil, false, err
		}
		*n += more
	}
	r.Headline = headline(r)
	return r, true, nil
}

// addFigure adds one incident's figure to a range as rangeOf sums them: an
// unknown or open figure leaves the range without an upper bound.
func addFigure(r *Range, known bool, lo int64, open bool, hi int64) {
	if !known {
		r.UnknownIncidents++
		r.Max = nil
		return
	}
	r.KnownIncidents++
	r.Min += lo
	switch {
	case open:
		r.Max = nil
	case r.Max != nil:
		sum := *r.Max + hi
		r.Max = &sum
	}
}

func addToBuckets(list []Bucket, keys []string, people int64) []Bucket {
	for _, k := range keys {
		i := 0
		for i < len(list) && list[i].Key != k {
			i++
		}
		if i == len(list) {
			list = append(list, Bucket{Key: k})
		}
		list[i].Incidents++
		list[i].PeopleAffectedMin += people
	}
	return list
}

// newKeys counts the keys of a distinct dimension (organisations,
// countries, actors, campaigns) that the extra incidents bring and that no
// clear or green incident has already.
func newKeys(ctx context.Context, q db.Querier, dim string, extra []contribution) (int, error) {
	set := map[string]bool{}
	for _, c := range extra {
		for _, k := range c.Keys[dim] {
			set[k] = true
		}
	}
	if len(set) == 0 {
		return 0, nil
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fresh := len(keys)
	for len(keys) > 0 { // in batches, within the engines' limits on parameters
		batch := keys[:min(len(keys), 500)]
		keys = keys[len(batch):]
		args := []any{dim}
		for _, k := range batch {
			args = append(args, k)
		}
		known, err := db.Column[string](ctx, q, `SELECT key FROM incident_stats WHERE tlp IN ('clear', 'green') AND dimension = ?
			AND key IN (`+placeholders(len(batch))+`) GROUP BY key HAVING SUM(incidents) > 0`, args...)
		if err != nil {
			return 0, fmt.Errorf("report distinct %s: %w", dim, err)
		}
		fresh -= len(known)
	}
	return fresh, nil
}
