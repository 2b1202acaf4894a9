package backup

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// ErrNotEmpty is returned when a restore would overwrite data.
var ErrNotEmpty = errors.New("the store is not empty")

// bookkeeping are tables the store fills by itself when it opens (the
// aggregates' state): they do not make a store non-empty.
var bookkeeping = []string{"stats_state"}

// RestoreOptions tune a restore.
type RestoreOptions struct {
	// Force replaces what a non-empty store holds.
	Force    bool
	Progress Progress
}

// ReadManifest reads and checks a backup's manifest.
func ReadManifest(zr *zip.Reader) (*Manifest, error) {
	f, err := zr.Open(manifestName)
	if err != nil {
		return nil, fmt.Errorf("not a harmtrace backup: %w", err)
	}
	defer f.Close()
	var m Manifest
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	switch {
	case m.Format != Format:
		return nil, fmt.Errorf("%s: format %q, not %q", manifestName, m.Format, Format)
	case m.FormatVersion > FormatVersion:
		return nil, fmt.Errorf("%s: format version %d is newer than this program's (%d): restore with a newer harmtrace",
			manifestName, m.FormatVersion, FormatVersion)
	case m.Migration > db.Latest():
		return nil, fmt.Errorf("the backup's schema (migration %d) is newer than this program's (%d): restore with a newer harmtrace",
			m.Migration, db.Latest())
	}
	return &m, nil
}

// Restore loads a backup into store, which must be empty unless
// opts.Force: it brings the schema to the backup's version, loads every
// table in one transaction (so a failed restore leaves nothing), then
// applies the migrations that came after the backup.
func Restore(ctx context.Context, store *db.DB, zr *zip.Reader, opts RestoreOptions) (*Manifest, error) {
	m, err := ReadManifest(zr)
	if err != nil {
		return nil, err
	}
	current, err := store.Version(ctx, store)
	if err != nil {
		return nil, err
	}
	if current > m.Migration {
		return nil, fmt.Errorf("restore: the store's schema (migration %d) is newer than the backup's (%d): restore into a new, empty store",
			current, m.Migration)
	}
	if _, err := store.MigrateTo(ctx, m.Migration); err != nil {
		return nil, err
	}
	ts, err := tables(ctx, store)
	if err != nil {
		return nil, err
	}
	if err := matchSchema(m, ts); err != nil {
		return nil, err
	}
	full, err := nonEmpty(ctx, store, ts)
	if err != nil {
		return nil, err
	}
	if len(full) > 0 && !opts.Force {
		return nil, fmt.Errorf("restore: %w (%s hold rows): restore into an empty store, or replace its data with --force",
			ErrNotEmpty, strings.Join(full, ", "))
	}
	tick := func(int) {}
	if opts.Progress != nil {
		tick = opts.Progress(m.Rows())
	}
	byName := map[string]table{}
	for _, t := range ts {
		byName[t.name] = t
	}
	err = store.Write(ctx, db.Author{Who: "harmtrace restore", Why: "backup of " + m.Created}, func(tx *db.Tx) error {
		if err := wipe(ctx, tx, ts); err != nil {
			return err
		}
		for _, t := range ts { // the target's order satisfies its foreign keys
			entry := m.Tables[slices.IndexFunc(m.Tables, func(e Table) bool { return e.Name == t.name })]
			if err := loadTable(ctx, tx, zr, entry, byName[t.name], tick); err != nil {
				return fmt.Errorf("restore: table %s: %w", t.name, err)
			}
		}
		return resetSequences(ctx, tx, ts)
	})
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("restore: migrations after the backup's: %w", err)
	}
	// Every server on the store drops what it computed from the data replaced.
	err = store.Write(ctx, db.Author{Who: "harmtrace restore"}, func(tx *db.Tx) error { tx.MarkChanged(); return nil })
	if err != nil {
		return nil, err
	}
	return m, nil
}

// matchSchema checks that the backup holds exactly the store's tables and
// columns, as it must at the same migration.
func matchSchema(m *Manifest, ts []table) error {
	var problems []string
	inBackup := map[string]Table{}
	for _, e := range m.Tables {
		inBackup[e.Name] = e
	}
	for _, t := range ts {
		e, ok := inBackup[t.name]
		if !ok {
			problems = append(problems, "table "+t.name+" is not in the backup")
			continue
		}
		delete(inBackup, t.name)
		var want, got []string
		for _, c := range t.columns {
			want = append(want, c.Name)
		}
		for _, c := range e.Columns {
			got = append(got, c.Name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			problems = append(problems, fmt.Sprintf("table %s: the store has columns %v, the backup %v", t.name, want, got))
		}
	}
	for name := range inBackup {
		problems = append(problems, "table "+name+" of the backup is not in the store")
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("restore: the backup does not match the schema at migration %d: %s", m.Migration, strings.Join(problems, "; "))
	}
	return nil
}

// nonEmpty names the tables that hold rows, bookkeeping apart.
func nonEmpty(ctx context.Context, q db.Querier, ts []table) ([]string, error) {
	var full []string
	for _, t := range ts {
		if slices.Contains(bookkeeping, t.name) {
			continue
		}
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+quoteIdent(t.name)+` LIMIT 1) x`).Scan(&n); err != nil {
			return nil, fmt.Errorf("restore: count %s: %w", t.name, err)
		}
		if n > 0 {
			full = append(full, t.name)
		}
	}
	return full, nil
}

// wipe empties every table, the append-only ones too: their guarding
// triggers are set aside for the transaction (PostgreSQL disables them,
// SQLite drops and recreates them).
func wipe(ctx context.Context, tx *db.Tx, ts []table) error {
	if tx.Dialect() == db.Postgres {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = quoteIdent(t.name)
			if _, err := tx.Exec(ctx, `ALTER TABLE `+names[i]+` DISABLE TRIGGER USER`); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
			return fmt.Errorf("restore: empty the store: %w", err)
		}
		for _, n := range names {
			if _, err := tx.Exec(ctx, `ALTER TABLE `+n+` ENABLE TRIGGER USER`); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
		}
		return nil
	}
	// Rows may come in any order; SQLite checks the foreign keys at commit.
	if _, err := tx.Exec(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	triggers, err := tx.Query(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	var names, scripts []string
	for triggers.Next() {
		var name, sql string
		if err := triggers.Scan(&name, &sql); err != nil {
			triggers.Close()
			return fmt.Errorf("restore: %w", err)
		}
		names, scripts = append(names, name), append(scripts, sql)
	}
	triggers.Close()
	for _, n := range names {
		if err := tx.ExecScript(ctx, `DROP TRIGGER `+quoteIdent(n)); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	for _, t := range ts {
		if err := tx.ExecScript(ctx, `DELETE FROM `+quoteIdent(t.name)); err != nil {
			return fmt.Errorf("restore: empty %s: %w", t.name, err)
		}
	}
	if err := tx.ExecScript(ctx, `DELETE FROM sqlite_sequence`); err != nil && !strings.Contains(err.Error(), "no such table") {
		return fmt.Errorf("restore: %w", err)
	}
	for _, s := range scripts {
		if err := tx.ExecScript(ctx, s); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return nil
}

// maxParams keeps a statement within both engines' limit on parameters.
const maxParams = 30000

func loadTable(ctx context.Context, tx *db.Tx, zr *zip.Reader, entry Table, t table, tick func(int)) error {
	f, err := zr.Open(entry.File)
	if err != nil {
		return err
	}
	defer f.Close()
	sum := sha256.New()
	dec := json.NewDecoder(bufio.NewReaderSize(io.TeeReader(f, sum), 1<<16))
	dec.UseNumber()
	targets := make([]string, len(entry.Columns))
	cols := make([]string, len(entry.Columns))
	for i, c := range entry.Columns {
		targets[i] = kindOf(t, c.Name)
		cols[i] = quoteIdent(c.Name)
	}
	batch := max(1, min(500, maxParams/max(1, len(cols))))
	row := "(" + db.Placeholders(len(cols)) + ")"
	insert := func(args []any) error {
		n := len(args) / len(cols)
		q := "INSERT INTO " + quoteIdent(t.name) + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.Repeat(row+", ", n-1) + row
		_, err := tx.Exec(ctx, q, args...)
		return err
	}
	args := make([]any, 0, batch*len(cols))
	var rows int64
	for {
		var vals []any
		if err := dec.Decode(&vals); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("%s, row %d: %w", entry.File, rows+1, err)
		}
		if len(vals) != len(cols) {
			return fmt.Errorf("%s, row %d: %d values for %d columns", entry.File, rows+1, len(vals), len(cols))
		}
		for i, v := range vals {
			x, err := decodeValue(v, entry.Columns[i].Type, targets[i])
			if err != nil {
				return fmt.Errorf("%s, row %d, column %s: %w", entry.File, rows+1, entry.Columns[i].Name, err)
			}
			args = append(args, x)
		}
		rows++
		if len(args) == batch*len(cols) {
			if err := insert(args); err != nil {
				return err
			}
			tick(batch)
			args = args[:0]
		}
	}
	if len(args) > 0 {
		if err := insert(args); err != nil {
			return err
		}
		tick(len(args) / len(cols))
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != entry.SHA256 {
		return fmt.Errorf("%s: checksum %s, the manifest says %s: the file is damaged", entry.File, got, entry.SHA256)
	}
	if rows != entry.Rows {
		return fmt.Errorf("%s: %d rows, the manifest says %d", entry.File, rows, entry.Rows)
	}
	return nil
}

// resetSequences moves PostgreSQL's identity sequences past the restored
// ids (SQLite's AUTOINCREMENT follows the inserted ids by itself).
func resetSequences(ctx context.Context, tx *db.Tx, ts []table) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	for _, t := range ts {
		if t.identity == "" {
			continue
		}
		q := `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(` + quoteIdent(t.identity) + `), 0) + 1, false) FROM ` + quoteIdent(t.name)
		if _, err := tx.Exec(ctx, q, quoteIdent(t.name), t.identity); err != nil {
			return fmt.Errorf("restore: sequence of %s: %w", t.name, err)
		}
	}
	return nil
}
