package report

import (
	"context"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/db"
)

// ActorCounts returns, per actor, how many of the incidents the filter
// selects are attributed to it (its own attributions and its campaigns'
// that count, disclosed.go): the actor index shows what a reader can
// follow, never incidents hidden from them.
func ActorCounts(ctx context.Context, q db.Querier, f Filter) (map[string]int, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := f.where(q.Dialect())
	query := `SELECT actor_id, COUNT(DISTINCT incident_id) FROM (` + ActorsQuery("SELECT i.id FROM incidents i WHERE "+where) + `) a GROUP BY actor_id`
	rows, err := q.Query(ctx, query, repeatArgs(query, where, args)...)
	if err != nil {
		return nil, fmt.Errorf("actor counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
