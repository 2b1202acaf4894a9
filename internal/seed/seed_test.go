package seed_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/seed"
)

// TestSeed loads the bundled open data and checks the figures it gives:
// the HHS archive's hacking/IT incidents (1,398 after 5 repeated rows are
// counted once) and the 1,041 threat actors of the MISP catalogue.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	if empty, err := seed.Empty(ctx, store); err != nil || !empty {
		t.Fatalf("a fresh store is not empty: %v", err)
	}
	sum, err := seed.Load(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts["incidents"].Created != 1398 || sum.Counts["actors"].Created != 1041 {
		t.Fatalf("seeded %+v incidents and %+v actors", sum.Counts["incidents"], sum.Counts["actors"])
	}
	r, err := report.Compute(ctx, store, report.Filter{MaxTLP: "clear"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Incidents != 1398 || r.Countries != 1 || r.PeopleAffected.Min < 100_000_000 {
		t.Errorf("report = %d incidents, %d countries, %d people", r.Incidents, r.Countries, r.PeopleAffected.Min)
	}
	// The seed touches more incidents than stats refreshes one by one: the
	// bulk path must give the same figures as a scan.
	scanned, err := report.Scan(ctx, store, report.Filter{MaxTLP: "clear"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(scanned)
	if string(a) != string(b) {
		t.Errorf("aggregates and scan differ after the seed:\n%s\n%s", a, b)
	}
	again, err := seed.Load(ctx, store, nil)
	if err != nil || again.Changed() {
		t.Errorf("seeding twice changed the store: %+v, %v", again.Counts, err)
	}
}
