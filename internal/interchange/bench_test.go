package interchange_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// BenchmarkInsertIncidents saves b.N incidents, each with a source and a
// harm, through harmtrace's store (validation, reference checks, revisions)
// and, as the baseline in the same run, through a bare loop of prepared
// INSERTs into the same tables. Run it with a fixed count:
//
//	go test -run '^$' -bench InsertIncidents -benchtime 100000x ./internal/interchange
func BenchmarkInsertIncidents(b *testing.B) {
	stores := map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name+"/bare-sql", func(b *testing.B) { benchBare(b, stores[name](b)) })
		b.Run(name+"/harmtrace", func(b *testing.B) { benchStore(b, stores[name](b)) })
	}
}

// rowsPerIncident counts the rows each incident writes in the bare loop:
// source, incident, attack type, country, incident source, harm, harm source.
const rowsPerIncident = 7

func benchStore(b *testing.B, store *db.DB) {
	ctx := context.Background()
	b.ResetTimer()
	err := store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		for i := 0; i < b.N; i++ {
			src := &trace.Source{URL: fmt.Sprintf("https://example.org/%d", i), Kind: "news"}
			if _, err := trace.SaveSource(ctx, tx, src); err != nil {
				return err
			}
			in := &trace.Incident{Title: fmt.Sprintf("Incident %d", i), AttackTypes: []string{"ransomware"},
				Determination: "confirmed", Start: "2024-01-02", Countries: []string{"FR"}, TLP: "clear", SourceIDs: []string{src.ID}}
			if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
				return err
			}
			h := &harm.Harm{IncidentID: in.ID, Indicator: "people-affected", Min: harm.Exact(int64(i)), Max: harm.Exact(int64(i)),
				SourceIDs: []string{src.ID}}
			if _, err := harm.Save(ctx, tx, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
}

func benchBare(b *testing.B, store *db.DB) {
	ctx := context.Background()
	statements := []string{
		`INSERT INTO sources (id, url, title, kind, created_at, updated_at) VALUES (?, ?, ?, 'news', 'x', 'x')`,
		`INSERT INTO incidents (id, title, determination, start_date, tlp, created_at, updated_at) VALUES (?, ?, 'confirmed', '2024-01-02', 'clear', 'x', 'x')`,
		`INSERT INTO incident_attack_types (incident_id, attack_type) VALUES (?, 'ransomware')`,
		`INSERT INTO incident_countries (incident_id, country) VALUES (?, 'FR')`,
		`INSERT INTO incident_sources (incident_id, source_id) VALUES (?, ?)`,
		`INSERT INTO harms (id, incident_id, category, indicator, min_value, max_value, unit, certainty, created_at, updated_at) VALUES (?, ?, 'social-societal', 'people-affected', ?, ?, 'people', 'reported', 'x', 'x')`,
		`INSERT INTO harm_sources (harm_id, source_id) VALUES (?, ?)`,
	}
	b.ResetTimer()
	err := store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		prepared := make([]func(args ...any) error, len(statements))
		for i, q := range statements {
			st, err := tx.Prepare(ctx, q)
			if err != nil {
				return err
			}
			prepared[i] = func(args ...any) error { _, err := st.ExecContext(ctx, args...); return err }
		}
		for i := 0; i < b.N; i++ {
			src, inc, h := trace.NewID("source"), trace.NewID("incident"), trace.NewID("impact")
			steps := [][]any{{src, fmt.Sprintf("https://example.org/%d", i), "t"}, {inc, fmt.Sprintf("Incident %d", i)}, {inc}, {inc},
				{inc, src}, {h, inc, i, i}, {h, src}}
			for j, args := range steps {
				if err := prepared[j](args...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
	b.ReportMetric(float64(b.N*rowsPerIncident)/b.Elapsed().Seconds(), "rows/s")
}
