package casefile_test

import (
	"context"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// Two servers sweeping for expired cases at once erase each case once:
// a second erasure changes nothing and adds no line to the timeline.
func TestEraseTwiceIsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		s := newStore(t, store)
		_, c, err := s.Submit(ctx, report())
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := s.Erase(ctx, c.ID, "retention", "expired"); err != nil {
				t.Fatal(err)
			}
		}
		events, err := casefile.Events(ctx, store, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		erased := 0
		for _, e := range events {
			if strings.Contains(e.What, "content erased") {
				erased++
			}
		}
		if erased != 1 {
			t.Errorf("%d erasure lines in the timeline, want 1: %+v", erased, events)
		}
	})
}
