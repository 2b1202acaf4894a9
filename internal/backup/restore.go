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
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// ErrNotEmpty is returned when a restore would overwrite data.
var ErrNotEmpty = errors.New("the store is not empty")

// ErrFileExists is returned when a restore would replace a file of the
// data directory by a different one.
var ErrFileExists = errors.New("a different file is already there")

// bookkeeping are tables the store fills by itself when it opens (the
// aggregates' state): they do not make a store non-empty.
var bookkeeping = []string{"stats_state"}

// RestoreOptions tune a restore.
type RestoreOptions struct {
	// Force replaces what a non-empty store holds.
	Force    bool
	Progress Progress
	// DataDir is the data directory the backup's files go to (under
	// evidence/); required when the backup holds files.
	DataDir string
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
	// The files are checked and written beside their places before the
	// rows are loaded, and put in place only once the rows are in.
	files, err := stageFiles(zr, m, opts.DataDir, opts.Force)
	if err != nil {
		return nil, err
	}
	defer files.discard()
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
	if err := files.commit(); err != nil {
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

// staged are a backup's files written to temporary files beside where
// they go.
type staged []struct{ tmp, final string }

// commit moves the staged files into place.
func (st *staged) commit() error {
	for len(*st) > 0 {
		f := (*st)[0]
		if err := os.Rename(f.tmp, f.final); err != nil {
			return fmt.Errorf("restore: the rows are restored, but not every file: %w", err)
		}
		*st = (*st)[1:]
	}
	return nil
}

// discard removes what was staged and not committed.
func (st *staged) discard() {
	for _, f := range *st {
		_ = os.Remove(f.tmp)
	}
	*st = nil
}

// filePath checks a file's path in the manifest, evidence/<scope>/<name>
// and nothing that could leave the data directory, and returns where it
// goes under dataDir.
func filePath(dataDir string, f File) (string, error) {
	parts := strings.Split(f.Path, "/")
	ok := len(parts) == 3 && parts[0] == "evidence" && f.Name == "files/"+f.Path
	for _, p := range parts {
		ok = ok && p != "" && p == path.Clean(p) && !strings.HasPrefix(p, ".") && !strings.ContainsAny(p, `\:`) && filepath.IsLocal(p)
	}
	if !ok {
		return "", fmt.Errorf("restore: %s: the file %q (%q) is not an evidence file's path", manifestName, f.Path, f.Name)
	}
	return filepath.Join(dataDir, filepath.FromSlash(f.Path)), nil
}

// stageFiles checks the backup's files against the data directory (a
// different file at the same place is refused unless force; the same
// file is left as it is), then copies each from the backup beside its
// place, checking its size and SHA-256.
func stageFiles(zr *zip.Reader, m *Manifest, dataDir string, force bool) (st staged, err error) {
	if len(m.Files) == 0 {
		return nil, nil
	}
	if dataDir == "" {
		return nil, fmt.Errorf("restore: the backup holds %d evidence files: give the data directory they go to", len(m.Files))
	}
	var todo []File
	var finals, conflicts []string
	for _, f := range m.Files {
		final, err := filePath(dataDir, f)
		if err != nil {
			return nil, err
		}
		sum, err := fileSum(final)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("restore: %w", err)
		case sum == f.SHA256:
			continue // already there, the same
		case !force:
			conflicts = append(conflicts, final)
			continue
		}
		todo, finals = append(todo, f), append(finals, final)
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("restore: %w at %s: restore into an empty data directory, or replace them with --force",
			ErrFileExists, strings.Join(conflicts, ", "))
	}
	defer func() {
		if err != nil {
			st.discard()
		}
	}()
	for i, f := range todo {
		tmp, err := stageFile(zr, f, finals[i])
		if tmp != "" {
			st = append(st, struct{ tmp, final string }{tmp, finals[i]})
		}
		if err != nil {
			return st, fmt.Errorf("restore: %s: %w", f.Name, err)
		}
	}
	return st, nil
}

func stageFile(zr *zip.Reader, f File, final string) (string, error) {
	in, err := zr.Open(f.Name)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return "", err
	}
	out, err := os.CreateTemp(filepath.Dir(final), ".restore-*")
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, sum), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out.Name(), err
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != f.SHA256 || n != f.Size {
		return out.Name(), fmt.Errorf("checksum %s (%d bytes), the manifest says %s (%d bytes): the file is damaged", got, n, f.SHA256, f.Size)
	}
	return out.Name(), nil
}

// fileSum is the SHA-256 of the file at p.
func fileSum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
