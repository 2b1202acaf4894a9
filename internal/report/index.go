package report

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Index is the facet index: for every value of every facet a filter
// selects by (sector, country, attack type, determination, date, actor,
// campaign, marking, owner, sharing, readers) a compressed bitmap of the
// incidents that have it, and per incident the harm figures and the
// breakdown keys of its contribution (internal/stats). A filter is an AND
// of bitmaps and a count a cardinality; breakdowns and ranges are summed in
// one walk over the selected incidents' rows (or over the few a large
// selection leaves out): milliseconds at a million incidents, where the row
// store reads every row a filter selects.
//
// The index holds what the SQL of Filter.where and of the scan reads, by
// the same rules (disclosed.go, access.Viewer.Condition), and
// TestIndexMatchesTheScan holds it to them. False positives are never
// counted, so they are not in it. It is built from the store at start and
// kept current by every write that touches incidents: the change is read
// inside the transaction and applied when the commit succeeds, under the
// lock readers take, so a reader never sees the store and the index apart.
// Writes by other processes are found by the revisions they record: every
// reader first catches up with those (sync).
type Index struct {
	store *db.DB

	mu sync.RWMutex
	// version is the newest revision the index is known to hold: a store
	// that has newer ones was written by another process (a command-line
	// import while serve runs), and sync catches up.
	version int64
	ids     incidentIDs // incident id ↔ number
	free    []uint32
	rows    []indexRow // by number
	// searchRows maps SQLite's text index rows to numbers (indexRow.search).
	searchRows searchRows
	members    []uint32 // the rows' bitmaps, one after the other
	unused     int      // how many of members no row refers to any more
	figures    figureColumns
	// totals sums every incident's figures; bitmapPeople each bitmap's
	// incidents' people affected (the lower bound): a selection of most
	// incidents is summed from the few it leaves out.
	totals       [12]int64
	bitmapPeople []int64
	all          *roaring.Bitmap
	bitmaps      []*roaring.Bitmap // by bitmap number
	facetOf      []facet           // by bitmap number
	keyOf        []string          // by bitmap number: the value
	lookup       map[facetValue]uint32
	values       [facetCount][]uint32 // facet → its bitmaps' numbers
	// order holds every incident number by the lists' order: best known
	// date, most recent first, then id. A page of a selection of up to
	// sortBelow incidents sorts them instead of walking the order.
	order     []uint32
	sortBelow uint64
	// searches keeps the incidents a full-text search matched; readers fill
	// it while they share mu, so it has a lock of its own. A kept search is
	// brought up to date by asking the store about the incidents changed
	// since (touched), not by searching again: a search for a common word
	// matches a hundred thousand incidents of a million.
	searchMu sync.Mutex
	searches map[string]keptSearch
	// generation counts the changes applied; touched lists the incidents
	// each changed, the newest last, back to generation touchedFrom.
	generation  uint64
	touched     []touchedAt
	touchedFrom uint64
	// extras keeps the incidents that a report's completion needs (see
	// Index.complete) until the store changes.
	extras keptExtras
}

// keptExtras are the incidents with harm beyond records and people, a
// claimed figure, or an open duplicate pair, as of a count of changes.
type keptExtras struct {
	mu      sync.Mutex
	changes int64
	ok      bool
	ids     []string
}

type keptSearch struct {
	found      *roaring.Bitmap
	generation uint64
}

type touchedAt struct {
	generation uint64
	id         string
}

// touchedKept is how many changed incidents the index remembers for its
// kept searches; a search older than that is made again.
const touchedKept = 50_000

// indexRow is what the index keeps of one incident besides its bitmaps
// and its figures. The bitmaps that hold it are members[start:start+count]
// of the index's arena: a million small slices would cost a pointer and a
// rounded-up allocation each.
type indexRow struct {
	start  uint32
	count  uint16
	date   uint32 // the bitmap of its best known date, whose key is the date
	search int64  // the row of its text in the store's text index (SQLite), 0 for none
}

// searchRows maps the rows of SQLite's text index to incident numbers: a
// search asks the text index for rows, which it gives ten times faster
// than the ids it holds. Rows are numbered from 1 in the order written, so
// a slice holds them; a row far beyond the incidents' count (written by
// other means) goes to a map.
type searchRows struct {
	dense  []uint32 // by row: incident number + 1, 0 for none
	sparse map[int64]uint32
}

func (s *searchRows) set(row int64, n uint32) {
	switch {
	case row <= 0:
	case row < int64(len(s.dense)) || row < 4*int64(len(s.dense))+1<<16:
		for int64(len(s.dense)) <= row {
			s.dense = append(s.dense, 0)
		}
		s.dense[row] = n + 1
	default:
		if s.sparse == nil {
			s.sparse = map[int64]uint32{}
		}
		s.sparse[row] = n
	}
}

// unset forgets row, when it still maps to incident n (another incident
// may have been given the number of a deleted incident's row since).
func (s *searchRows) unset(row int64, n uint32) {
	if got, ok := s.get(row); ok && got == n {
		if row < int64(len(s.dense)) {
			s.dense[row] = 0
		} else {
			delete(s.sparse, row)
		}
	}
}

func (s *searchRows) get(row int64) (uint32, bool) {
	if row > 0 && row < int64(len(s.dense)) {
		return s.dense[row] - 1, s.dense[row] != 0
	}
	n, ok := s.sparse[row]
	return n, ok
}

// figureColumns hold the incidents' figures by number so that summing a
// selection reads memory in order: people affected, known for most
// incidents, in columns; records exposed and patients affected, known for
// few, by number.
type figureColumns struct {
	people [2][]int64          // lower and upper bounds (0 when unknown)
	others map[uint32][4]int64 // records' and patients' bounds, when either is known
	flags  []uint8             // bit i: figure i is known; bit 3+i: it has no upper bound
}

func (c *figureColumns) grow() {
	c.people[0], c.people[1] = append(c.people[0], 0), append(c.people[1], 0)
	c.flags = append(c.flags, 0)
}

// bounds returns incident n's bounds of figure i.
func (c *figureColumns) bounds(n uint32, i int) (lo, hi int64) {
	if i == 0 {
		return c.people[0][n], c.people[1][n]
	}
	o := c.others[n]
	return o[2*(i-1)], o[2*(i-1)+1]
}

// set stores incident n's figures.
func (c *figureColumns) set(n uint32, lo, hi [3]int64, flags uint8) {
	c.people[0][n], c.people[1][n] = lo[0], hi[0]
	c.flags[n] = flags
	if flags&0b110 != 0 {
		c.others[n] = [4]int64{lo[1], hi[1], lo[2], hi[2]}
	} else {
		delete(c.others, n)
	}
}

// add adds (sign +1) or subtracts (-1) incident n's figures to sums (per
// figure: known, min, open, max), as the aggregates sum them.
func (c *figureColumns) add(sums *[12]int64, n uint32, sign int64) {
	flags := c.flags[n]
	for i := range 3 {
		if flags&(1<<i) != 0 {
			lo, hi := c.bounds(n, i)
			sums[4*i] += sign
			sums[4*i+1] += sign * lo
			sums[4*i+3] += sign * hi
			if flags&(1<<(3+i)) != 0 {
				sums[4*i+2] += sign
			}
		}
	}
}

// facet is a dimension of the index.
type facet uint8

const (
	facetTLP facet = iota
	facetOwner
	facetSharedWith
	facetReader
	facetDetermination
	facetDate
	facetFilterSector // the sectors a filter selects: of the disclosed victims
	// The breakdown keys of the incident's contribution (stats.Contribution).
	facetYear
	facetSector
	facetCountry
	facetAttackType
	facetArticle
	facetDataType
	facetGroup
	facetOrganisation
	facetActor
	facetCampaign
	facetCount
)

// contributionFacets are the facets named by a contribution's dimension.
var contributionFacets = map[string]facet{"year": facetYear, "sector": facetSector, "country": facetCountry,
	"attack_type": facetAttackType, "article": facetArticle, "data_type": facetDataType, "group": facetGroup,
	"organisation": facetOrganisation, "actor": facetActor, "campaign": facetCampaign}

type facetValue struct {
	facet facet
	value string
}

func newIndex(store *db.DB) *Index {
	return &Index{store: store, ids: newIncidentIDs(0), all: roaring.New(), lookup: map[facetValue]uint32{},
		searches: map[string]keptSearch{}, sortBelow: 4096, figures: figureColumns{others: map[uint32][4]int64{}}}
}

// bitmap returns the bitmap of a facet's value; an empty one when no
// incident has it.
func (ix *Index) bitmap(f facet, value string) *roaring.Bitmap {
	if n, ok := ix.lookup[facetValue{f, value}]; ok {
		return ix.bitmaps[n]
	}
	return roaring.New()
}

// bitmapNumber returns the number of a facet's value's bitmap, adding one.
func (ix *Index) bitmapNumber(f facet, value string) uint32 {
	key := facetValue{f, value}
	if n, ok := ix.lookup[key]; ok {
		return n
	}
	n := uint32(len(ix.bitmaps))
	ix.bitmaps = append(ix.bitmaps, roaring.New())
	ix.bitmapPeople = append(ix.bitmapPeople, 0)
	ix.facetOf = append(ix.facetOf, f)
	ix.keyOf = append(ix.keyOf, value)
	ix.lookup[key] = n
	ix.values[f] = append(ix.values[f], n)
	return n
}

// membersOf returns the bitmaps that hold incident n.
func (ix *Index) membersOf(n uint32) []uint32 {
	r := ix.rows[n]
	return ix.members[r.start : r.start+uint32(r.count)]
}

// usesIndex reports whether the index may answer for q: the store it
// indexes, outside any transaction (a transaction's own changes are not in
// the index until it commits).
func (ix *Index) usesIndex(q db.Querier) bool {
	store, ok := q.(*db.DB)
	return ix != nil && ok && store == ix.store
}

// selection returns the incidents the filter selects. The caller holds
// ix.mu for reading.
func (ix *Index) selection(ctx context.Context, q db.Querier, f Filter) (*roaring.Bitmap, error) {
	sel := ix.all.Clone()
	if f.Viewer != nil {
		sel.And(ix.readable(*f.Viewer))
	}
	if f.Determination != "" {
		sel.And(ix.bitmap(facetDetermination, f.Determination))
	}
	if f.MaxTLP != "" {
		allowed := vocab.TLP.Values[:indexOf(vocab.TLP.Values, f.MaxTLP)+1]
		sel.And(ix.union(facetTLP, allowed))
	}
	if f.AttackType != "" {
		sel.And(ix.bitmap(facetAttackType, f.AttackType))
	}
	if f.Sector != "" {
		sector, _ := vocab.CanonicalSector(f.Sector)
		sel.And(ix.bitmap(facetFilterSector, sector))
	}
	if f.Country != "" {
		sel.And(ix.bitmap(facetCountry, strings.ToUpper(f.Country)))
	}
	if f.Since != "" || f.Until != "" {
		sel.And(ix.dates(f.Since, f.Until))
	}
	for _, named := range []struct {
		value string
		facet facet
		query string
	}{
		{f.Actor, facetActor, `SELECT id FROM actors WHERE id = ? OR name = ?`},
		{f.Campaign, facetCampaign, `SELECT id FROM campaigns WHERE id = ? OR name = ?`},
	} {
		if named.value == "" {
			continue
		}
		// Names are looked up in the store: a rename touches no incident.
		ids, err := db.Column[string](ctx, q, named.query, named.value, named.value)
		if err != nil {
			return nil, err
		}
		sel.And(ix.union(named.facet, ids))
	}
	if strings.TrimSpace(f.Query) != "" {
		found, err := ix.search(ctx, q, f.Query)
		if err != nil {
			return nil, err
		}
		sel.And(found)
	}
	return sel, nil
}

// union returns the incidents with any of the facet's values.
func (ix *Index) union(f facet, values []string) *roaring.Bitmap {
	bms := make([]*roaring.Bitmap, 0, len(values))
	for _, v := range values {
		bms = append(bms, ix.bitmap(f, v))
	}
	return roaring.FastOr(bms...)
}

// readable is access.Viewer.Condition on the index: the incidents whose
// own marking the viewer may read.
func (ix *Index) readable(v access.Viewer) *roaring.Bitmap {
	switch {
	case v.Operator:
		return ix.all
	case !v.SignedIn:
		return ix.bitmap(facetTLP, "clear")
	}
	team := roaring.Or(ix.bitmap(facetOwner, v.TeamID), ix.bitmap(facetSharedWith, v.TeamID))
	return roaring.FastOr(ix.bitmap(facetTLP, "clear"), ix.bitmap(facetTLP, "green"),
		roaring.And(ix.bitmap(facetTLP, "amber"), team),
		roaring.And(ix.bitmap(facetTLP, "amber+strict"), ix.bitmap(facetOwner, v.TeamID)),
		roaring.And(ix.bitmap(facetTLP, "red"), ix.bitmap(facetReader, v.UserID)))
}

// dates returns the incidents whose best known date is within the bounds,
// as Filter.where compares them: as text, "2021" as an upper bound taking
// in the whole of 2021, an incident without a date never within an upper
// bound.
func (ix *Index) dates(since, until string) *roaring.Bitmap {
	var bms []*roaring.Bitmap
	for _, n := range ix.values[facetDate] {
		d := ix.keyOf[n]
		if (since == "" || d >= since) && (until == "" || (d != "" && d <= until+"\uffff")) {
			bms = append(bms, ix.bitmaps[n])
		}
	}
	return roaring.FastOr(bms...)
}

// search returns the incidents the store's full-text index matches. The
// caller holds ix.mu for reading, so the generation and the touched
// incidents stay as they are.
func (ix *Index) search(ctx context.Context, q db.Querier, text string) (*roaring.Bitmap, error) {
	ix.searchMu.Lock()
	kept, ok := ix.searches[text]
	ix.searchMu.Unlock()
	if ok && kept.generation == ix.generation {
		return kept.found, nil
	}
	var found *roaring.Bitmap
	var err error
	if ok && kept.generation >= ix.touchedFrom {
		found, err = ix.searchChanged(ctx, q, text, kept)
	} else {
		found, err = ix.searchAll(ctx, q, text)
	}
	if err != nil {
		return nil, err
	}
	ix.searchMu.Lock()
	if len(ix.searches) >= 256 {
		clear(ix.searches)
	}
	ix.searches[text] = keptSearch{found, ix.generation}
	ix.searchMu.Unlock()
	return found, nil
}

// searchAll asks the text index alone: joined with the incidents, a common
// word's hundred thousand matches cost as many lookups. SQLite gives the
// rows it matched, PostgreSQL the ids.
func (ix *Index) searchAll(ctx context.Context, q db.Querier, text string) (*roaring.Bitmap, error) {
	query, arg := trace.SearchIDs(q.Dialect(), text)
	found := roaring.New()
	if q.Dialect() == db.SQLite {
		rows, err := db.Column[int64](ctx, q, strings.Replace(query, "SELECT id FROM", "SELECT rowid FROM", 1), arg)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if n, ok := ix.searchRows.get(row); ok {
				found.Add(n)
			}
		}
		return found, nil
	}
	ids, err := db.Column[string](ctx, q, query, arg)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if n, ok := ix.ids.lookup(id); ok {
			found.Add(n)
		}
	}
	return found, nil
}

// searchChanged brings a kept search up to date: only the incidents
// changed since may match or not anew (a deleted one's number is in no
// selection: it left ix.all). The text index is asked about their rows
// (SQLite) or ids, the placeholders of which come before the search's.
func (ix *Index) searchChanged(ctx context.Context, q db.Querier, text string, kept keptSearch) (*roaring.Bitmap, error) {
	changed := map[string]bool{}
	for i := len(ix.touched) - 1; i >= 0 && ix.touched[i].generation > kept.generation; i-- {
		changed[ix.touched[i].id] = true
	}
	found := kept.found.Clone()
	var ids []string
	var rows []int64
	for _, id := range slices.Sorted(maps.Keys(changed)) {
		n, ok := ix.ids.lookup(id)
		if !ok {
			continue
		}
		found.Remove(n)
		ids = append(ids, id)
		if r := ix.rows[n].search; r != 0 {
			rows = append(rows, r)
		}
	}
	query, arg := trace.SearchIDs(q.Dialect(), text)
	if q.Dialect() == db.SQLite {
		query = strings.Replace(query, "SELECT id FROM incident_search WHERE ", "SELECT rowid FROM incident_search WHERE rowid IN (%s) AND ", 1)
		err := db.EachIn(ctx, q, query, rows, func(r *sql.Rows) error {
			var row int64
			if err := r.Scan(&row); err != nil {
				return err
			}
			if n, ok := ix.searchRows.get(row); ok {
				found.Add(n)
			}
			return nil
		}, arg)
		return found, err
	}
	query = strings.Replace(query, " WHERE ", " WHERE id IN (%s) AND ", 1)
	err := db.EachIn(ctx, q, query, ids, func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		if n, ok := ix.ids.lookup(id); ok {
			found.Add(n)
		}
		return nil
	}, arg)
	return found, err
}

// less is the lists' order: the best known date, most recent first, then
// the id.
func (ix *Index) less(a, b uint32) bool {
	if da, db := ix.rows[a].date, ix.rows[b].date; da != db {
		return ix.keyOf[da] > ix.keyOf[db]
	}
	return ix.ids.less(a, b)
}

// page returns the ids of the selected incidents from offset on, at most
// limit, in the lists' order.
func (ix *Index) page(sel *roaring.Bitmap, limit, offset int) []string {
	var nums []uint32
	if n := sel.GetCardinality(); n <= ix.sortBelow || n <= uint64(offset+limit)*4 {
		// Few: sort them.
		nums = sel.ToArray()
		sort.Slice(nums, func(i, j int) bool { return ix.less(nums[i], nums[j]) })
		nums = nums[min(offset, len(nums)):]
		nums = nums[:min(limit, len(nums))]
	} else {
		// Many: walk the order until the page is full.
		skip := offset
		for _, n := range ix.order {
			if !sel.Contains(n) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			nums = append(nums, n)
			if len(nums) == limit {
				break
			}
		}
	}
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = ix.ids.id(n)
	}
	return out
}

// orderPosition is where incident n stands, or would stand, in the order.
func (ix *Index) orderPosition(n uint32) int {
	return sort.Search(len(ix.order), func(i int) bool { return !ix.less(ix.order[i], n) })
}
