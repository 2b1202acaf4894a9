package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/harmtrace/harmtrace/internal/db"
)

// indexEntry is what the index reads of one incident from the store.
type indexEntry struct {
	id, determination, date, tlp, owner string
	search                              sql.NullInt64 // the row of its text (SQLite)
	sharedWith, readers                 []string
	sectors                             []string // of the disclosed victims, for filters
	contribution                        *contribution
}

// BuildIndex reads the facet index from the store and keeps it current on
// every later write. The aggregates (internal/stats) must be built first:
// the index takes each incident's breakdown keys and figures from them.
// progress, when not nil, is told how many incidents have been read.
func BuildIndex(ctx context.Context, store *db.DB, progress func(read int)) (*Index, error) {
	return buildIndex(ctx, store, progress, buildSpan)
}

func buildIndex(ctx context.Context, store *db.DB, progress func(read int), buildSpan int) (*Index, error) {
	ix := newIndex(store)
	var err error
	if ix.version, err = revisionsVersion(ctx, store); err != nil {
		return nil, fmt.Errorf("build the facet index: %w", err)
	}
	// Read in spans of ids, so that only one span's rows are held at once.
	ids, err := db.Column[string](ctx, store, `SELECT id FROM incidents WHERE determination <> 'false-positive' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("build the facet index: %w", err)
	}
	ix.reserve(len(ids))
	for start := 0; start < len(ids); start += buildSpan {
		end := min(start+buildSpan, len(ids))
		span := incidentSet{ranged: true, from: ids[start]}
		if end < len(ids) {
			span.to = ids[end]
		}
		entries, err := readEntries(ctx, store, span)
		if err != nil {
			return nil, fmt.Errorf("build the facet index: %w", err)
		}
		for _, id := range ids[start:end] {
			if e := entries[id]; e != nil { // one deleted since is left out
				ix.put(e, false)
			}
		}
		if progress != nil {
			progress(end)
		}
	}
	sort.Slice(ix.order, func(i, j int) bool { return ix.less(ix.order[i], ix.order[j]) })
	for _, bm := range ix.bitmaps {
		bm.RunOptimize()
	}
	store.AroundCommit(ix.prepare)
	return ix, nil
}

// buildSpan is how many incidents a build reads at a time: the progress
// line's step too.
const buildSpan = 50_000

// incidentSet names the incidents readEntries reads: those of ids, or with
// ranged those whose id is from or after it and before to ("" for no end).
type incidentSet struct {
	ids      []string
	ranged   bool
	from, to string
}

// prepare reads the touched incidents inside the write transaction and
// returns what applies them once it commits. On SQLite, where writers take
// turns, a write that finds no revisions but its own since the index's
// version moves the version on; otherwise the next reader's sync does.
func (ix *Index) prepare(ctx context.Context, tx *db.Tx, touched []string) (db.Finish, error) {
	ix.mu.RLock()
	since := ix.version
	ix.mu.RUnlock()
	var entries map[string]*indexEntry
	var err error
	if len(touched) > 0 {
		if entries, err = readEntries(ctx, tx, incidentSet{ids: touched}); err != nil {
			return nil, fmt.Errorf("facet index: %w", err)
		}
	}
	var newer, latest int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM revisions WHERE id > ?`, since).Scan(&newer, &latest); err != nil {
		return nil, fmt.Errorf("facet index: %w", err)
	}
	onlyOwn := tx.Dialect() == db.SQLite && newer == int64(tx.Revisions)
	return func(commit func() error) error {
		ix.mu.Lock()
		defer ix.mu.Unlock()
		if err := commit(); err != nil {
			return err
		}
		ix.apply(touched, entries)
		if onlyOwn && ix.version == since {
			ix.version = latest
		}
		return nil
	}, nil
}

// apply puts the entries of the touched incidents, and removes those that
// have none (deleted, or false positives). The caller holds ix.mu.
func (ix *Index) apply(touched []string, entries map[string]*indexEntry) {
	for _, id := range touched {
		if e := entries[id]; e != nil {
			ix.put(e, true)
		} else {
			ix.remove(id)
		}
	}
	if len(touched) == 0 {
		return
	}
	ix.generation++
	for _, id := range touched {
		ix.touched = append(ix.touched, touchedAt{ix.generation, id})
	}
	if over := len(ix.touched) - touchedKept; over > 0 {
		// Forget the oldest generations whole.
		cut := ix.touched[over].generation
		i := sort.Search(len(ix.touched), func(i int) bool { return ix.touched[i].generation >= cut })
		ix.touched = slices.Delete(ix.touched, 0, i)
		ix.touchedFrom = cut - 1
	}
}

// sync catches up with revisions the index has not seen: writes by
// another process, or by a PostgreSQL transaction that ran alongside
// another. It reads the incidents those revisions touched under the
// write lock, so that no commit of this process lands in between.
func (ix *Index) sync(ctx context.Context) error {
	v, err := revisionsVersion(ctx, ix.store)
	if err != nil {
		return err
	}
	ix.mu.RLock()
	current := ix.version
	ix.mu.RUnlock()
	if v <= current {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if v, err = revisionsVersion(ctx, ix.store); err != nil || v <= ix.version {
		return err
	}
	touched, err := db.Column[string](ctx, ix.store, `SELECT record_id FROM revisions WHERE id > ? AND record_kind = 'incident'
		UNION SELECT p.parent_id FROM revision_parents p WHERE p.revision_id > ?
		UNION SELECT i.id FROM incidents i WHERE i.campaign_id IN (SELECT p.parent_id FROM revision_parents p WHERE p.revision_id > ?)
		UNION SELECT v.incident_id FROM incident_victims v WHERE v.organisation_id IN
			(SELECT record_id FROM revisions WHERE id > ? AND record_kind = 'organisation')`,
		ix.version, ix.version, ix.version, ix.version)
	if err != nil {
		return fmt.Errorf("facet index: %w", err)
	}
	entries, err := readEntries(ctx, ix.store, incidentSet{ids: touched})
	if err != nil {
		return fmt.Errorf("facet index: %w", err)
	}
	ix.apply(touched, entries) // a campaign's id among them is no incident: nothing to remove
	ix.version = v
	return nil
}

// revisionsVersion is the id of the store's newest revision.
func revisionsVersion(ctx context.Context, q db.Querier) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM revisions`).Scan(&v)
	return v, err
}

// readEntries reads the counted incidents among ids (all when nil).
func readEntries(ctx context.Context, q db.Querier, ids incidentSet) (map[string]*indexEntry, error) {
	out := map[string]*indexEntry{}
	err := eachOf(ctx, q, `SELECT i.id, i.determination, `+incidentDate+`, i.tlp, i.owner_team, i.search_rowid FROM incidents i
		WHERE i.determination <> 'false-positive' AND `, "i.id", ids, func(rows *sql.Rows) error {
		e := &indexEntry{}
		if err := rows.Scan(&e.id, &e.determination, &e.date, &e.tlp, &e.owner, &e.search); err != nil {
			return err
		}
		out[e.id] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachOf(ctx, q, `SELECT x.record_id, x.kind, x.principal FROM record_access x JOIN incidents i ON i.id = x.record_id
		WHERE `, "x.record_id", ids, func(rows *sql.Rows) error {
		var id, kind, principal string
		if err := rows.Scan(&id, &kind, &principal); err != nil {
			return err
		}
		if e := out[id]; e != nil && kind == "team" {
			e.sharedWith = append(e.sharedWith, principal)
		} else if e != nil {
			e.readers = append(e.readers, principal)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachOf(ctx, q, `SELECT DISTINCT v.incident_id, o.sector FROM `+victims+` WHERE `+disclosedVictim+` AND `,
		"v.incident_id", ids, func(rows *sql.Rows) error {
			var id, sector string
			if err := rows.Scan(&id, &sector); err != nil {
				return err
			}
			if e := out[id]; e != nil {
				e.sectors = append(e.sectors, sector)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = eachOf(ctx, q, `SELECT c.incident_id, c.body FROM incident_contributions c WHERE `, "c.incident_id", ids,
		func(rows *sql.Rows) error {
			var id, body string
			if err := rows.Scan(&id, &body); err != nil {
				return err
			}
			e := out[id]
			if e == nil {
				return nil
			}
			e.contribution = &contribution{}
			return json.Unmarshal([]byte(body), e.contribution)
		})
	if err != nil {
		return nil, err
	}
	for id, e := range out {
		if e.contribution == nil {
			// Every incident saved through harmtrace has a contribution
			// (internal/stats); one written by bare SQL has none, and, as
			// in the aggregates, counts nowhere.
			delete(out, id)
		}
	}
	return out, nil
}

// eachOf runs query, which ends in "WHERE … AND " or "WHERE ", on the
// rows whose column names one of the set's incidents.
func eachOf(ctx context.Context, q db.Querier, query, column string, set incidentSet, fn func(*sql.Rows) error) error {
	if !set.ranged {
		return db.EachIn(ctx, q, query+column+" IN (%s)", set.ids, fn)
	}
	query += column + " >= ?"
	args := []any{set.from}
	if set.to != "" {
		query += " AND " + column + " < ?"
		args = append(args, set.to)
	}
	rows, err := q.Query(ctx, query, args...)
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

// put adds or replaces an incident; keepOrder inserts it in the lists'
// order (a build sorts the order once at the end instead).
func (ix *Index) put(e *indexEntry, keepOrder bool) {
	n, ok := ix.ids.lookup(e.id)
	if ok {
		ix.unlink(n, keepOrder)
	} else {
		n = ix.allocate(e.id)
	}
	lo, hi, flags := [3]int64{}, [3]int64{}, uint8(0)
	for i, fig := range e.contribution.Figures {
		if fig.Known {
			lo[i], hi[i] = fig.Min, fig.Max
			flags |= 1 << i
			if fig.Open {
				flags |= 1 << (3 + i)
			}
		}
	}
	members := make([]uint32, 0, 16)
	add := func(f facet, value string) {
		b := ix.bitmapNumber(f, value)
		if !slices.Contains(members, b) {
			ix.bitmaps[b].Add(n)
			ix.bitmapPeople[b] += lo[0]
			members = append(members, b)
		}
	}
	add(facetTLP, e.tlp)
	add(facetOwner, e.owner)
	for _, t := range e.sharedWith {
		add(facetSharedWith, t)
	}
	for _, u := range e.readers {
		add(facetReader, u)
	}
	add(facetDetermination, e.determination)
	add(facetDate, e.date)
	for _, s := range e.sectors {
		add(facetFilterSector, s)
	}
	dims := make([]string, 0, len(e.contribution.Keys))
	for dim := range e.contribution.Keys {
		dims = append(dims, dim)
	}
	sort.Strings(dims)
	for _, dim := range dims {
		if f, ok := contributionFacets[dim]; ok {
			for _, key := range e.contribution.Keys[dim] {
				add(f, key)
			}
		}
	}
	ix.rows[n] = indexRow{start: uint32(len(ix.members)), count: uint16(len(members)), date: ix.bitmapNumber(facetDate, e.date)}
	if e.search.Valid {
		ix.rows[n].search = e.search.Int64
		ix.searchRows.set(e.search.Int64, n)
	}
	ix.members = append(ix.members, members...)
	ix.figures.set(n, lo, hi, flags)
	ix.figures.add(&ix.totals, n, +1)
	ix.all.Add(n)
	if keepOrder {
		ix.order = slices.Insert(ix.order, ix.orderPosition(n), n)
	} else {
		ix.order = append(ix.order, n)
	}
}

// reserve makes room for n incidents at once: grown by appends, the
// columns of a million incidents would hold up to twice their size.
func (ix *Index) reserve(n int) {
	ix.ids = newIncidentIDs(n)
	ix.rows = make([]indexRow, 0, n)
	ix.order = make([]uint32, 0, n)
	ix.figures.people[0], ix.figures.people[1] = make([]int64, 0, n), make([]int64, 0, n)
	ix.figures.flags = make([]uint8, 0, n)
	ix.members = make([]uint32, 0, 12*n)
	ix.searchRows.dense = make([]uint32, 0, n+1)
}

// allocate gives a new incident a number, reusing a deleted one's.
func (ix *Index) allocate(id string) uint32 {
	var n uint32
	if len(ix.free) > 0 {
		n, ix.free = ix.free[len(ix.free)-1], ix.free[:len(ix.free)-1]
	} else {
		n = uint32(ix.ids.count())
		ix.rows = append(ix.rows, indexRow{})
		ix.figures.grow()
	}
	ix.ids.set(n, id)
	return n
}

// unlink takes incident n out of every bitmap and of the order.
func (ix *Index) unlink(n uint32, keepOrder bool) {
	for _, b := range ix.membersOf(n) {
		ix.bitmaps[b].Remove(n)
		ix.bitmapPeople[b] -= ix.figures.people[0][n]
	}
	ix.figures.add(&ix.totals, n, -1)
	ix.figures.set(n, [3]int64{}, [3]int64{}, 0)
	ix.unused += int(ix.rows[n].count)
	if row := ix.rows[n].search; row != 0 {
		ix.searchRows.unset(row, n)
	}
	ix.all.Remove(n)
	if keepOrder {
		if i := ix.orderPosition(n); i < len(ix.order) && ix.order[i] == n {
			ix.order = slices.Delete(ix.order, i, i+1)
		}
	}
	ix.rows[n] = indexRow{}
	if ix.unused > len(ix.members)/2 {
		ix.compactMembers()
	}
}

// compactMembers copies the rows' bitmaps into a new arena, leaving out
// those of incidents changed or deleted since.
func (ix *Index) compactMembers() {
	arena := make([]uint32, 0, len(ix.members)-ix.unused)
	for n := range ix.rows {
		r := &ix.rows[n]
		start := uint32(len(arena))
		arena = append(arena, ix.members[r.start:r.start+uint32(r.count)]...)
		r.start = start
	}
	ix.members, ix.unused = arena, 0
}

// remove forgets a deleted incident, or one no longer counted (a false
// positive); an incident the index does not hold is no error.
func (ix *Index) remove(id string) {
	n, ok := ix.ids.lookup(id)
	if !ok {
		return
	}
	ix.unlink(n, true)
	ix.ids.remove(n, id)
	ix.free = append(ix.free, n)
}

// Size tells how many incidents and bitmaps the index holds, for the log.
func (ix *Index) Size() (incidents, bitmaps int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return int(ix.all.GetCardinality()), len(ix.bitmaps)
}
