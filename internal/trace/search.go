package trace

import (
	"context"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// indexIncident writes the incident's searchable text: title, summary,
// victims' names and attack types.
func indexIncident(ctx context.Context, tx *db.Tx, in *Incident, exists bool) error {
	parts := []string{in.Title, in.Summary, strings.Join(in.AttackTypes, " ")}
	for _, v := range in.Victims {
		var name, aliases string
		if err := tx.QueryRow(ctx, `SELECT name, aliases FROM organisations WHERE id = ?`, v.OrganisationID).Scan(&name, &aliases); err != nil {
			return err
		}
		parts = append(parts, name, strings.Join(decodeList(aliases), " "))
	}
	if exists {
		if _, err := tx.Exec(ctx, `DELETE FROM incident_search WHERE id = ?`, in.ID); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO incident_search (id, body) VALUES (?, ?)`, in.ID, strings.Join(parts, " "))
	return err
}

// SearchCondition returns an SQL condition on incidents i that matches the
// words of a query (all of them), and its argument.
func SearchCondition(d db.Dialect, query string) (string, any) {
	ids, arg := SearchIDs(d, query)
	return `i.id IN (` + ids + `)`, arg
}

// SearchIDs returns the SQL that lists the ids of the incidents whose text
// matches the words of a query (all of them), and its argument.
func SearchIDs(d db.Dialect, query string) (string, any) {
	if d == db.Postgres {
		return `SELECT id FROM incident_search WHERE tsv @@ plainto_tsquery('simple', ?)`, query
	}
	// FTS5 has its own query language; quoting each word makes user input
	// plain words that must all appear.
	var words []string
	for _, w := range strings.Fields(query) {
		words = append(words, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	return `SELECT id FROM incident_search WHERE incident_search MATCH ?`, strings.Join(words, " ")
}
