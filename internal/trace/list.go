package trace

import (
	"context"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Selection picks a page of a list of records.
type Selection struct {
	// Where is an SQL condition on the listed table, under the alias t
	// (empty: every record); Args are its arguments.
	Where string
	Args  []any
	// Search keeps the records whose name (or title) contains it, in any case.
	Search        string
	Limit, Offset int
}

// Organisations lists organisations by name, with how many match in all.
func Organisations(ctx context.Context, q db.Querier, sel Selection) ([]Organisation, int, error) {
	return list(ctx, q, "organisations", organisationColumns, "name", sel, scanOrganisation)
}

// Sources lists sources by title, with how many match in all.
func Sources(ctx context.Context, q db.Querier, sel Selection) ([]Source, int, error) {
	return list(ctx, q, "sources", sourceColumns, "title", sel, scanSource)
}

// Actors lists threat actors by name, with how many match in all.
func Actors(ctx context.Context, q db.Querier, sel Selection) ([]Actor, int, error) {
	return list(ctx, q, "actors", actorColumns, "name", sel, scanActor)
}

// Campaigns lists campaigns by name, with how many match in all.
func Campaigns(ctx context.Context, q db.Querier, sel Selection) ([]Campaign, int, error) {
	return list(ctx, q, "campaigns", campaignColumns, "name", sel, scanCampaign)
}

func list[T any](ctx context.Context, q db.Querier, table, columns, name string, sel Selection,
	scan func(interface{ Scan(...any) error }) (*T, error)) ([]T, int, error) {
	where, args := "1 = 1", append([]any(nil), sel.Args...)
	if sel.Where != "" {
		where = sel.Where
	}
	if sel.Search != "" {
		where += " AND LOWER(t." + name + ") LIKE ?"
		args = append(args, "%"+escapeLike(sel.Search)+"%")
	}
	from := " FROM " + table + " t WHERE " + where
	var total int
	if err := q.QueryRow(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", table, err)
	}
	rows, err := q.Query(ctx, "SELECT "+columns+from+" ORDER BY t."+name+", t.id LIMIT ? OFFSET ?", append(args, sel.Limit, sel.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", table, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		rec, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", table, err)
		}
		out = append(out, *rec)
	}
	return out, total, rows.Err()
}

// escapeLike lower-cases s and drops the LIKE wildcards % and _, whose
// escaping the two engines spell differently; dropping them only widens
// the search.
func escapeLike(s string) string {
	return strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(s))
}
