package db

import (
	"context"
	"database/sql"
	"fmt"
)

// A Session is one connection of the read pool held for a series of
// queries that share a temporary table: a report selects its incidents
// once into the table, then every breakdown joins it, instead of each
// breakdown evaluating the filter over every incident again.
type Session struct {
	conn    *sql.Conn
	dialect Dialect
}

// WithSession runs fn on a connection of its own, and drops the temporary
// tables fn names in temps when it returns, so the connection goes back to
// the pool as it came.
func (d *DB) WithSession(ctx context.Context, temps []string, fn func(s *Session) error) error {
	conn, err := d.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	defer conn.Close()
	s := &Session{conn: conn, dialect: d.dialect}
	err = fn(s)
	for _, t := range temps {
		// A fresh context: the caller's may be cancelled, and a table left
		// behind would trouble the next user of the connection.
		if _, dropErr := conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+t); dropErr != nil && err == nil {
			err = fmt.Errorf("session: drop %s: %w", t, dropErr)
		}
	}
	return err
}

// Exec runs a statement: creating and filling temporary tables.
func (s *Session) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.conn.ExecContext(ctx, rebind(s.dialect, q), args...)
}

// Query runs a read query.
func (s *Session) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.conn.QueryContext(ctx, rebind(s.dialect, q), args...)
}

// QueryRow runs a read query that returns at most one row.
func (s *Session) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.conn.QueryRowContext(ctx, rebind(s.dialect, q), args...)
}

// Dialect tells which SQL engine is behind the session.
func (s *Session) Dialect() Dialect { return s.dialect }
