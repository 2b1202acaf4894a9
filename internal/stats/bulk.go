package stats

import (
	"context"
	"database/sql"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// bulk computes every incident's contribution by streaming each table once;
// it gives the same contributions as compute does one incident at a time
// (TestAggregatesMatchTheScan checks both paths).
func bulk(ctx context.Context, q db.Querier) (map[string]*Contribution, error) {
	all := map[string]*Contribution{}
	err := each(ctx, q, `SELECT id, tlp, determination, start_date, discovered_date, disclosed_date, COALESCE(campaign_id, '')
		FROM incidents`, func(rows *sql.Rows) error {
		var id, tlp, det, start, discovered, disclosed, campaign string
		if err := rows.Scan(&id, &tlp, &det, &start, &discovered, &disclosed, &campaign); err != nil {
			return err
		}
		if det == "false-positive" {
			return nil
		}
		in := &trace.Incident{Start: trace.Date(start), Discovered: trace.Date(discovered), Disclosed: trace.Date(disclosed)}
		c := &Contribution{TLP: tlp, Keys: map[string][]string{"all": {""}, "year": {yearOf(in)}}}
		if campaign != "" {
			c.Keys["campaign"] = []string{campaign}
		}
		all[id] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	lists := []struct {
		dim, query string
	}{
		{"attack_type", `SELECT incident_id, attack_type FROM incident_attack_types`},
		{"article", `SELECT incident_id, CAST(article AS TEXT) FROM incident_articles`},
		// The victims, harms and attributions that count (report/disclosed.go).
		{"organisation", report.OrganisationsQuery("")},
		{"sector", report.SectorsQuery("")},
		{"country", report.CountriesQuery("")},
		{"actor", report.ActorsQuery("")},
		{"data_type", report.DataTypesQuery("")},
		{"group", report.GroupsQuery("")},
	}
	for _, l := range lists {
		err := each(ctx, q, l.query, func(rows *sql.Rows) error {
			var id, key string
			if err := rows.Scan(&id, &key); err != nil {
				return err
			}
			if c := all[id]; c != nil {
				c.Keys[l.dim] = append(c.Keys[l.dim], key)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	harms := map[string][]harm.Harm{}
	err = each(ctx, q, report.FiguresQuery(""), func(rows *sql.Rows) error {
		var h harm.Harm
		var lo, hi sql.NullInt64
		if err := rows.Scan(&h.IncidentID, &h.Indicator, &h.OrganisationID, &lo, &hi, &h.Certainty); err != nil {
			return err
		}
		if lo.Valid {
			h.Min = &lo.Int64
		}
		if hi.Valid {
			h.Max = &hi.Int64
		}
		harms[h.IncidentID] = append(harms[h.IncidentID], h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, c := range all {
		for dim, keys := range c.Keys {
			c.Keys[dim] = uniq(keys)
		}
		for i, ind := range indicators {
			lo, hi, known := report.FigureOf(harms[id], ind)
			c.Figures[i] = Figure{Known: known, Min: lo, Open: known && hi == nil}
			if known && hi != nil {
				c.Figures[i].Max = *hi
			}
		}
	}
	return all, nil
}

func each(ctx context.Context, q db.Querier, query string, fn func(*sql.Rows) error) error {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
