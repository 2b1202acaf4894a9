package access_test

import (
	"context"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// TestNoStricterAgreesWithRank holds the SQL comparison of two markings to
// Rank, on both engines, for every pair of markings and for one the
// vocabulary does not know (ranked as red).
func TestNoStricterAgreesWithRank(t *testing.T) {
	ctx := context.Background()
	tlps := append(append([]string(nil), access.TLPs...), "unknown")
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		query := `SELECT CASE WHEN ` + access.NoStricter("x.a", "x.b") + ` THEN 1 ELSE 0 END
			FROM (SELECT CAST(? AS TEXT) AS a, CAST(? AS TEXT) AS b) x`
		for _, a := range tlps {
			for _, b := range tlps {
				var got int
				if err := store.QueryRow(ctx, query, a, b).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if want := access.Rank(a) <= access.Rank(b); (got == 1) != want {
					t.Errorf("NoStricter(%s, %s) = %v, Rank says %v", a, b, got == 1, want)
				}
			}
		}
	})
}
