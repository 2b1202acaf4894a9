// Package synthetic fills a store with made-up incidents for benchmarks:
// the same store for the aggregates', the filters' and the lists'
// measurements, so that their figures compare.
package synthetic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Places are the words of the synthetic titles: a search for one of them
// ("hospital") selects about one incident in eight.
var Places = []string{"hospital", "clinic", "school", "shelter", "newsroom", "charity", "water works", "town hall"}

// Generate writes n synthetic incidents with bare SQL in one transaction:
// a victim each among n/10 organisations in 150 countries and 30 sectors,
// one attack type, a people-affected figure for nine in ten, TLP:CLEAR for
// nine in ten and amber (stored without an owner) for the others, a date
// between 2010 and 2025 and a searchable title naming a place.
func Generate(ctx context.Context, store *db.DB, n int) error {
	countries := vocab.Countries()[:150]
	sectors := vocab.Sectors()[:30]
	attacks := vocab.AttackTypes.Values
	rng := rand.New(rand.NewPCG(1, 2))
	return store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		orgs := max(n/10, 1)
		for i := 0; i < orgs; i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, sector, country, created_at, updated_at)
				VALUES (?, ?, 'ngo', ?, ?, 'x', 'x')`, OrgID(i), fmt.Sprintf("Organisation %d", i), sectors[i%len(sectors)],
				countries[i%len(countries)].Code); err != nil {
				return err
			}
		}
		src := trace.DerivedID("source", "bench")
		if _, err := tx.Exec(ctx, `INSERT INTO sources (id, title, kind, created_at, updated_at) VALUES (?, 'bench', 'dataset', 'x', 'x')`, src); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := incident(ctx, tx, rng, i, orgs, src, attacks[rng.IntN(len(attacks))]); err != nil {
				return err
			}
		}
		return nil
	})
}

func incident(ctx context.Context, tx *db.Tx, rng *rand.Rand, i, orgs int, src, attack string) error {
	id := IncidentID(i)
	tlp := "clear"
	if i%10 == 9 {
		tlp = "amber"
	}
	date := fmt.Sprintf("%04d-%02d", 2010+rng.IntN(16), 1+rng.IntN(12))
	title := fmt.Sprintf("Incident %d at a %s", i, Places[rng.IntN(len(Places))])
	// On SQLite the incident names the row of its text, as trace saves it.
	var row any
	if tx.Dialect() == db.SQLite {
		row = int64(i + 1)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incidents (id, title, determination, start_date, tlp, search_rowid, created_at, updated_at)
		VALUES (?, ?, 'confirmed', ?, ?, ?, 'x', 'x')`, id, title, date, tlp, row); err != nil {
		return err
	}
	search, args := `INSERT INTO incident_search (id, body) VALUES (?, ?)`, []any{id, title + " " + attack}
	if row != nil {
		search, args = `INSERT INTO incident_search (rowid, id, body) VALUES (?, ?, ?)`, append([]any{row}, args...)
	}
	if _, err := tx.Exec(ctx, search, args...); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_victims (incident_id, organisation_id, role) VALUES (?, ?, 'victim')`,
		id, OrgID(rng.IntN(orgs))); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_attack_types (incident_id, attack_type) VALUES (?, ?)`, id, attack); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_sources (incident_id, source_id) VALUES (?, ?)`, id, src); err != nil {
		return err
	}
	if i%10 != 0 {
		people := int64(rng.IntN(100000))
		if _, err := tx.Exec(ctx, `INSERT INTO harms (id, incident_id, category, indicator, min_value, max_value, unit, certainty,
			created_at, updated_at) VALUES (?, ?, 'social-societal', 'people-affected', ?, ?, 'people', 'reported', 'x', 'x')`,
			trace.DerivedID("impact", strconv.Itoa(i)), id, people, people); err != nil {
			return err
		}
	}
	return nil
}

// IncidentID is the id of the i-th synthetic incident.
func IncidentID(i int) string { return trace.DerivedID("incident", strconv.Itoa(i)) }

// OrgID is the id of the i-th synthetic organisation.
func OrgID(i int) string { return trace.DerivedID("identity", "bench-org-"+strconv.Itoa(i)) }
