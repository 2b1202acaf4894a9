package stats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
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
	if err := generate(ctx, store, n); err != nil {
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

// generate writes n synthetic incidents with bare SQL in one transaction:
// a victim each among n/10 organisations in 150 countries, one or two
// attack types, a people-affected figure for nine in ten, TLP:CLEAR for
// nine in ten.
func generate(ctx context.Context, store *db.DB, n int) error {
	countries := vocab.Countries()[:150]
	sectors := vocab.Sectors()[:30]
	attacks := vocab.AttackTypes.Values
	rng := rand.New(rand.NewPCG(1, 2))
	return store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		orgs := max(n/10, 1)
		for i := 0; i < orgs; i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, sector, country, created_at, updated_at)
				VALUES (?, ?, 'ngo', ?, ?, 'x', 'x')`, orgID(i), fmt.Sprintf("Organisation %d", i), sectors[i%len(sectors)],
				countries[i%len(countries)].Code); err != nil {
				return err
			}
		}
		src := trace.DerivedID("source", "bench")
		if _, err := tx.Exec(ctx, `INSERT INTO sources (id, title, kind, created_at, updated_at) VALUES (?, 'bench', 'dataset', 'x', 'x')`, src); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			id := trace.DerivedID("incident", strconv.Itoa(i))
			tlp := "clear"
			if i%10 == 9 {
				tlp = "amber"
			}
			date := fmt.Sprintf("%04d-%02d", 2010+rng.IntN(16), 1+rng.IntN(12))
			if _, err := tx.Exec(ctx, `INSERT INTO incidents (id, title, determination, start_date, tlp, created_at, updated_at)
				VALUES (?, ?, 'confirmed', ?, ?, 'x', 'x')`, id, "Incident "+strconv.Itoa(i), date, tlp); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO incident_victims (incident_id, organisation_id, role) VALUES (?, ?, 'victim')`,
				id, orgID(rng.IntN(orgs))); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO incident_attack_types (incident_id, attack_type) VALUES (?, ?)`, id, attacks[rng.IntN(len(attacks))]); err != nil {
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
		}
		return nil
	})
}

func orgID(i int) string { return trace.DerivedID("identity", "bench-org-"+strconv.Itoa(i)) }
