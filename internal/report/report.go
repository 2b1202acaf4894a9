package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Range is a harm figure summed over distinct incidents: Min is the "at
// least" figure; Max is nil when any incident's figure has no upper bound;
// UnknownIncidents counts the incidents for which no figure is known.
// Its JSON writes min as null when no incident has a figure: an unknown
// total is unknown, never 0. Claimed, when set, is what attackers claim
// for incidents whose figure rests on other sources: shown beside the
// figure, counted in neither bound.
type Range struct {
	Min              int64    `json:"min"`
	Max              *int64   `json:"max"`
	KnownIncidents   int      `json:"known_incidents"`
	UnknownIncidents int      `json:"unknown_incidents"`
	Claimed          *Claimed `json:"claimed,omitempty"`
}

// Claimed is the attackers' claims a figure set aside: for how many
// incidents, and the sum of the smallest claim of each.
type Claimed struct {
	Incidents int   `json:"incidents"`
	Min       int64 `json:"min"`
}

// Known reports whether any incident has a figure.
func (r Range) Known() bool { return r.KnownIncidents > 0 }

// rangeJSON is Range as written: min a pointer, so that unknown is null.
type rangeJSON struct {
	Min              *int64   `json:"min"`
	Max              *int64   `json:"max"`
	KnownIncidents   int      `json:"known_incidents"`
	UnknownIncidents int      `json:"unknown_incidents"`
	Claimed          *Claimed `json:"claimed,omitempty"`
}

// MarshalJSON writes an unknown total's min as null.
func (r Range) MarshalJSON() ([]byte, error) {
	out := rangeJSON{Max: r.Max, KnownIncidents: r.KnownIncidents, UnknownIncidents: r.UnknownIncidents, Claimed: r.Claimed}
	if r.Known() {
		out.Min = &r.Min
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Range) UnmarshalJSON(b []byte) error {
	var in rangeJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = Range{Max: in.Max, KnownIncidents: in.KnownIncidents, UnknownIncidents: in.UnknownIncidents, Claimed: in.Claimed}
	if in.Min != nil {
		r.Min = *in.Min
	}
	return nil
}

// Bucket is one row of a breakdown.
type Bucket struct {
	Key               string `json:"key"`
	Incidents         int    `json:"incidents"`
	PeopleAffectedMin int64  `json:"people_affected_min"`
}

// Report is the output of `harmtrace report`; its JSON keys are a contract.
type Report struct {
	Filter              Filter   `json:"filter"`
	Incidents           int      `json:"incidents"`
	Organisations       int      `json:"organisations"`
	Countries           int      `json:"countries"`
	Actors              int      `json:"actors"`
	Campaigns           int      `json:"campaigns"`
	RecordsExposed      Range    `json:"records_exposed"`
	PeopleAffected      Range    `json:"people_affected"`
	PatientsAffected    Range    `json:"patients_affected"`
	ByYear              []Bucket `json:"by_year"`
	BySector            []Bucket `json:"by_sector"`
	ByCountry           []Bucket `json:"by_country"`
	ByAttackType        []Bucket `json:"by_attack_type"`
	ByConventionArticle []Bucket `json:"by_convention_article"`
	// ByDataType counts incidents by the data their harm figures say was
	// exposed (health, children's data, …); ByGroup by the vulnerable
	// groups their victims belong to (health care, humanitarian, …).
	ByDataType []Bucket `json:"by_data_type"`
	ByGroup    []Bucket `json:"by_vulnerable_group"`
	// Harm beyond records and people (complete.go), by the same rules.
	ServiceDisruptionDays Range `json:"service_disruption_days"`
	FacilitiesAffected    Range `json:"facilities_affected"`
	CareCancelled         Range `json:"care_cancelled"`
	CareDiverted          Range `json:"care_diverted"`
	Deaths                Range `json:"deaths"`
	Injuries              Range `json:"injuries"`
	// OpenDuplicates counts the pairs of selected incidents proposed as
	// possible duplicates and not yet reviewed; DistinctMin is the number
	// of incidents when each such pair (each group of linked pairs) is
	// counted once, the lower bound the headline gives. The lower bounds
	// of the figures count each group once too, by its smallest figure.
	OpenDuplicates int `json:"open_duplicates"`
	DistinctMin    int `json:"distinct_incidents_min"`
	// Selection names the filter in words ("in 2019, of type ransomware").
	Selection string `json:"selection"`
	Headline  string `json:"headline"`
	// Caveats are the sentences a quote of these figures must keep;
	// MethodURL is where the method is explained.
	Caveats   []string `json:"caveats"`
	MethodURL string   `json:"method_url"`
}

// Compute builds the report for the incidents the filter selects. A
// filter on the marking alone (the dashboard's home page, a whole-store
// report) reads the aggregates internal/stats keeps; so does a signed-in
// viewer's unfiltered view, with the few restricted incidents it may see
// added (signed_in.go); any other filter scans the incidents.
func Compute(ctx context.Context, q db.Querier, f Filter) (*Report, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.markingOnly() || f.viewerOnly() {
		from := fromAggregates
		if !f.markingOnly() {
			from = forSignedIn
		}
		r, ok, err := from(ctx, q, f)
		if err != nil {
			return nil, err
		}
		if ok {
			where, args := f.where(q.Dialect())
			return r, complete(ctx, q, r, "SELECT i.id FROM incidents i WHERE "+where, args)
		}
	}
	return Scan(ctx, q, f)
}

// selectedTable holds the incidents a scan selected, for its breakdowns.
const selectedTable = "harmtrace_selected"

// Scan builds the report by querying the incidents themselves. On a store
// (not inside a transaction) the filter is evaluated once, into a
// temporary table that every count and breakdown then joins; a filter such
// as a sector, evaluated anew by each of a dozen queries, made a scan of
// 100,000 incidents take seconds more.
func Scan(ctx context.Context, q db.Querier, f Filter) (*Report, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := f.where(q.Dialect())
	store, ok := q.(*db.DB)
	if !ok {
		return scan(ctx, q, f, where, args)
	}
	var r *Report
	err := store.WithSession(ctx, []string{selectedTable}, func(s *db.Session) error {
		if _, err := s.Exec(ctx, `CREATE TEMP TABLE `+selectedTable+` (id TEXT PRIMARY KEY)`); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if _, err := s.Exec(ctx, `INSERT INTO `+selectedTable+` SELECT i.id FROM incidents i WHERE `+where, args...); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if s.Dialect() == db.Postgres {
			// A temporary table has no statistics until analysed.
			if _, err := s.Exec(ctx, `ANALYZE `+selectedTable); err != nil {
				return fmt.Errorf("report: %w", err)
			}
		}
		var err error
		r, err = scan(ctx, s, f, "i.id IN (SELECT id FROM "+selectedTable+")", nil)
		return err
	})
	return r, err
}

// scan builds the report of the incidents where selects.
func scan(ctx context.Context, q db.Querier, f Filter, where string, args []any) (*Report, error) {
	selected := "SELECT i.id FROM incidents i WHERE " + where
	r := &Report{Filter: f}
	counts := []struct {
		dst   *int
		query string
	}{
		{&r.Incidents, `SELECT COUNT(*) FROM (` + selected + `) s`},
		{&r.Organisations, `SELECT COUNT(DISTINCT organisation_id) FROM (` + OrganisationsQuery(selected) + `) o`},
		{&r.Countries, `SELECT COUNT(DISTINCT country) FROM (` + CountriesQuery(selected) + `) c`},
		{&r.Actors, `SELECT COUNT(DISTINCT actor_id) FROM (` + ActorsQuery(selected) + `) a`},
		{&r.Campaigns, `SELECT COUNT(DISTINCT i.campaign_id) FROM incidents i WHERE ` + where},
	}
	for _, c := range counts {
		if err := q.QueryRow(ctx, c.query, repeatArgs(c.query, where, args)...).Scan(c.dst); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	figures, err := incidentFigures(ctx, q, selected, args)
	if err != nil {
		return nil, err
	}
	r.RecordsExposed = sumRange(figures["records-exposed"], r.Incidents)
	r.PeopleAffected = sumRange(figures["people-affected"], r.Incidents)
	r.PatientsAffected = sumRange(figures["patients-affected"], r.Incidents)
	people := figures["people-affected"]
	breakdowns := []struct {
		dst   *[]Bucket
		query string
	}{
		{&r.ByYear, `SELECT i.id, CASE WHEN ` + incidentDate + ` = '' THEN 'unknown' ELSE SUBSTR(` + incidentDate + `, 1, 4) END
			FROM incidents i WHERE ` + where},
		{&r.BySector, SectorsQuery(selected)},
		{&r.ByCountry, `SELECT DISTINCT incident_id, country FROM (` + CountriesQuery(selected) + `) c`},
		{&r.ByAttackType, `SELECT incident_id, attack_type FROM incident_attack_types WHERE incident_id IN (` + selected + `)`},
		{&r.ByConventionArticle, `SELECT incident_id, CAST(article AS TEXT) FROM incident_articles WHERE incident_id IN (` + selected + `)`},
		{&r.ByDataType, DataTypesQuery(selected)},
		{&r.ByGroup, GroupsQuery(selected)},
	}
	for _, b := range breakdowns {
		if *b.dst, err = breakdown(ctx, q, b.query, repeatArgs(b.query, where, args), people); err != nil {
			return nil, err
		}
	}
	return r, complete(ctx, q, r, selected, args)
}

// repeatArgs repeats the filter's arguments once for every time the filter's
// condition appears in query, since the condition is spliced in as text.
func repeatArgs(query, where string, args []any) []any {
	n := strings.Count(query, where)
	out := make([]any, 0, n*len(args))
	for i := 0; i < n; i++ {
		out = append(out, args...)
	}
	return out
}

// breakdown counts incidents (and the lower bound of people affected) per
// key; an incident with several keys counts once under each.
func breakdown(ctx context.Context, q db.Querier, query string, args []any, people map[string]figure) ([]Bucket, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("report breakdown: %w", err)
	}
	defer rows.Close()
	byKey := map[string]*Bucket{}
	for rows.Next() {
		var id string
		var key sql.NullString
		if err := rows.Scan(&id, &key); err != nil {
			return nil, err
		}
		b := byKey[key.String]
		if b == nil {
			b = &Bucket{Key: key.String}
			byKey[key.String] = b
		}
		b.Incidents++
		if f, ok := people[id]; ok && f.known {
			b.PeopleAffectedMin += f.min
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Bucket, 0, len(byKey))
	for _, b := range byKey {
		out = append(out, *b)
	}
	sortBuckets(out)
	return out, nil
}
