package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
)

// figure is one incident's value of one indicator after the counting rules.
type figure struct {
	known bool
	min   int64
	max   *int64 // nil: no upper bound
}

// estimate is one harm row: one source's figure for one scope.
type estimate struct {
	min, max *int64
	claimed  bool
}

// figureIndicators are the indicators the report sums.
var figureIndicators = []string{"records-exposed", "people-affected", "patients-affected"}

// incidentFigures returns, per indicator and incident, the figure that the
// counting rules of docs/harm-method.md give, from the harms that count
// (disclosed.go), for the indicators the report sums.
func incidentFigures(ctx context.Context, q db.Querier, selected string, args []any) (map[string]map[string]figure, error) {
	counted, _, err := figuresOf(ctx, q, selected, args, figureIndicators)
	return counted, err
}

// figuresOf returns, per indicator and incident, the counted figure and
// the attackers' claims it set aside (claimsSetAside), for the indicators
// given.
func figuresOf(ctx context.Context, q db.Querier, selected string, args []any, indicators []string) (counted, claimed map[string]map[string]figure, err error) {
	rows, err := q.Query(ctx, figuresQuery(selected, indicators), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("report harms: %w", err)
	}
	defer rows.Close()
	// scopes[indicator][incident][organisation or ""] lists the estimates.
	scopes := map[string]map[string]map[string][]estimate{}
	for rows.Next() {
		var incident, indicator, org, certainty string
		var lo, hi sql.NullInt64
		if err := rows.Scan(&incident, &indicator, &org, &lo, &hi, &certainty); err != nil {
			return nil, nil, err
		}
		e := estimate{claimed: certainty == "claimed"}
		if lo.Valid {
			e.min = &lo.Int64
		}
		if hi.Valid {
			e.max = &hi.Int64
		}
		if scopes[indicator] == nil {
			scopes[indicator] = map[string]map[string][]estimate{}
		}
		if scopes[indicator][incident] == nil {
			scopes[indicator][incident] = map[string][]estimate{}
		}
		scopes[indicator][incident][org] = append(scopes[indicator][incident][org], e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	counted, claimed = map[string]map[string]figure{}, map[string]map[string]figure{}
	for _, ind := range indicators {
		counted[ind], claimed[ind] = map[string]figure{}, map[string]figure{}
		for incident, byScope := range scopes[ind] {
			counted[ind][incident] = combineScopes(byScope)
			if c := claimsSetAside(byScope); c.known {
				claimed[ind][incident] = c
			}
		}
	}
	return counted, claimed, nil
}

// combineScopes gives an incident's figure: a whole-incident figure when
// there is one; otherwise the sum over its distinct victims.
func combineScopes(byScope map[string][]estimate) figure {
	if whole, ok := byScope[""]; ok {
		if f := combineEstimates(whole); f.known {
			return f
		}
	}
	var total figure
	bounded := true
	var maxSum int64
	for org, estimates := range byScope {
		if org == "" {
			continue
		}
		f := combineEstimates(estimates)
		if !f.known {
			continue
		}
		total.known = true
		total.min += f.min
		if f.max == nil {
			bounded = false
		} else {
			maxSum += *f.max
		}
	}
	if total.known && bounded {
		total.max = &maxSum
	}
	return total
}

// combineEstimates merges several sources' figures for the same quantity:
// they are alternatives, never added. The lower bound is the smallest
// minimum (every source agrees on at least that); the upper bound is the
// largest maximum, or none when any source leaves it open. Attackers'
// claims are left out of both bounds whenever any other figure exists:
// an extortionist's "400,000 records" is shown beside the figure
// (claimsSetAside), never as its upper bound.
func combineEstimates(estimates []estimate) figure {
	haveUnclaimed := false
	for _, e := range estimates {
		if e.min != nil && !e.claimed {
			haveUnclaimed = true
		}
	}
	var f figure
	bounded := true
	var hi int64
	for _, e := range estimates {
		if e.min == nil || (e.claimed && haveUnclaimed) {
			continue
		}
		if e.max == nil {
			bounded = false
		} else if *e.max > hi {
			hi = *e.max
		}
		if !f.known || *e.min < f.min {
			f.min = *e.min
		}
		f.known = true
	}
	if f.known && bounded {
		f.max = &hi
	}
	return f
}

// claimsSetAside gives the attackers' claims that an incident's figure left
// out because another source gives one: the smallest claimed minimum of
// the scope that counted (the whole incident, else each victim, added).
func claimsSetAside(byScope map[string][]estimate) figure {
	if whole, ok := byScope[""]; ok && combineEstimates(whole).known {
		return claimsOf(whole)
	}
	var total figure
	for org, estimates := range byScope {
		if c := claimsOf(estimates); org != "" && c.known {
			total.known = true
			total.min += c.min
		}
	}
	return total
}

// claimsOf is the smallest minimum claimed among estimates that also hold
// a figure of another source; nothing when there is none.
func claimsOf(estimates []estimate) figure {
	var f figure
	if !slices.ContainsFunc(estimates, func(e estimate) bool { return e.min != nil && !e.claimed }) {
		return f
	}
	for _, e := range estimates {
		if e.claimed && e.min != nil && (!f.known || *e.min < f.min) {
			f.known, f.min = true, *e.min
		}
	}
	return f
}

// FigureOf returns one incident's figure for an indicator from its harms,
// by the same rules as the report: known is false when no harm gives one.
func FigureOf(harms []harm.Harm, indicator string) (min int64, max *int64, known bool) {
	byScope := map[string][]estimate{}
	for _, h := range harms {
		if h.Indicator == indicator {
			byScope[h.OrganisationID] = append(byScope[h.OrganisationID], estimate{min: h.Min, max: h.Max, claimed: h.Certainty == "claimed"})
		}
	}
	f := combineScopes(byScope)
	return f.min, f.max, f.known
}

// IncidentFigures gives one incident's figure of each kind of harm a report
// sums (Report.Figures), by the same rules, with the attackers' claims
// set aside beside each: for an incident's page.
func IncidentFigures(harms []harm.Harm) []NamedRange {
	r := &Report{Incidents: 1}
	for ind, dst := range map[string]*Range{"people-affected": &r.PeopleAffected, "records-exposed": &r.RecordsExposed,
		"patients-affected": &r.PatientsAffected, "service-disruption-days": &r.ServiceDisruptionDays,
		"facilities-affected": &r.FacilitiesAffected, "care-cancelled": &r.CareCancelled, "care-diverted": &r.CareDiverted,
		"deaths": &r.Deaths, "injuries": &r.Injuries} {
		byScope := map[string][]estimate{}
		for _, h := range harms {
			if h.Indicator == ind {
				byScope[h.OrganisationID] = append(byScope[h.OrganisationID], estimate{min: h.Min, max: h.Max, claimed: h.Certainty == "claimed"})
			}
		}
		*dst = sumRange(map[string]figure{"": combineScopes(byScope)}, 1)
		if c := claimsSetAside(byScope); c.known {
			dst.Claimed = &Claimed{Incidents: 1, Min: c.min}
		}
	}
	return r.Figures()
}

// sumRange adds up distinct incidents' figures. The upper bound exists only
// when every incident has a bounded figure.
func sumRange(figures map[string]figure, incidents int) Range {
	var r Range
	bounded := true
	var hi int64
	for _, f := range figures {
		if !f.known {
			continue
		}
		r.KnownIncidents++
		r.Min += f.min
		if f.max == nil {
			bounded = false
		} else {
			hi += *f.max
		}
	}
	r.UnknownIncidents = incidents - r.KnownIncidents
	if bounded && r.UnknownIncidents == 0 {
		r.Max = &hi
	}
	return r
}
