package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

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
	// A selection of most incidents is counted from the few it leaves out.
	var left *roaring.Bitmap
	if 2*sel.GetCardinality() > ix.all.GetCardinality() {
		left = roaring.AndNot(ix.all, sel)
	}
	var sums [12]int64 // per figure: known, min, open, max
	if left != nil {
		sums = ix.totals
		left.Iterate(func(n uint32) bool { ix.figures.add(&sums, n, -1); return true })
	} else {
		sel.Iterate(func(n uint32) bool { ix.figures.add(&sums, n, +1); return true })
	}
	r.PeopleAffected = rangeOf(r.Incidents, sums[0:4])
	r.RecordsExposed = rangeOf(r.Incidents, sums[4:8])
	r.PatientsAffected = rangeOf(r.Incidents, sums[8:12])
	c := ix.tally(sel, left)
	for _, b := range []struct {
		dst   *[]Bucket
		facet facet
	}{
		{&r.ByYear, facetYear}, {&r.BySector, facetSector}, {&r.ByCountry, facetCountry},
		{&r.ByAttackType, facetAttackType}, {&r.ByConventionArticle, facetArticle},
		{&r.ByDataType, facetDataType}, {&r.ByGroup, facetGroup},
	} {
		*b.dst = c.breakdown(ix, b.facet)
	}
	r.Organisations = c.distinct(ix, facetOrganisation)
	r.Countries = c.distinct(ix, facetCountry)
	r.Actors = c.distinct(ix, facetActor)
	r.Campaigns = c.distinct(ix, facetCampaign)
	if err := ix.complete(ctx, q, r, sel); err != nil {
		return nil, err
	}
	return r, nil
}

// complete adds what the index does not keep, as every path does
// (complete.go): the harm beyond records and people, attackers' claims,
// open duplicates. Few incidents have any of these, so it asks the store
// for those incidents, keeps the selected ones by the bitmap, and
// completes the report from them alone; a selection with more such
// incidents than one query takes is completed through the filter's SQL.
func (ix *Index) complete(ctx context.Context, q db.Querier, r *Report, sel *roaring.Bitmap) error {
	candidates, err := ix.extraIncidents(ctx, q)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var ids []any
	for _, id := range candidates {
		if n, ok := ix.ids.lookup(id); ok && sel.Contains(n) {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return complete(ctx, q, r, "SELECT id FROM incidents WHERE 1 = 0", nil)
	case len(ids) <= 10000:
		return complete(ctx, q, r, "SELECT id FROM incidents WHERE id IN ("+placeholders(len(ids))+")", ids)
	}
	where, args := r.Filter.where(q.Dialect())
	return complete(ctx, q, r, "SELECT i.id FROM incidents i WHERE "+where, args)
}

// counts are, per bitmap, how many of the incidents walked it holds and
// the sum of their people affected (the lower bound).
type counts struct {
	incidents []uint32
	people    []int64
	// left: the incidents walked are those the selection leaves out, so a
	// bitmap's selected incidents are its own less those.
	left bool
}

// tally walks the selected incidents, or when left is not nil those the
// selection leaves out (fewer), and counts them per bitmap from their
// rows: one pass, where an intersection per value of every facet reads
// the selection again for each.
func (ix *Index) tally(sel, left *roaring.Bitmap) counts {
	c := counts{incidents: make([]uint32, len(ix.bitmaps)), people: make([]int64, len(ix.bitmaps)), left: left != nil}
	from := sel
	if left != nil {
		from = left
	}
	people := ix.figures.people[0]
	from.Iterate(func(n uint32) bool {
		p := people[n]
		for _, b := range ix.membersOf(n) {
			c.incidents[b]++
			c.people[b] += p
		}
		return true
	})
	return c
}

// of returns how many selected incidents bitmap b holds and the sum of
// their people affected.
func (c counts) of(ix *Index, b uint32) (uint64, int64) {
	if c.left {
		return ix.bitmaps[b].GetCardinality() - uint64(c.incidents[b]), ix.bitmapPeople[b] - c.people[b]
	}
	return uint64(c.incidents[b]), c.people[b]
}

// breakdown counts the selected incidents, and sums the lower bound of
// their people affected, per value of the facet.
func (c counts) breakdown(ix *Index, f facet) []Bucket {
	out := []Bucket{}
	for _, b := range ix.values[f] {
		if n, people := c.of(ix, b); n > 0 {
			out = append(out, Bucket{Key: ix.keyOf[b], Incidents: int(n), PeopleAffectedMin: people})
		}
	}
	sortBuckets(out)
	return out
}

// distinct counts the facet's values that some selected incident has.
func (c counts) distinct(ix *Index, f facet) int {
	n := 0
	for _, b := range ix.values[f] {
		if k, _ := c.of(ix, b); k > 0 {
			n++
		}
	}
	return n
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
	var ids []string
	var total int
	err := ix.selected(ctx, q, f, "list incidents", func(sel *roaring.Bitmap) {
		ids, total = ix.page(sel, limit, offset), int(sel.GetCardinality())
	})
	if err != nil {
		return nil, 0, err
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
	return out, total, nil
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
	var out []string
	err := ix.selected(ctx, q, f, "incident ids", func(sel *roaring.Bitmap) {
		if n := sel.GetCardinality(); n > 0 {
			out = make([]string, 0, n)
		}
		sel.Iterate(func(n uint32) bool {
			out = append(out, ix.ids.id(n))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// extraIncidents lists the incidents a completion needs, read again only
// when the store's count of changes moved.
func (ix *Index) extraIncidents(ctx context.Context, q db.Querier) ([]string, error) {
	changes, err := db.Changes(ctx, q)
	if err != nil {
		return nil, err
	}
	k := &ix.extras
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ok && k.changes == changes {
		return k.ids, nil
	}
	// One part per index (migration 0041), so that no part reads every harm.
	ids, err := db.Column[string](ctx, q, `SELECT incident_id FROM harms WHERE indicator IN ('`+strings.Join(harmIndicators, "', '")+`')
		UNION SELECT incident_id FROM harms WHERE certainty = 'claimed' AND indicator IN ('`+strings.Join(figureIndicators, "', '")+`')
		UNION SELECT incident_id FROM duplicate_candidates WHERE status = 'open'
		UNION SELECT other_id FROM duplicate_candidates WHERE status = 'open'`)
	if err != nil {
		return nil, err
	}
	k.changes, k.ok, k.ids = changes, true, ids
	return ids, nil
}

// ActorCounts is report.ActorCounts from the index: per actor, how many
// of the selected incidents it is attributed (the actor facet holds the
// counted attributions of ActorsQuery). The actors page asks for it on
// every view; the SQL reads every incident a viewer may read.
func (ix *Index) ActorCounts(ctx context.Context, q db.Querier, f Filter) (map[string]int, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if !ix.usesIndex(q) {
		return ActorCounts(ctx, q, f)
	}
	out := map[string]int{}
	err := ix.selected(ctx, q, f, "actor counts", func(sel *roaring.Bitmap) {
		for _, b := range ix.values[facetActor] {
			if n := ix.bitmaps[b].AndCardinality(sel); n > 0 {
				out[ix.keyOf[b]] = int(n)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// selected catches up with other processes' writes, then gives fn the
// filter's selection under the readers' lock; what names the answer in a
// selection's error.
func (ix *Index) selected(ctx context.Context, q db.Querier, f Filter, what string, fn func(sel *roaring.Bitmap)) error {
	if err := ix.sync(ctx); err != nil {
		return err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sel, err := ix.selection(ctx, q, f)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fn(sel)
	return nil
}
