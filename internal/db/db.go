// Package db opens the store (SQLite by default, PostgreSQL as the server
// option), applies the embedded migrations and hides the few differences
// between the two SQL dialects. Feature packages write plain SQL with `?`
// placeholders; the DB and Tx types rebind them for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// ErrNotFound is returned by store functions when a record does not exist.
var ErrNotFound = errors.New("not found")

// DB is the store handle. Reads go to a pool; writes go through Write, which
// on SQLite uses a separate pool of a single connection so that writers queue
// in Go instead of failing with "database is locked".
type DB struct {
	dialect Dialect
	read    *sql.DB
	write   *sql.DB
	// beforeCommit runs in every write transaction that touched incidents,
	// just before it commits (internal/stats keeps its aggregates so).
	beforeCommit []func(ctx context.Context, tx *Tx, incidents []string) error
	// onWrite runs in every write transaction that recorded revisions, just
	// before it commits (internal/account audits writes so).
	onWrite []func(ctx context.Context, tx *Tx) error
	// aroundCommit runs in every write transaction that touched incidents or
	// recorded revisions, after beforeCommit; what it returns wraps the commit (the facet index
	// of internal/report reads the change in the transaction and applies
	// it once the commit succeeds).
	aroundCommit []func(ctx context.Context, tx *Tx, incidents []string) (Finish, error)
	// readStmts and writeStmts keep SQLite's prepared statements across
	// queries and transactions (nil on PostgreSQL, whose driver keeps its
	// own): parsing a statement cost a list page or a save as much as
	// running it.
	readStmts, writeStmts *stmtCache
	// values holds what a feature keeps beside the store for every
	// transaction (SetValue).
	values sync.Map
}

// SetValue keeps v beside the store under key, for every transaction to
// read (Tx.Value): what a feature needs with the store but must not keep
// in it, such as the outbox's key for webhook secrets (internal/outbox
// Install). Set it where the store is opened; key is a feature's own type.
func (d *DB) SetValue(key, v any) { d.values.Store(key, v) }

// Value returns what SetValue kept under key, or nil.
func (d *DB) Value(key any) any {
	v, _ := d.values.Load(key)
	return v
}

// Finish wraps a transaction's commit: it must call commit once, and may
// hold a lock around it and act on its outcome.
type Finish func(commit func() error) error

// AroundCommit adds fn to what runs, inside the transaction, before a write
// that touched incidents or recorded revisions commits (after the
// BeforeCommit hooks); fn gets the touched incidents' ids (none, when the
// write changed other records) and returns the Finish that wraps the commit. A
// change kept outside the store (in memory) is applied so, only when the
// commit succeeds, and under a lock that keeps readers from seeing the
// store and the change apart.
func (d *DB) AroundCommit(fn func(ctx context.Context, tx *Tx, incidents []string) (Finish, error)) {
	d.aroundCommit = append(d.aroundCommit, fn)
}

// OnWrite adds fn to what runs, inside the transaction, before a write that
// recorded revisions commits.
func (d *DB) OnWrite(fn func(ctx context.Context, tx *Tx) error) {
	d.onWrite = append(d.onWrite, fn)
}

// BeforeCommit adds fn to what runs, inside the transaction, before a write
// that touched incidents commits; fn gets the touched incidents' ids.
func (d *DB) BeforeCommit(fn func(ctx context.Context, tx *Tx, incidents []string) error) {
	d.beforeCommit = append(d.beforeCommit, fn)
}

// IsPostgres reports whether dsn names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the store named by dsn: a postgres:// URL, or the path of a
// SQLite file (created with its folder when missing). It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var d *DB
	var err error
	if IsPostgres(dsn) {
		d, err = openPostgres(dsn)
	} else {
		d, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.write.PingContext(pingCtx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s store: %w", d.dialect, err)
	}
	return d, nil
}

func openPostgres(dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	pool.SetMaxOpenConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{dialect: Postgres, read: pool, write: pool}, nil
}

// sqlitePragmas are applied on every new connection, in this order:
// wait for locks instead of failing, write-ahead log so readers never block
// the writer, enforce foreign keys, and fsync at checkpoints only.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

func openSQLite(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite store: %w", err)
		}
	}
	read, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	// The writer takes its lock when the transaction begins (IMMEDIATE), so
	// a read inside a write transaction can never fail to upgrade its lock.
	write, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		read.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	return &DB{dialect: SQLite, read: read, write: write, readStmts: newStmtCache(read), writeStmts: newStmtCache(write)}, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.readStmts.close()
	d.writeStmts.close()
	err := d.read.Close()
	if d.write != d.read {
		err = errors.Join(err, d.write.Close())
	}
	return err
}

// Ping checks that the store answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// Query runs a read query.
func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := d.readStmts.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.read.QueryContext(ctx, rebind(d.dialect, q), args...)
}

// QueryRow runs a read query that returns at most one row.
func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := d.readStmts.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.read.QueryRowContext(ctx, rebind(d.dialect, q), args...)
}

// Querier is what read functions need: both *DB and *Tx satisfy it, so the
// same lookup serves a page view and a check inside a write.
type Querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Dialect() Dialect
}

// Dialect tells which SQL engine is behind the store.
func (d *DB) Dialect() Dialect { return d.dialect }

// Author says who makes a change and why; every write transaction carries
// one so that revisions can record it.
type Author struct {
	Who string
	Why string
}

// Write runs fn in one transaction: it commits when fn returns nil and rolls
// back otherwise, so a write happens completely or not at all.
func (d *DB) Write(ctx context.Context, author Author, fn func(tx *Tx) error) error {
	if author.Who == "" {
		return errors.New("write: the author of a change is required")
	}
	sqlTx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqlTx, db: d, shared: d.writeStmts, dialect: d.dialect, Author: author, Now: time.Now().UTC(), stmts: map[string]*sql.Stmt{},
		touched: map[string]bool{}}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	commit := sqlTx.Commit
	var ids []string
	if len(tx.touched) > 0 {
		ids = make([]string, 0, len(tx.touched))
		for id := range tx.touched {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, hook := range d.beforeCommit {
			if err := hook(ctx, tx, ids); err != nil {
				_ = sqlTx.Rollback()
				return err
			}
		}
	}
	if tx.Revisions > 0 || len(tx.touched) > 0 || tx.changed {
		// Servers keep what they computed while this count stays the same.
		if _, err := tx.Exec(ctx, `UPDATE store_changes SET n = n + 1 WHERE id = 1`); err != nil {
			_ = sqlTx.Rollback()
			return fmt.Errorf("count the change: %w", err)
		}
	}
	if len(ids) > 0 || tx.Revisions > 0 {
		for _, hook := range d.aroundCommit {
			finish, err := hook(ctx, tx, ids)
			if err != nil {
				_ = sqlTx.Rollback()
				return err
			}
			inner := commit
			commit = func() error { return finish(inner) }
		}
	}
	if tx.Revisions > 0 {
		for _, hook := range d.onWrite {
			if err := hook(ctx, tx); err != nil {
				_ = sqlTx.Rollback()
				return err
			}
		}
	}
	if err := commit(); err != nil {
		_ = sqlTx.Rollback() // a no-op once committed
		return fmt.Errorf("commit: %w", err)
	}
	if len(tx.unkept) > 0 {
		// In the background: the connection may already be the next
		// writer's, for as long as its transaction takes.
		go d.writeStmts.keep(context.WithoutCancel(ctx), tx.unkept)
	}
	return nil
}

// Tx is a write transaction with its author and a single clock reading, so
// every row written by one change carries the same time.
type Tx struct {
	tx      *sql.Tx
	db      *DB
	shared  *stmtCache // the write pool's statements, when it keeps them
	unkept  []string   // statements this transaction prepared that shared lacks
	dialect Dialect
	Author  Author
	Now     time.Time
	// stmts caches prepared statements: an import runs the same few
	// statements thousands of times, and SQLite would parse each anew.
	stmts map[string]*sql.Stmt
	// touched lists the incidents this transaction changed, directly or
	// through their harms, victims or attributions.
	touched map[string]bool
	// Revisions counts the revisions the transaction recorded.
	Revisions int
	stamp     string
	changed   bool
}

// MarkChanged says that the transaction changes data without recording
// revisions (a restore), so that every server drops what it computed.
func (t *Tx) MarkChanged() { t.changed = true }

// Changes is the count of writes that changed data (store_changes): what
// a server computed is still true while it stays the same.
func Changes(ctx context.Context, q Querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT n FROM store_changes WHERE id = 1`).Scan(&n)
	return n, err
}

// Stamp is Now as stored (Timestamp), formatted once per transaction.
func (t *Tx) Stamp() string {
	if t.stamp == "" {
		t.stamp = Timestamp(t.Now)
	}
	return t.stamp
}

// Created is the creation time of a new record: the one it carries (an
// imported record keeps its source's, such as a STIX object's created),
// else the transaction's.
func (t *Tx) Created(created time.Time) string {
	if created.IsZero() || created.After(t.Now) {
		return t.Stamp()
	}
	return Timestamp(created)
}

// Updated is the time of a record's last change as stored: for a new
// record, the one it carries (an imported record keeps its source's, not
// before its creation), else the transaction's.
func (t *Tx) Updated(exists bool, created, updated time.Time) string {
	if exists || updated.IsZero() || updated.After(t.Now) || updated.Before(created) {
		return t.Stamp()
	}
	return Timestamp(updated)
}

// Touch records that the incidents' figures may have changed.
func (t *Tx) Touch(incidentIDs ...string) {
	for _, id := range incidentIDs {
		if id != "" {
			t.touched[id] = true
		}
	}
}

func (t *Tx) Dialect() Dialect { return t.dialect }

// Value returns what SetValue kept beside the transaction's store, or nil.
func (t *Tx) Value(key any) any { return t.db.Value(key) }

func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.Prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.Prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.Prepare(ctx, q)
	if err != nil {
		// sql.Row carries its error only when made by database/sql; run the
		// query unprepared so the caller's Scan reports the same error.
		return t.tx.QueryRowContext(ctx, rebind(t.dialect, q), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecScript runs several statements at once, unprepared (migrations).
func (t *Tx) ExecScript(ctx context.Context, script string) error {
	_, err := t.tx.ExecContext(ctx, script)
	return err
}

// Prepare returns the transaction's prepared statement for q, preparing it
// on first use; statements are closed when the transaction ends.
func (t *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	var err error
	if shared := t.shared.kept(q); shared != nil {
		// The write pool's one connection has it prepared already.
		st = t.tx.StmtContext(ctx, shared)
	} else {
		st, err = t.tx.PrepareContext(ctx, rebind(t.dialect, q))
		if t.shared != nil {
			// The pool's connection is this transaction's until it ends:
			// the statement is kept for later transactions once it has.
			t.unkept = append(t.unkept, q)
		}
	}
	if err != nil {
		return nil, err
	}
	t.stmts[q] = st
	return st, nil
}

// Timestamp formats t the way the store keeps times: UTC RFC 3339 text, which
// sorts correctly in both engines.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// rebind turns `?` placeholders into PostgreSQL's `$1, $2, ...`, leaving
// question marks inside quoted literals alone.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Placeholders returns "?, ?, ?" for n arguments.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// ReplaceSet makes the rows of a link table for one owner exactly values:
// it deletes the owner's rows (unless the owner is new, so has none) and
// inserts one row per value. table and the column names come from code,
// never from input.
func ReplaceSet[T any](ctx context.Context, tx *Tx, existed bool, table, ownerCol, ownerID, valueCol string, values []T) error {
	if existed {
		if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE "+ownerCol+" = ?", ownerID); err != nil {
			return fmt.Errorf("replace %s: %w", table, err)
		}
	}
	for _, v := range values {
		q := "INSERT INTO " + table + " (" + ownerCol + ", " + valueCol + ") VALUES (?, ?)"
		if _, err := tx.Exec(ctx, q, ownerID, v); err != nil {
			return fmt.Errorf("replace %s: %w", table, err)
		}
	}
	return nil
}

// Column reads the first column of every row of a query.
func Column[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
