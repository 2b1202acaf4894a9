package report_test

import (
	"context"
	"errors"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/report"
)

// TestFilterRefusesBadText: a search or a name with a NUL byte or bytes
// that are not UTF-8 is the caller's error (ErrFilter), found before any
// query, on both stores; an error of the store is not ErrFilter.
func TestFilterRefusesBadText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		for _, f := range []report.Filter{{Query: "a\x00b"}, {Query: "a\xffb"}, {Actor: "\x00"}, {Campaign: "\xc3\x28"}, {AttackType: "hacking"}} {
			if _, _, err := report.ListIncidents(ctx, store, f, 10, 0); !errors.Is(err, report.ErrFilter) {
				t.Errorf("list %+v: %v, want ErrFilter", f, err)
			}
			if _, err := report.Compute(ctx, store, f); !errors.Is(err, report.ErrFilter) {
				t.Errorf("report %+v: %v, want ErrFilter", f, err)
			}
		}
		if _, _, err := report.ListIncidents(ctx, store, report.Filter{Query: "clinic ransomware"}, 10, 0); err != nil {
			t.Errorf("a plain search: %v", err)
		}
		closed := dbtest.SQLite(t)
		closed.Close()
		if _, _, err := report.ListIncidents(ctx, closed, report.Filter{Query: "x"}, 10, 0); err == nil || errors.Is(err, report.ErrFilter) {
			t.Errorf("a store's error: %v, want an error that is not ErrFilter", err)
		}
	})
}
