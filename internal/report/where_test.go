package report_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/synthetic"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// FilterOf turns a random filter's values into a report.Filter.
func FilterOf(values map[string]string, v *access.Viewer) report.Filter {
	return report.Filter{Sector: values["sector"], Country: values["country"], AttackType: values["attack_type"],
		Determination: values["determination"], Since: values["since"], Until: values["until"], Actor: values["actor"],
		Campaign: values["campaign"], MaxTLP: values["tlp"], Query: values["q"], Viewer: v}
}

func selected(t *testing.T, store *db.DB, condition func(report.Filter, db.Dialect) (string, []any), f report.Filter) []string {
	t.Helper()
	where, args := condition(f, store.Dialect())
	ids, err := db.Column[string](context.Background(), store, `SELECT i.id FROM incidents i WHERE `+where+` ORDER BY i.id`, args...)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestFilterConditionsMatchCorrelated: the filter's conditions written as
// sets of ids select exactly the incidents the correlated subqueries did,
// for random filters after random writes, on both stores.
func TestFilterConditionsMatchCorrelated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		r, err := synthetic.NewRandom(ctx, store, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 80; i++ {
			if err := r.Step(ctx, store); err != nil {
				t.Fatal(err)
			}
		}
		viewers := []*access.Viewer{nil, &access.Public, ptr(access.User("user--reader", "team--a", "viewer"))}
		matched := 0
		for i := 0; i < 60; i++ {
			f := FilterOf(r.Filter(), viewers[i%len(viewers)])
			now := selected(t, store, report.Where, f)
			before := selected(t, store, report.CorrelatedWhere, f)
			if !slices.Equal(now, before) {
				t.Fatalf("filter %+v: %d incidents, the correlated condition %d", f, len(now), len(before))
			}
			if len(now) > 0 {
				matched++
			}
		}
		if matched < 10 {
			t.Errorf("only %d of 60 filters select anything: the test proves little", matched)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// BenchmarkFilterConditions counts the incidents of a sector, a country
// and an attack type on a synthetic SQLite store (100,000 incidents;
// HARMTRACE_BENCH_INCIDENTS sets another count), with the conditions as
// sets of ids and, as the baseline in the same run, as the correlated
// subqueries they replace.
//
//	go test -run '^$' -bench FilterConditions -benchtime 5x ./internal/report
func BenchmarkFilterConditions(b *testing.B) {
	n := 100_000
	if s := os.Getenv("HARMTRACE_BENCH_INCIDENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	store := dbtest.SQLite(b)
	if err := synthetic.Generate(ctx, store, n); err != nil {
		b.Fatal(err)
	}
	filters := []struct {
		name string
		f    report.Filter
	}{
		{"sector", report.Filter{MaxTLP: "clear", Sector: vocab.Sectors()[0]}},
		{"country", report.Filter{MaxTLP: "clear", Country: vocab.Countries()[0].Code}},
		{"attack-type", report.Filter{MaxTLP: "clear", AttackType: "ransomware"}},
	}
	for _, c := range filters {
		for _, way := range []struct {
			name  string
			where func(report.Filter, db.Dialect) (string, []any)
		}{{"in", report.Where}, {"correlated", report.CorrelatedWhere}} {
			b.Run(c.name+"/"+way.name, func(b *testing.B) {
				where, args := way.where(c.f, store.Dialect())
				for i := 0; i < b.N; i++ {
					var count int
					if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE `+where, args...).Scan(&count); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
