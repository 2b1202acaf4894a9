package db

import (
	"context"
	"database/sql"
	"strings"
)

// batchSize is how many ids one query names: well within SQLite's and
// PostgreSQL's limits on parameters.
const batchSize = 500

// EachIn runs query once per batch of ids, with every "(%s)" in the query
// replaced by the batch's placeholders, and calls fn for every row: the
// records of a page are read with a few queries, not a few per record.
// The extra arguments follow the ids', so their placeholders come after
// every "(%s)" in the query.
func EachIn[ID any](ctx context.Context, q Querier, query string, ids []ID, fn func(*sql.Rows) error, extra ...any) error {
	uses := strings.Count(query, "(%s)")
	for len(ids) > 0 {
		batch := ids[:min(len(ids), batchSize)]
		ids = ids[len(batch):]
		args := make([]any, 0, uses*len(batch)+len(extra))
		for range uses {
			for _, id := range batch {
				args = append(args, id)
			}
		}
		args = append(args, extra...)
		rows, err := q.Query(ctx, strings.ReplaceAll(query, "(%s)", "("+Placeholders(len(batch))+")"), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ListsIn reads the rows (key, value) of query (see EachIn) into lists
// per key, in the order of the rows.
func ListsIn[T any](ctx context.Context, q Querier, query string, ids []string, extra ...any) (map[string][]T, error) {
	out := map[string][]T{}
	err := EachIn(ctx, q, query, ids, func(rows *sql.Rows) error {
		var key string
		var v T
		if err := rows.Scan(&key, &v); err != nil {
			return err
		}
		out[key] = append(out[key], v)
		return nil
	}, extra...)
	return out, err
}
