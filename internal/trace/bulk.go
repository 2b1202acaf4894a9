package trace

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
)

// The readers below read many records with one query per table, as the
// readers of one record do for each: a page of a list or a selection's
// download reads the records it shows without a query per record.

// GetOrganisations returns the organisations with the given ids that
// exist, ordered by name as ListOrganisations orders them (within each
// batch of ids; the store orders, so that both engines' collations hold).
func GetOrganisations(ctx context.Context, q db.Querier, ids []string) ([]Organisation, error) {
	var out []Organisation
	err := db.EachIn(ctx, q, `SELECT `+organisationColumns+` FROM organisations WHERE id IN (%s)
		ORDER BY name, id`, ids, func(rows *sql.Rows) error {
		o, err := scanOrganisation(rows)
		if err == nil {
			out = append(out, *o)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get organisations: %w", err)
	}
	marks := map[string]*access.Marking{}
	for i := range out {
		marks[out[i].ID] = &out[i].Marking
	}
	return out, LoadSharesOf(ctx, q, marks)
}

// GetSources returns the sources with the given ids that exist, by id.
func GetSources(ctx context.Context, q db.Querier, ids []string) ([]Source, error) {
	var out []Source
	err := db.EachIn(ctx, q, `SELECT `+sourceColumns+` FROM sources WHERE id IN (%s) ORDER BY id`, ids, func(rows *sql.Rows) error {
		s, err := scanSource(rows)
		if err == nil {
			out = append(out, *s)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get sources: %w", err)
	}
	marks := map[string]*access.Marking{}
	for i := range out {
		marks[out[i].ID] = &out[i].Marking
	}
	return out, LoadSharesOf(ctx, q, marks)
}

// AttributionsOfMany returns the attributions of the given incidents and
// campaigns, each record's in the order AttributionsOf gives them.
func AttributionsOfMany(ctx context.Context, q db.Querier, recordIDs []string) (map[string][]Attribution, error) {
	var all []*Attribution
	seen := map[string]bool{}
	for _, col := range []string{"incident_id", "campaign_id"} {
		err := db.EachIn(ctx, q, `SELECT `+attributionColumns+` FROM attributions WHERE `+col+` IN (%s)
			ORDER BY attributed_on, id`, recordIDs, func(rows *sql.Rows) error {
			a, err := scanAttribution(rows)
			if err == nil && !seen[a.ID] {
				seen[a.ID] = true
				all = append(all, a)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("attributions: %w", err)
		}
	}
	ids := make([]string, len(all))
	marks := map[string]*access.Marking{}
	for i, a := range all {
		ids[i] = a.ID
		marks[a.ID] = &a.Marking
	}
	sources, err := db.ListsIn[string](ctx, q, `SELECT attribution_id, source_id FROM attribution_sources WHERE attribution_id IN (%s)
		ORDER BY attribution_id, source_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("attributions: %w", err)
	}
	if err := LoadSharesOf(ctx, q, marks); err != nil {
		return nil, fmt.Errorf("attributions: %w", err)
	}
	out := map[string][]Attribution{}
	for _, a := range all {
		a.SourceIDs = sources[a.ID]
		for _, owner := range []string{a.IncidentID, a.CampaignID} {
			if owner != "" {
				out[owner] = append(out[owner], *a)
			}
		}
	}
	return out, nil
}
