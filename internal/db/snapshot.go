package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A Snapshot is a read-only transaction that sees the store as it was when
// the snapshot began, whatever is written meanwhile: on SQLite one read
// transaction of the write-ahead log, on PostgreSQL a REPEATABLE READ
// transaction. A backup reads every table through one.
type Snapshot struct {
	tx      *sql.Tx
	dialect Dialect
}

// ReadSnapshot runs fn in a snapshot of the store.
func (d *DB) ReadSnapshot(ctx context.Context, fn func(s *Snapshot) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if d.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := d.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	s := &Snapshot{tx: tx, dialect: d.dialect}
	if d.dialect == SQLite {
		// SQLite takes its snapshot at the first read, not at BEGIN.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	err = fn(s)
	return errors.Join(err, tx.Rollback())
}

func (s *Snapshot) Dialect() Dialect { return s.dialect }

func (s *Snapshot) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.tx.QueryContext(ctx, rebind(s.dialect, q), args...)
}

func (s *Snapshot) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.tx.QueryRowContext(ctx, rebind(s.dialect, q), args...)
}
