// Package stats keeps the dashboard's aggregates up to date on every write,
// so that the published figures stay fast with a million incidents. Each
// incident contributes to one row per marking, dimension (all, year,
// sector, country, attack type, article, data type exposed, vulnerable
// group, organisation, actor, campaign) and
// key; when an incident, its harms, its victims or its attributions change,
// its old contribution is subtracted and the new one added, in the same
// transaction. report.Compute reads these rows when the filter allows.
package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Figure is one incident's value of one indicator after the counting rules.
type Figure struct {
	Known bool  `json:"known,omitempty"`
	Min   int64 `json:"min,omitempty"`
	Open  bool  `json:"open,omitempty"` // no upper bound
	Max   int64 `json:"max,omitempty"`
}

// Contribution is what one incident adds to the aggregates.
type Contribution struct {
	TLP     string              `json:"tlp"`
	Keys    map[string][]string `json:"keys"`
	Figures [3]Figure           `json:"figures"` // people, records, patients
}

// indicators are the figures kept, in the order of Contribution.Figures.
var indicators = [3]string{"people-affected", "records-exposed", "patients-affected"}

// Install makes the store keep its aggregates on every write, and builds
// them once for data stored before.
func Install(ctx context.Context, store *db.DB) error {
	store.BeforeCommit(Refresh)
	var n int
	if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM stats_state`).Scan(&n); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	if n > 0 {
		return nil
	}
	return Rebuild(ctx, store)
}

// bulkAbove is how many touched incidents make reading the tables in bulk
// cheaper than reading each incident on its own (an import).
const bulkAbove = 200

// Refresh replaces the contributions of the touched incidents. The changes
// are summed in memory first and written once per row: PostgreSQL slows
// down badly when one transaction updates the same row thousands of times.
func Refresh(ctx context.Context, tx *db.Tx, ids []string) error {
	var all map[string]*Contribution
	if len(ids) > bulkAbove {
		var err error
		if all, err = bulk(ctx, tx); err != nil {
			return err
		}
	}
	deltas := map[[3]string]*[13]int64{}
	for _, id := range ids {
		old, err := stored(ctx, tx, id)
		if err != nil {
			return err
		}
		next := all[id]
		if all == nil {
			if next, err = compute(ctx, tx, id); err != nil {
				return err
			}
		}
		add(deltas, old, -1)
		add(deltas, next, +1)
		if err := store(ctx, tx, id, old != nil, next); err != nil {
			return err
		}
	}
	if err := distinctDeltas(ctx, tx, deltas); err != nil {
		return err
	}
	return write(ctx, tx, deltas)
}

// write adds the non-zero deltas to their rows.
func write(ctx context.Context, tx *db.Tx, deltas map[[3]string]*[13]int64) error {
	keys := make([][3]string, 0, len(deltas))
	for k, v := range deltas {
		if *v != ([13]int64{}) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a[0]+"\x00"+a[1]+"\x00"+a[2] < b[0]+"\x00"+b[1]+"\x00"+b[2]
	})
	for _, k := range keys {
		args := make([]any, 13)
		for i, n := range deltas[k] {
			args[i] = n
		}
		if err := upsert(ctx, tx, k[0], k[1], k[2], args); err != nil {
			return err
		}
	}
	return nil
}

// distinctDeltas adds, for every marking limit, the change in how many keys
// of the distinct dimensions have incidents: a key counts within a limit
// when its incidents under the markings up to that limit add up above zero.
func distinctDeltas(ctx context.Context, tx *db.Tx, deltas map[[3]string]*[13]int64) error {
	change := map[[2]string]map[string]int64{} // (dim, key) → tlp → change in incidents
	for k, v := range deltas {
		if distinctDims[k[1]] && v[0] != 0 {
			dk := [2]string{k[1], k[2]}
			if change[dk] == nil {
				change[dk] = map[string]int64{}
			}
			change[dk][k[0]] += v[0]
		}
	}
	for dk, byTLP := range change {
		current, err := perTLP(ctx, tx, dk[0], dk[1])
		if err != nil {
			return err
		}
		var before, after int64
		for _, limit := range vocab.TLP.Values {
			before += current[limit]
			after += current[limit] + byTLP[limit]
			d := b2i(after > 0) - b2i(before > 0)
			if d != 0 {
				k := [3]string{limit, "distinct-" + dk[0], ""}
				if deltas[k] == nil {
					deltas[k] = &[13]int64{}
				}
				deltas[k][0] += d
			}
		}
	}
	return nil
}

// perTLP reads a key's incident count under each marking.
func perTLP(ctx context.Context, tx *db.Tx, dim, key string) (map[string]int64, error) {
	rows, err := tx.Query(ctx, `SELECT tlp, incidents FROM incident_stats WHERE dimension = ? AND key = ?`, dim, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

func stored(ctx context.Context, q db.Querier, id string) (*Contribution, error) {
	bodies, err := db.Column[string](ctx, q, `SELECT body FROM incident_contributions WHERE incident_id = ?`, id)
	if err != nil || len(bodies) == 0 {
		return nil, err
	}
	var c Contribution
	return &c, json.Unmarshal([]byte(bodies[0]), &c)
}

func store(ctx context.Context, tx *db.Tx, id string, existed bool, c *Contribution) error {
	if existed {
		if _, err := tx.Exec(ctx, `DELETE FROM incident_contributions WHERE incident_id = ?`, id); err != nil {
			return err
		}
	}
	if c == nil {
		return nil
	}
	body, _ := json.Marshal(c)
	_, err := tx.Exec(ctx, `INSERT INTO incident_contributions (incident_id, body) VALUES (?, ?)`, id, string(body))
	return err
}

// compute reads an incident's contribution from the store; nil when the
// incident is gone or is a false positive (never counted).
func compute(ctx context.Context, q db.Querier, id string) (*Contribution, error) {
	in, err := trace.GetIncident(ctx, q, id)
	if err != nil {
		return nil, nil // a deleted incident contributes nothing
	}
	if in.Determination == "false-positive" {
		return nil, nil
	}
	c := &Contribution{TLP: in.TLP, Keys: map[string][]string{}}
	c.Keys["all"] = []string{""}
	c.Keys["year"] = []string{yearOf(in)}
	countries := map[string]bool{}
	for _, cc := range in.Countries {
		countries[cc] = true
	}
	// A record marked stricter than the incident counts in none of its
	// figures (report/disclosed.go): an undisclosed victim has the sector
	// "Unknown" and nothing else.
	counts := func(tlp string) bool { return access.Rank(tlp) <= access.Rank(in.TLP) }
	sectors, groups := map[string]bool{}, map[string]bool{}
	for _, v := range in.Victims {
		org, err := trace.GetOrganisation(ctx, q, v.OrganisationID)
		if err != nil {
			return nil, err
		}
		if !counts(org.TLP) {
			sectors["Unknown"] = true
			continue
		}
		c.Keys["organisation"] = append(c.Keys["organisation"], org.ID)
		for _, g := range report.GroupsOf(org) {
			groups[g] = true
		}
		sector := org.Sector
		if sector == "" {
			sector = "Unknown"
		}
		sectors[sector] = true
		if org.Country != "" {
			countries[org.Country] = true
		}
	}
	c.Keys["organisation"] = uniq(c.Keys["organisation"])
	c.Keys["sector"] = keys(sectors)
	if len(groups) > 0 {
		c.Keys["group"] = keys(groups)
	}
	c.Keys["country"] = keys(countries)
	c.Keys["attack_type"] = in.AttackTypes
	for _, a := range in.Articles {
		c.Keys["article"] = append(c.Keys["article"], strconv.Itoa(a))
	}
	if in.CampaignID != "" {
		c.Keys["campaign"] = []string{in.CampaignID}
	}
	if c.Keys["actor"], err = db.Column[string](ctx, q, `SELECT DISTINCT actor_id FROM (`+report.ActorsQuery("SELECT ?")+`) a
		ORDER BY actor_id`, in.ID, in.ID); err != nil {
		return nil, err
	}
	all, err := harm.OfIncident(ctx, q, in.ID)
	if err != nil {
		return nil, err
	}
	var harms []harm.Harm
	for _, h := range all {
		if counts(h.TLP) {
			harms = append(harms, h)
		}
	}
	dataTypes := map[string]bool{}
	for _, h := range harms {
		for _, d := range h.DataTypes {
			dataTypes[d] = true
		}
	}
	if len(dataTypes) > 0 {
		c.Keys["data_type"] = keys(dataTypes)
	}
	for i, ind := range indicators {
		lo, hi, known := report.FigureOf(harms, ind)
		c.Figures[i] = Figure{Known: known, Min: lo, Open: known && hi == nil}
		if known && hi != nil {
			c.Figures[i].Max = *hi
		}
	}
	return c, nil
}

func yearOf(in *trace.Incident) string {
	for _, d := range []trace.Date{in.Start, in.Discovered, in.Disclosed} {
		if len(d) >= 4 {
			return string(d)[:4]
		}
	}
	return "unknown"
}

// distinctDims are the dimensions whose distinct keys the report counts
// (organisations, countries, actors, campaigns attacked or named).
var distinctDims = map[string]bool{"organisation": true, "country": true, "actor": true, "campaign": true}

const statColumns = `incidents, people_known, people_min, people_open, people_max, records_known, records_min, records_open,
	records_max, patients_known, patients_min, patients_open, patients_max`

func upsert(ctx context.Context, tx *db.Tx, tlp, dim, key string, v []any) error {
	args := append([]any{tlp, dim, key}, v...)
	_, err := tx.Exec(ctx, `INSERT INTO incident_stats (tlp, dimension, key, `+statColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tlp, dimension, key) DO UPDATE SET
		incidents = incident_stats.incidents + excluded.incidents,
		people_known = incident_stats.people_known + excluded.people_known,
		people_min = incident_stats.people_min + excluded.people_min,
		people_open = incident_stats.people_open + excluded.people_open,
		people_max = incident_stats.people_max + excluded.people_max,
		records_known = incident_stats.records_known + excluded.records_known,
		records_min = incident_stats.records_min + excluded.records_min,
		records_open = incident_stats.records_open + excluded.records_open,
		records_max = incident_stats.records_max + excluded.records_max,
		patients_known = incident_stats.patients_known + excluded.patients_known,
		patients_min = incident_stats.patients_min + excluded.patients_min,
		patients_open = incident_stats.patients_open + excluded.patients_open,
		patients_max = incident_stats.patients_max + excluded.patients_max`, args...)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniq(v []string) []string {
	m := map[string]bool{}
	for _, s := range v {
		m[s] = true
	}
	return keys(m)
}

// Rebuild recomputes every incident's contribution from scratch. It reads
// each table once, in bulk, rather than incident by incident, so that a
// store of a million incidents is rebuilt in about a minute.
func Rebuild(ctx context.Context, store *db.DB) error {
	return store.Write(ctx, db.Author{Who: "harmtrace stats", Why: "build the dashboard aggregates"}, func(tx *db.Tx) error {
		for _, q := range []string{`DELETE FROM incident_stats`, `DELETE FROM incident_contributions`, `DELETE FROM stats_state`} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		all, err := bulk(ctx, tx)
		if err != nil {
			return err
		}
		totals := map[[3]string]*[13]int64{}
		ids := make([]string, 0, len(all))
		for id := range all {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			c := all[id]
			add(totals, c, +1)
			body, _ := json.Marshal(c)
			if _, err := tx.Exec(ctx, `INSERT INTO incident_contributions (incident_id, body) VALUES (?, ?)`, id, string(body)); err != nil {
				return err
			}
		}
		// The table is empty, so the distinct counts come out of the same
		// computation as for a change.
		if err := distinctDeltas(ctx, tx, totals); err != nil {
			return err
		}
		if err := write(ctx, tx, totals); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO stats_state (built_at) VALUES (?)`, tx.Stamp())
		return err
	})
}

// add adds (sign +1) or subtracts (sign -1) a contribution to in-memory
// totals keyed by marking, dimension and key.
func add(totals map[[3]string]*[13]int64, c *Contribution, sign int64) {
	if c == nil {
		return
	}
	var v [13]int64
	v[0] = sign
	for i, f := range c.Figures {
		v[1+4*i], v[2+4*i], v[3+4*i], v[4+4*i] = sign*b2i(f.Known), sign*f.Min, sign*b2i(f.Open), sign*f.Max
	}
	for dim, keys := range c.Keys {
		for _, key := range keys {
			k := [3]string{c.TLP, dim, key}
			t := totals[k]
			if t == nil {
				t = &[13]int64{}
				totals[k] = t
			}
			for i := range v {
				t[i] += v[i]
			}
		}
	}
}
