package trace

import (
	"context"
	"database/sql"
	"errors"
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
		if err := unindexIncident(ctx, tx, in.ID); err != nil {
			return err
		}
	}
	body := strings.Join(parts, " ")
	if tx.Dialect() == db.Postgres {
		_, err := tx.Exec(ctx, `INSERT INTO incident_search (id, body) VALUES (?, ?)`, in.ID, body)
		return err
	}
	// SQLite: the row gets the next number, which the incident keeps.
	var row int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT rowid FROM incident_search ORDER BY rowid DESC LIMIT 1), 0) + 1`).Scan(&row); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_search (rowid, id, body) VALUES (?, ?, ?)`, row, in.ID, body); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE incidents SET search_rowid = ? WHERE id = ?`, row, in.ID)
	return err
}

// unindexIncident deletes the incident's searchable text: on SQLite by the
// row the incident names (the text index's id column is not indexed, so
// finding the row by id reads them all), by id for a row written otherwise.
func unindexIncident(ctx context.Context, tx *db.Tx, id string) error {
	if tx.Dialect() == db.SQLite {
		var row sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT search_rowid FROM incidents WHERE id = ?`, id).Scan(&row); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if row.Valid {
			_, err := tx.Exec(ctx, `DELETE FROM incident_search WHERE rowid = ?`, row.Int64)
			return err
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM incident_search WHERE id = ?`, id)
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
