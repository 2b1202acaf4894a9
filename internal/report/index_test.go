package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/stats"
	"github.com/harmtrace/harmtrace/internal/synthetic"
)

// indexViewers are every kind of viewer the access rule tells apart.
var indexViewers = []*access.Viewer{nil, &access.Public, &access.Operator,
	ptr(access.User("user--reader", "team--a", "viewer")), ptr(access.User("user--other", "team--b", "analyst")),
	ptr(access.User("user--lone", "", "viewer"))}

// TestIndexMatchesTheScan: the facet index, built on an empty store and
// kept by every write since, gives the report, the list pages and the ids
// that the SQL gives, for random filters and every kind of viewer, after
// random creates, edits, re-markings, shares and deletes, on both stores;
// and an index built afresh at the end answers the same.
func TestIndexMatchesTheScan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		ix, err := report.BuildIndex(ctx, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := synthetic.NewRandom(ctx, store, 2)
		if err != nil {
			t.Fatal(err)
		}
		selected := 0
		for round := 0; round < 6; round++ {
			for i := 0; i < 30; i++ {
				if err := r.Step(ctx, store); err != nil {
					t.Fatal(err)
				}
			}
			filters := []map[string]string{{}}
			for i := 0; i < 12; i++ {
				filters = append(filters, r.Filter())
			}
			for _, values := range filters {
				for _, v := range indexViewers {
					f := FilterOf(values, v)
					selected += sameAnswers(t, ctx, store, ix, f, fmt.Sprintf("round %d", round))
				}
			}
		}
		if selected < 200 {
			t.Errorf("the filters selected %d incidents in all: the test proves little", selected)
		}
		fresh, err := report.BuildIndexInSpans(ctx, store, 7)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			f := FilterOf(r.Filter(), indexViewers[i%len(indexViewers)])
			sameAnswers(t, ctx, store, fresh, f, "rebuilt")
		}
	})
}

// sameAnswers compares the index's answers with the SQL's and returns how
// many incidents the filter selects.
func sameAnswers(t *testing.T, ctx context.Context, store *db.DB, ix *report.Index, f report.Filter, step string) int {
	t.Helper()
	fast, err := ix.Report(ctx, store, f)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := report.Scan(ctx, store, f)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonOf(fast), jsonOf(slow); a != b {
		t.Fatalf("%s, filter %s: index and scan differ:\nindex %s\nscan  %s", step, describe(f), a, b)
	}
	for _, page := range [][3]int{{5, 0, 4096}, {4, 3, 4096}, {5, 0, 0}, {4, 3, 0}} {
		report.SortBelow(ix, uint64(page[2]))
		fastRows, fastTotal, err := ix.ListIncidents(ctx, store, f, page[0], page[1])
		if err != nil {
			t.Fatal(err)
		}
		slowRows, slowTotal, err := report.ListIncidents(ctx, store, f, page[0], page[1])
		if err != nil {
			t.Fatal(err)
		}
		if a, b := jsonOf(fastRows), jsonOf(slowRows); a != b || fastTotal != slowTotal {
			t.Fatalf("%s, filter %s, page %v: index and SQL lists differ:\nindex %d %s\nSQL   %d %s", step, describe(f), page,
				fastTotal, a, slowTotal, b)
		}
	}
	fastIDs, err := ix.IncidentIDs(ctx, store, f)
	if err != nil {
		t.Fatal(err)
	}
	slowIDs, err := report.IncidentIDs(ctx, store, f)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonOf(fastIDs), jsonOf(slowIDs); a != b {
		t.Fatalf("%s, filter %s: index and SQL ids differ:\nindex %s\nSQL   %s", step, describe(f), a, b)
	}
	fastActors, err := ix.ActorCounts(ctx, store, f)
	if err != nil {
		t.Fatal(err)
	}
	slowActors, err := report.ActorCounts(ctx, store, f)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonOf(fastActors), jsonOf(slowActors); a != b {
		t.Fatalf("%s, filter %s: index and SQL actor counts differ:\nindex %s\nSQL   %s", step, describe(f), a, b)
	}
	return slow.Incidents
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func describe(f report.Filter) string {
	s := jsonOf(f)
	if f.Viewer != nil {
		s += fmt.Sprintf(" viewer %+v", *f.Viewer)
	}
	return s
}

// TestIndexCatchesUpWithOtherWriters: writes made through another handle
// of the same store (another process: an import from the command line
// while serve runs) reach the index through the revisions they record, on
// both stores.
func TestIndexCatchesUpWithOtherWriters(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := ""
			if engine == "sqlite" {
				dsn = dbtest.SQLiteDSN(t)
			} else {
				dsn = dbtest.PostgresDSN(t)
			}
			serving, other := openStore(t, dsn), openStore(t, dsn)
			ix, err := report.BuildIndex(ctx, serving, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := synthetic.NewRandom(ctx, other, 3)
			if err != nil {
				t.Fatal(err)
			}
			for round := 0; round < 4; round++ {
				for i := 0; i < 25; i++ {
					if err := r.Step(ctx, other); err != nil {
						t.Fatal(err)
					}
				}
				for i := 0; i < 10; i++ {
					sameAnswers(t, ctx, serving, ix, FilterOf(r.Filter(), indexViewers[i%len(indexViewers)]), fmt.Sprintf("round %d", round))
				}
			}
		})
	}
}

// openStore opens and migrates the store at dsn with its aggregates kept,
// as the command line does.
func openStore(t testing.TB, dsn string) *db.DB {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := stats.Install(ctx, store); err != nil {
		t.Fatal(err)
	}
	return store
}

// TestIndexUnderConcurrentWrites: readers that ask the index while writes
// are applied see no torn state (run with -race), and once the writes are
// done the index gives the scan's answers, on both stores.
func TestIndexUnderConcurrentWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		ix, err := report.BuildIndex(ctx, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := synthetic.NewRandom(ctx, store, 4)
		if err != nil {
			t.Fatal(err)
		}
		filters := make([]report.Filter, 12)
		for i := range filters {
			filters[i] = FilterOf(r.Filter(), indexViewers[i%len(indexViewers)])
		}
		done := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 3; g++ {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					f := filters[(g+i)%len(filters)]
					if _, err := ix.Report(ctx, store, f); err != nil {
						t.Error(err)
						return
					}
					if _, _, err := ix.ListIncidents(ctx, store, f, 5, 0); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		for i := 0; i < 60; i++ {
			if err := r.Step(ctx, store); err != nil {
				t.Fatal(err)
			}
		}
		close(done)
		wg.Wait()
		for _, f := range filters {
			sameAnswers(t, ctx, store, ix, f, "after concurrent writes")
		}
	})
}
