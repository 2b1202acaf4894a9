package report

import (
	"context"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// BuildIndexInSpans builds the index reading span incidents at a time, so
// that the tests read a small store in several spans.
func BuildIndexInSpans(ctx context.Context, store *db.DB, span int) (*Index, error) {
	return buildIndex(ctx, store, nil, span)
}

// SortBelow sets how many selected incidents a list page sorts rather than
// walking the index's order, so that the tests take both ways.
func SortBelow(ix *Index, n uint64) {
	ix.mu.Lock()
	ix.sortBelow = n
	ix.mu.Unlock()
}

// Where exposes the filter's SQL condition to the tests.
func Where(f Filter, d db.Dialect) (string, []any) { return f.where(d) }

// CorrelatedWhere is the condition as it was written before: the linked
// tables as subqueries correlated with the incident. The tests hold the
// new condition to its answers and the benchmark measures against it.
func CorrelatedWhere(f Filter, d db.Dialect) (string, []any) {
	g := f
	g.AttackType, g.Sector, g.Country, g.Actor, g.Campaign = "", "", "", "", ""
	where, args := g.where(d)
	conds := []string{where}
	if f.AttackType != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM incident_attack_types a WHERE a.incident_id = i.id AND a.attack_type = ?)")
		args = append(args, f.AttackType)
	}
	if f.Sector != "" {
		sector, _ := vocab.CanonicalSector(f.Sector)
		conds = append(conds, `EXISTS (SELECT 1 FROM incident_victims v JOIN organisations o ON o.id = v.organisation_id
			WHERE v.incident_id = i.id AND o.sector = ? AND `+access.NoStricter("o.tlp", "i.tlp")+`)`)
		args = append(args, sector)
	}
	if f.Country != "" {
		conds = append(conds, `(EXISTS (SELECT 1 FROM incident_countries c WHERE c.incident_id = i.id AND c.country = ?)
			OR EXISTS (SELECT 1 FROM incident_victims v JOIN organisations o ON o.id = v.organisation_id
			WHERE v.incident_id = i.id AND o.country = ? AND `+access.NoStricter("o.tlp", "i.tlp")+`))`)
		cc := strings.ToUpper(f.Country)
		args = append(args, cc, cc)
	}
	if f.Actor != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM attributions t JOIN actors a ON a.id = t.actor_id
			WHERE (t.incident_id = i.id OR t.campaign_id = i.campaign_id) AND (a.id = ? OR a.name = ?)
			AND `+access.NoStricter("t.tlp", "i.tlp")+`)`)
		args = append(args, f.Actor, f.Actor)
	}
	if f.Campaign != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM campaigns c WHERE c.id = i.campaign_id AND (c.id = ? OR c.name = ?))`)
		args = append(args, f.Campaign, f.Campaign)
	}
	return strings.Join(conds, " AND "), args
}
