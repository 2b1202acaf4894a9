package report_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
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

// BenchmarkIndex measures the facet index on a synthetic store (100,000
// incidents; HARMTRACE_BENCH_INCIDENTS sets another count; SQLite, or
// PostgreSQL with HARMTRACE_BENCH_POSTGRES=1), each against its baseline
// in the same run: p50 and p95 of twenty random filters (one to three
// facets, some with a search, public and signed-in) from the index and by
// the scan (and again, every search kept); the first report after a
// write; a save as the API does and bare SQL inserts of the same rows;
// list and search pages from the index and by SQL; requests per second of
// /healthz, /incidents?q= and /api/v1/incidents with eight clients; and
// the index's build time and heap.
//
//	go test -run '^$' -bench Index -benchtime 1x -timeout 120m ./internal/report
func BenchmarkIndex(b *testing.B) {
	n := 100_000
	if s := os.Getenv("HARMTRACE_BENCH_INCIDENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	var store *db.DB
	switch {
	case os.Getenv("HARMTRACE_BENCH_POSTGRES") == "1":
		store = dbtest.Postgres(b)
	case os.Getenv("HARMTRACE_BENCH_STORE") != "":
		// A SQLite file kept after the run, to measure serve on it.
		store = openStore(b, os.Getenv("HARMTRACE_BENCH_STORE"))
	default:
		store = dbtest.SQLite(b)
	}
	var stored int
	if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if stored == 0 {
		if err := synthetic.Generate(ctx, store, n); err != nil {
			b.Fatal(err)
		}
		if err := stats.Rebuild(ctx, store); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: %d incidents generated with their aggregates in %s", store.Dialect(), n, time.Since(start).Round(time.Second))
	heapBefore := heap()
	start = time.Now()
	ix, err := report.BuildIndex(ctx, store, nil)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	b.Logf("index built in %s, heap %.0f MB", build.Round(time.Millisecond), (heap()-heapBefore)/1e6)

	filters := benchFilters(20)
	user := access.User("user--bench", "", "viewer") // owns the amber incidents, stored without an owner
	signedIn := make([]report.Filter, len(filters))
	for i, f := range filters {
		f.Viewer, f.MaxTLP = &user, ""
		signedIn[i] = f
	}
	each := func(fs []report.Filter, fn func(report.Filter) error) func() error {
		i := 0
		return func() error { f := fs[i%len(fs)]; i++; return fn(f) }
	}
	indexReport := func(f report.Filter) error { _, err := ix.Report(ctx, store, f); return err }
	scanReport := func(f report.Filter) error { _, err := report.Scan(ctx, store, f); return err }
	indexList := func(f report.Filter) error { _, _, err := ix.ListIncidents(ctx, store, f, 50, 0); return err }
	sqlList := func(f report.Filter) error { _, _, err := report.ListIncidents(ctx, store, f, 50, 0); return err }
	search := []report.Filter{{Viewer: &access.Public, Query: "hospital"}, {Viewer: &access.Public, Query: "clinic"},
		{Viewer: &access.Public, Query: "school ransomware"}}
	scanRuns := 20
	if n > 200_000 {
		scanRuns = 5 // each scan takes seconds
	}
	seq := 0
	cases := []struct {
		name  string
		runs  int
		query func() error
	}{
		{"report/index", 40, each(filters, indexReport)},
		{"report/index-again", 40, each(filters, indexReport)}, // every search kept
		{"report/index-signed-in", 40, each(signedIn, indexReport)},
		{"report/scan", scanRuns, each(filters, scanReport)},
		{"report/scan-signed-in", scanRuns, each(signedIn, scanReport)},
		{"report/index-after-write", 20, func() error {
			seq++
			if err := writeOne(ctx, store, seq, n); err != nil {
				return err
			}
			return indexReport(filters[seq%len(filters)])
		}},
		{"write/save-incident", 20, func() error { seq++; return writeOne(ctx, store, seq, n) }},
		{"write/bare-sql", 20, func() error { seq++; return bareInsert(ctx, store, seq, n) }},
		{"list/index", 40, each(filters, indexList)},
		{"list/sql", scanRuns, each(filters, sqlList)},
		{"search-page/index", 40, each(search, indexList)},
		{"search-page/sql", scanRuns, each(search, sqlList)},
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
	b.Run("build", func(b *testing.B) {
		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric((heap()-heapBefore)/1e6, "heap-MB")
	})
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{Index: ix})
	if err != nil {
		b.Fatal(err)
	}
	// /healthz is the baseline: the plumbing alone, a ping of the store.
	for _, path := range []string{"/healthz", "/incidents?q=hospital", "/api/v1/incidents", "/api/v1/incidents?sector=" + vocab.Sectors()[0]} {
		b.Run("http"+path, func(b *testing.B) {
			requests := 0
			start := time.Now()
			for i := 0; i < b.N; i++ {
				requests += clients(b, h, path, 8, 25)
			}
			b.ReportMetric(float64(requests)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// benchFilters are k random filters over the synthetic store's values:
// one to three facets, a search in one of four.
func benchFilters(k int) []report.Filter {
	rng := rand.New(rand.NewPCG(3, 4))
	sectors, countries := vocab.Sectors()[:30], vocab.Countries()[:150]
	var out []report.Filter
	for len(out) < k {
		f := report.Filter{Viewer: &access.Public}
		for facets := 1 + rng.IntN(3); facets > 0; facets-- {
			switch rng.IntN(5) {
			case 0:
				f.Sector = sectors[rng.IntN(len(sectors))]
			case 1:
				f.Country = countries[rng.IntN(len(countries))].Code
			case 2:
				f.AttackType = vocab.AttackTypes.Values[rng.IntN(len(vocab.AttackTypes.Values))]
			case 3:
				year := strconv.Itoa(2010 + rng.IntN(16))
				f.Since, f.Until = year, year
			case 4:
				f.Determination = "confirmed"
			}
		}
		if rng.IntN(4) == 0 {
			f.Query = synthetic.Places[rng.IntN(len(synthetic.Places))]
		}
		out = append(out, f)
	}
	return out
}

// writeOne saves a new incident as the API does.
func writeOne(ctx context.Context, store *db.DB, seq, n int) error {
	in := &trace.Incident{Title: fmt.Sprintf("Written %d at a hospital", seq), AttackTypes: []string{"ransomware"},
		Determination: "confirmed", Start: "2024-05", Victims: []trace.Victim{{OrganisationID: synthetic.OrgID(seq % max(n/10, 1))}},
		SourceIDs: []string{trace.DerivedID("source", "bench")}, Marking: access.Marking{TLP: "clear"}}
	return store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		_, err := trace.SaveIncident(ctx, tx, in)
		return err
	})
}

// benchRun tells this run's bare inserts from those of a kept store's
// earlier runs.
var benchRun = time.Now().UnixNano()

// bareInsert writes the rows of the incident writeOne saves with bare SQL:
// no revision, aggregates or index kept.
func bareInsert(ctx context.Context, store *db.DB, seq, n int) error {
	id := trace.DerivedID("incident", fmt.Sprintf("bare-%d-%d", benchRun, seq))
	return store.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO incidents (id, title, determination, start_date, tlp, created_at, updated_at)
				VALUES (?, ?, 'confirmed', '2024-05', 'clear', 'x', 'x')`, []any{id, fmt.Sprintf("Written %d at a hospital", seq)}},
			{`INSERT INTO incident_search (id, body) VALUES (?, ?)`, []any{id, fmt.Sprintf("Written %d at a hospital ransomware", seq)}},
			{`INSERT INTO incident_victims (incident_id, organisation_id, role) VALUES (?, ?, 'victim')`, []any{id, synthetic.OrgID(seq % max(n/10, 1))}},
			{`INSERT INTO incident_attack_types (incident_id, attack_type) VALUES (?, 'ransomware')`, []any{id}},
			{`INSERT INTO incident_sources (incident_id, source_id) VALUES (?, ?)`, []any{id, trace.DerivedID("source", "bench")}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// clients sends each of k clients' requests one after the other, all k at
// once, and returns how many were answered.
func clients(b *testing.B, h http.Handler, path string, k, each int) int {
	var wg sync.WaitGroup
	for c := 0; c < k; c++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != http.StatusOK {
					b.Errorf("%s: %d", path, rec.Code)
					return
				}
			}
		})
	}
	wg.Wait()
	return k * each
}

func heap() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
