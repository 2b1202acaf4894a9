package stats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/stats"
	"github.com/harmtrace/harmtrace/internal/synthetic"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
	"github.com/harmtrace/harmtrace/internal/web"
)

// BenchmarkDashboard fills a SQLite store with synthetic incidents (1M by
// default; HARMTRACE_BENCH_INCIDENTS sets another count), each with a
// victim in one of 150 countries, attack types and a harm figure, and
// measures p50 and p95 of: the dashboard's figures from the aggregates;
// the same figures scanned from the incidents (report.Scan); the naive
// GROUP BY queries a dashboard would otherwise run; and the home page
// rendered through the real HTTP handler.
//
//	go test -run '^$' -bench Dashboard -benchtime 1x -timeout 60m ./internal/stats
func BenchmarkDashboard(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("HARMTRACE_BENCH_INCIDENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	store := dbtest.SQLite(b)
	start := time.Now()
	if err := synthetic.Generate(ctx, store, n); err != nil {
		b.Fatal(err)
	}
	generated := time.Since(start)
	start = time.Now()
	if err := stats.Rebuild(ctx, store); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d incidents generated in %s; aggregates rebuilt in %s", n, generated.Round(time.Second), time.Since(start).Round(time.Second))
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	f := report.Filter{MaxTLP: "clear"}
	// A signed-in user of the team that owns every synthetic amber incident
	// (one in ten, stored without an owner): the aggregates up to green
	// plus all those incidents' contributions, the worst case.
	user := access.User("user--bench", "", "viewer")
	signedIn := report.Filter{Viewer: &user}
	bySector := report.Filter{MaxTLP: "clear", Sector: vocab.Sectors()[0]}
	cases := []struct {
		name  string
		runs  int
		query func() error
	}{
		{"aggregates", 50, func() error { _, err := report.Compute(ctx, store, f); return err }},
		{"signed-in-aggregates", 50, func() error { _, err := report.Compute(ctx, store, signedIn); return err }},
		{"home-page", 50, func() error {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != 200 {
				return fmt.Errorf("home page: %d", rec.Code)
			}
			return nil
		}},
		{"naive-group-by", 5, func() error { return naive(ctx, store) }},
		{"scan", 3, func() error { _, err := report.Scan(ctx, store, f); return err }},
		// A reader's filter: one sector of thirty, so about one incident in thirty.
		{"filtered-by-sector", 5, func() error { _, err := report.Compute(ctx, store, bySector); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			for i := 0; i < b.N; i++ {
				for r := 0; r < c.runs; r++ {
					t0 := time.Now()
					if err := c.query(); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0))
				}
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
			b.ReportMetric(ms(times[(len(times)*95)/100]), "p95-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// naive runs the GROUP BY queries the dashboard needs, straight on the
// incident tables: totals, per year, per sector, per country, per attack
// type, and the sum of people affected.
func naive(ctx context.Context, store *db.DB) error {
	queries := []string{
		`SELECT COUNT(*) FROM incidents WHERE tlp = 'clear' AND determination <> 'false-positive'`,
		`SELECT SUBSTR(start_date, 1, 4), COUNT(*) FROM incidents WHERE tlp = 'clear' GROUP BY 1`,
		`SELECT o.sector, COUNT(DISTINCT v.incident_id) FROM incident_victims v JOIN organisations o ON o.id = v.organisation_id
			JOIN incidents i ON i.id = v.incident_id WHERE i.tlp = 'clear' GROUP BY o.sector`,
		`SELECT o.country, COUNT(DISTINCT v.incident_id) FROM incident_victims v JOIN organisations o ON o.id = v.organisation_id
			JOIN incidents i ON i.id = v.incident_id WHERE i.tlp = 'clear' GROUP BY o.country`,
		`SELECT a.attack_type, COUNT(*) FROM incident_attack_types a JOIN incidents i ON i.id = a.incident_id WHERE i.tlp = 'clear' GROUP BY 1`,
		`SELECT SUM(h.min_value) FROM harms h JOIN incidents i ON i.id = h.incident_id WHERE i.tlp = 'clear' AND h.indicator = 'people-affected'`,
	}
	for _, q := range queries {
		rows, err := store.Query(ctx, q)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
	}
	return nil
}

// BenchmarkWrites saves incidents one by one, each in its own transaction
// as the API does, on a synthetic SQLite store (100,000 incidents;
// HARMTRACE_BENCH_INCIDENTS sets another count): with the aggregates kept
// through the index on (dimension, key); as the baseline in the same run,
// without that index; with the facet index kept as well, as serve does;
// and bare SQL inserts of the same rows, which keep nothing.
//
//	go test -run '^$' -bench Writes -benchtime 200x ./internal/stats
func BenchmarkWrites(b *testing.B) {
	n := 100_000
	if s := os.Getenv("HARMTRACE_BENCH_INCIDENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	store := dbtest.SQLite(b)
	if err := synthetic.Generate(ctx, store, n); err != nil {
		b.Fatal(err)
	}
	if err := stats.Rebuild(ctx, store); err != nil {
		b.Fatal(err)
	}
	src := trace.DerivedID("source", "bench")
	seq := 0
	save := func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			seq++
			in := &trace.Incident{Title: fmt.Sprintf("Written %d", seq), AttackTypes: []string{"ransomware"}, Determination: "confirmed",
				Start: "2024-05", Victims: []trace.Victim{{OrganisationID: synthetic.OrgID(seq % (n / 10))}}, SourceIDs: []string{src},
				Marking: access.Marking{TLP: "clear"}}
			if err := store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
				_, err := trace.SaveIncident(ctx, tx, in)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	}
	b.Run("save-incident", save)
	if err := store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `DROP INDEX incident_stats_dimension_key`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("save-incident-without-stats-index", save)
	if err := store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `CREATE INDEX incident_stats_dimension_key ON incident_stats (dimension, key)`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	// serve keeps the facet index too, in the same transaction.
	if _, err := report.BuildIndex(ctx, store, nil); err != nil {
		b.Fatal(err)
	}
	b.Run("save-incident-with-facet-index", save)
	b.Run("bare-sql-insert", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			seq++
			id := trace.DerivedID("incident", "bare-"+strconv.Itoa(seq))
			if err := store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
				for _, q := range []struct {
					sql  string
					args []any
				}{
					{`INSERT INTO incidents (id, title, determination, start_date, tlp, created_at, updated_at)
						VALUES (?, ?, 'confirmed', '2024-05', 'clear', 'x', 'x')`, []any{id, fmt.Sprintf("Written %d", seq)}},
					{`INSERT INTO incident_search (id, body) VALUES (?, ?)`, []any{id, "Written ransomware"}},
					{`INSERT INTO incident_victims (incident_id, organisation_id, role) VALUES (?, ?, 'victim')`, []any{id, synthetic.OrgID(seq % (n / 10))}},
					{`INSERT INTO incident_attack_types (incident_id, attack_type) VALUES (?, 'ransomware')`, []any{id}},
					{`INSERT INTO incident_sources (incident_id, source_id) VALUES (?, ?)`, []any{id, src}},
				} {
					if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
}
