package report

import (
	"context"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// harmIndicators are the figures beyond records and people that a report
// gives in full: how long services were down, how much care was lost, how
// many sites were hit, and harm to life. Few incidents carry them, so they
// are read from the harms of the selection rather than kept as aggregates.
var harmIndicators = []string{"service-disruption-days", "facilities-affected", "care-cancelled", "care-diverted", "deaths", "injuries"}

// MethodURL is where every harmtrace server explains its method; the API
// answers it as an absolute URL.
const MethodURL = "/method"

// complete adds to a report, however its counts were found (aggregates or
// scan), what is read from the selection itself: the harm beyond records
// and people, the attackers' claims set aside, the open possible
// duplicates and the lower bounds that count each of them once, the words
// of the filter, the headline, the caveats and the method. selected is the
// SQL selecting the incidents' ids, with its arguments.
func complete(ctx context.Context, q db.Querier, r *Report, selected string, args []any) error {
	counted, claimed, err := figuresOf(ctx, q, selected, args, harmIndicators)
	if err != nil {
		return err
	}
	extra := map[string]*Range{"service-disruption-days": &r.ServiceDisruptionDays, "facilities-affected": &r.FacilitiesAffected,
		"care-cancelled": &r.CareCancelled, "care-diverted": &r.CareDiverted, "deaths": &r.Deaths, "injuries": &r.Injuries}
	for ind, dst := range extra {
		*dst = sumRange(counted[ind], r.Incidents)
	}
	base := map[string]*Range{"people-affected": &r.PeopleAffected, "records-exposed": &r.RecordsExposed, "patients-affected": &r.PatientsAffected}
	groups, pairs, err := openDuplicates(ctx, q, selected, args)
	if err != nil {
		return err
	}
	// The base figures were summed already (from the aggregates, or by the
	// scan); claims and duplicates need the figures of a few incidents.
	few, err := db.Column[string](ctx, q, `SELECT DISTINCT h.incident_id FROM harms h WHERE h.certainty = 'claimed'
		AND h.indicator IN ('`+strings.Join(figureIndicators, "', '")+`') AND h.incident_id IN (`+selected+`)`, args...)
	if err != nil {
		return fmt.Errorf("report claims: %w", err)
	}
	for _, g := range groups {
		few = append(few, g...)
	}
	baseCounted, baseClaimed, err := figuresOfIncidents(ctx, q, few)
	if err != nil {
		return err
	}
	for ind, claims := range baseClaimed {
		claimed[ind] = claims
		counted[ind] = baseCounted[ind]
	}
	for ind, dst := range base {
		extra[ind] = dst
	}
	r.OpenDuplicates, r.DistinctMin = pairs, r.Incidents
	for _, g := range groups {
		r.DistinctMin -= len(g) - 1
	}
	for ind, dst := range extra {
		dst.Claimed = nil
		if c := sumClaims(claimed[ind]); c.Incidents > 0 {
			dst.Claimed = &c
		}
		dst.Min -= overlap(groups, counted[ind])
	}
	r.Selection = selection(ctx, q, r.Filter)
	r.Headline = headline(r)
	r.Caveats = caveats(r)
	r.MethodURL = MethodURL
	return nil
}

// sumClaims adds up the claims set aside per incident.
func sumClaims(claims map[string]figure) Claimed {
	var c Claimed
	for _, f := range claims {
		c.Incidents++
		c.Min += f.min
	}
	return c
}

// overlap is how much a lower bound must drop so that each group of
// possible duplicates counts once: were its incidents one attack, their
// figures would be alternatives, and the lower bound the smallest of them
// (docs/harm-method.md). So all but the smallest known figure of each
// group come off.
func overlap(groups [][]string, figures map[string]figure) int64 {
	var out int64
	for _, g := range groups {
		var sum, least int64
		known := 0
		for _, id := range g {
			f, ok := figures[id]
			if !ok || !f.known {
				continue
			}
			if known == 0 || f.min < least {
				least = f.min
			}
			sum += f.min
			known++
		}
		if known > 1 {
			out += sum - least
		}
	}
	return out
}

// figuresOfIncidents reads the base figures of a few incidents by id.
func figuresOfIncidents(ctx context.Context, q db.Querier, ids []string) (counted, claimed map[string]map[string]figure, err error) {
	counted, claimed = map[string]map[string]figure{}, map[string]map[string]figure{}
	for _, ind := range figureIndicators {
		counted[ind], claimed[ind] = map[string]figure{}, map[string]figure{}
	}
	const chunk = 500 // well under either engine's limit of parameters
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		c, cl, err := figuresOf(ctx, q, "SELECT id FROM incidents WHERE id IN ("+placeholders(n)+")", args, figureIndicators)
		if err != nil {
			return nil, nil, err
		}
		for ind := range c {
			for id, f := range c[ind] {
				counted[ind][id] = f
			}
			for id, f := range cl[ind] {
				claimed[ind][id] = f
			}
		}
		ids = ids[n:]
	}
	return counted, claimed, nil
}

// openDuplicates returns the groups of selected incidents linked by open
// possible-duplicate pairs (a group would be one attack were every pair
// the same) and how many pairs there are.
func openDuplicates(ctx context.Context, q db.Querier, selected string, args []any) ([][]string, int, error) {
	query := `SELECT incident_id, other_id FROM duplicate_candidates WHERE status = 'open'
		AND incident_id IN (` + selected + `) AND other_id IN (` + selected + `) ORDER BY incident_id, other_id`
	rows, err := q.Query(ctx, query, repeatArgs(query, selected, args)...)
	if err != nil {
		return nil, 0, fmt.Errorf("report duplicates: %w", err)
	}
	defer rows.Close()
	pairs := 0
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == "" || parent[x] == x {
			parent[x] = x
			return x
		}
		parent[x] = find(parent[x])
		return parent[x]
	}
	var order []string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return nil, 0, err
		}
		pairs++
		for _, id := range []string{a, b} {
			if parent[id] == "" {
				order = append(order, id)
			}
		}
		parent[find(a)] = find(b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	byRoot := map[string][]string{}
	var roots []string
	for _, id := range order {
		root := find(id)
		if byRoot[root] == nil {
			roots = append(roots, root)
		}
		byRoot[root] = append(byRoot[root], id)
	}
	groups := make([][]string, 0, len(roots))
	for _, root := range roots {
		groups = append(groups, byRoot[root])
	}
	return groups, pairs, nil
}

// caveats are the sentences that must travel with a quote of the report.
func caveats(r *Report) []string {
	out := []string{
		"Figures are lower bounds summed over distinct incidents; an unknown figure is never counted as zero.",
		"A person in several breaches is counted in each: \"people affected\" adds up harms to people, not distinct people.",
	}
	if r.OpenDuplicates > 0 {
		out = append(out, DuplicatesNote(r.OpenDuplicates))
	}
	for _, rg := range []Range{r.PeopleAffected, r.RecordsExposed, r.PatientsAffected, r.ServiceDisruptionDays, r.FacilitiesAffected,
		r.CareCancelled, r.CareDiverted, r.Deaths, r.Injuries} {
		if rg.Claimed != nil {
			out = append(out, "Attackers' claims are shown beside the figures and never counted when another source gives one.")
			break
		}
	}
	switch {
	case r.Filter.MaxTLP == "clear" || (r.Filter.Viewer != nil && r.Filter.Viewer.IsPublic()):
		out = append(out, "Only incidents marked TLP:CLEAR are counted.")
	case r.Filter.Viewer != nil:
		out = append(out, "Only the incidents this reader may see are counted; published figures count only those marked TLP:CLEAR.")
	}
	return out
}

// DuplicatesNote is the sentence that discloses open possible duplicates.
func DuplicatesNote(n int) string {
	return fmt.Sprintf("%s possible %s not yet reviewed; counted once in the lower bound.", Number(int64(n)), plural(n, "duplicate", "duplicates"))
}
