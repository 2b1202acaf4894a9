package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Compute is report.Compute answered from the index where it can: a filter
// on the marking alone and a signed-in viewer's unfiltered view still read
// the aggregates (signed_in.go); every other filter reads the index. A nil
// index, or a q that is not the indexed store, computes as Compute does.
func (ix *Index) Compute(ctx context.Context, q db.Querier, f Filter) (*Report, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if !ix.usesIndex(q) || f.markingOnly() {
		return Compute(ctx, q, f)
	}
	return ix.Report(ctx, q, f)
}

// Report builds the report of the filter from the index alone.
func (ix *Index) Report(ctx context.Context, q db.Querier, f Filter) (*Report, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := ix.sync(ctx); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sel, err := ix.selection(ctx, q, f)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &Report{Filter: f, Incidents: int(sel.GetCardinality())}
	var sums [12]int64 // per figure: known, min, open, max
	sel.Iterate(func(n uint32) bool {
		row := &ix.rows[n]
		for i := range 3 {
			if lo, hi, known, open := row.figure(i); known {
				sums[4*i]++
				sums[4*i+1] += lo
				sums[4*i+3] += hi
				if open {
					sums[4*i+2]++
				}
			}
		}
		return true
	})
	r.PeopleAffected = rangeOf(r.Incidents, sums[0:4])
	r.RecordsExposed = rangeOf(r.Incidents, sums[4:8])
	r.PatientsAffected = rangeOf(r.Incidents, sums[8:12])
	for _, b := range []struct {
		dst   *[]Bucket
		facet facet
	}{
		{&r.ByYear, facetYear}, {&r.BySector, facetSector}, {&r.ByCountry, facetCountry},
		{&r.ByAttackType, facetAttackType}, {&r.ByConventionArticle, facetArticle},
		{&r.ByDataType, facetDataType}, {&r.ByGroup, facetGroup},
	} {
		*b.dst = ix.breakdown(sel, b.facet)
	}
	r.Organisations = ix.distinctOrganisations(sel)
	r.Countries = ix.distinct(sel, facetCountry)
	r.Actors = ix.distinct(sel, facetActor)
	r.Campaigns = ix.distinct(sel, facetCampaign)
	r.Headline = headline(r)
	return r, nil
}

// breakdown counts the selected incidents, and sums the lower bound of
// their people affected, per value of the facet.
func (ix *Index) breakdown(sel *roaring.Bitmap, f facet) []Bucket {
	out := []Bucket{}
	for _, b := range ix.values[f] {
		inter := roaring.And(sel, ix.bitmaps[b])
		n := inter.GetCardinality()
		if n == 0 {
			continue
		}
		bucket := Bucket{Key: ix.keyOf[b], Incidents: int(n)}
		inter.Iterate(func(x uint32) bool {
			if lo, _, known, _ := ix.rows[x].figure(0); known {
				bucket.PeopleAffectedMin += lo
			}
			return true
		})
		out = append(out, bucket)
	}
	sortBuckets(out)
	return out
}

// distinct counts the facet's values that some selected incident has.
func (ix *Index) distinct(sel *roaring.Bitmap, f facet) int {
	n := 0
	for _, b := range ix.values[f] {
		if sel.Intersects(ix.bitmaps[b]) {
			n++
		}
	}
	return n
}

// distinctOrganisations counts the organisations of the selected incidents
// from the incidents' rows: there are too many organisations to intersect
// each one's bitmap.
func (ix *Index) distinctOrganisations(sel *roaring.Bitmap) int {
	if uint64(len(ix.values[facetOrganisation])) < sel.GetCardinality()/8 {
		return ix.distinct(sel, facetOrganisation)
	}
	seen := map[uint32]bool{}
	sel.Iterate(func(n uint32) bool {
		for _, b := range ix.rows[n].members {
			if ix.facetOf[b] == facetOrganisation {
				seen[b] = true
			}
		}
		return true
	})
	return len(seen)
}

// ListIncidents is report.ListIncidents with the selection, the count and
// the page's order taken from the index; the page's rows are then read
// from the store in one query per table.
func (ix *Index) ListIncidents(ctx context.Context, q db.Querier, f Filter, limit, offset int) ([]Row, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	if !ix.usesIndex(q) {
		return ListIncidents(ctx, q, f, limit, offset)
	}
	if err := ix.sync(ctx); err != nil {
		return nil, 0, err
	}
	ix.mu.RLock()
	sel, err := ix.selection(ctx, q, f)
	var ids []string
	if err == nil {
		ids = ix.page(sel, limit, offset)
	}
	ix.mu.RUnlock()
	if err != nil {
		return nil, 0, fmt.Errorf("list incidents: %w", err)
	}
	byID := map[string]Row{}
	err = db.EachIn(ctx, q, `SELECT i.id, i.title, `+incidentDate+`, i.determination, i.tlp FROM incidents i WHERE i.id IN (%s)`, ids,
		func(rows *sql.Rows) error {
			var r Row
			if err := rows.Scan(&r.ID, &r.Title, &r.Date, &r.Determination, &r.TLP); err != nil {
				return err
			}
			byID[r.ID] = r
			return nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("list incidents: %w", err)
	}
	var out []Row // nil when empty, as the SQL gives it
	for _, id := range ids {
		if r, ok := byID[id]; ok { // one deleted since is left out
			out = append(out, r)
		}
	}
	if err := pageDetails(ctx, q, f.Viewer, out); err != nil {
		return nil, 0, fmt.Errorf("list incidents: %w", err)
	}
	return out, int(sel.GetCardinality()), nil
}

// IncidentIDs is report.IncidentIDs from the index: every selected
// incident's id, in the order of ids.
func (ix *Index) IncidentIDs(ctx context.Context, q db.Querier, f Filter) ([]string, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if !ix.usesIndex(q) {
		return IncidentIDs(ctx, q, f)
	}
	if err := ix.sync(ctx); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sel, err := ix.selection(ctx, q, f)
	if err != nil {
		return nil, fmt.Errorf("incident ids: %w", err)
	}
	var out []string
	if n := sel.GetCardinality(); n > 0 {
		out = make([]string, 0, n)
	}
	sel.Iterate(func(n uint32) bool {
		out = append(out, ix.ids[n])
		return true
	})
	slices.Sort(out)
	return out, nil
}
