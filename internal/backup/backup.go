// Package backup writes a consistent snapshot of every table of the store
// to one file and loads it back into an empty store of either engine, so a
// backup taken on SQLite restores into PostgreSQL and back. The tables are
// read from the schema, not from a list, so a table added by a migration is
// in the next backup without a change here. The format is documented in
// docs/backup.md: a zip file of a manifest and one JSON-lines file per
// table, and the evidence locker's encrypted files (internal/evidence),
// which live in the data directory. The keys of victims' cases, of the
// evidence and the custody log's signing key live apart (internal/keys)
// and are not in a backup.
package backup

import (
	"archive/zip"
	"bufio"
	"compress/flate"
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
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/evidence"
)

// Format names the kind of file in its manifest; FormatVersion changes
// when a reader of the previous version could not read the new one.
// Version 2 adds files (the evidence locker's); a backup without files is
// written as version 1, which older programs restore.
const (
	Format        = "harmtrace-backup"
	FormatVersion = 2
	manifestName  = "manifest.json"
	filesVersion  = 2
)

// Manifest describes a backup: where it comes from, the schema version of
// its rows, and each table with its columns, row count and checksum.
type Manifest struct {
	Format        string  `json:"format"`
	FormatVersion int     `json:"format_version"`
	Created       string  `json:"created"`
	Engine        string  `json:"engine"`
	Migration     int     `json:"migration"`
	Program       string  `json:"program,omitempty"`
	Tables        []Table `json:"tables"`
	// Files are the files of the data directory the rows point at: the
	// evidence locker's, encrypted, as they are on disk.
	Files []File `json:"files,omitempty"`
	// MissingFiles are files the rows point at that were not found when
	// the backup was taken (paths relative to the data directory).
	MissingFiles []string `json:"missing_files,omitempty"`
	// NotIncluded says what the backup leaves out and must be kept apart.
	NotIncluded []string `json:"not_included"`
}

// Table is one table of a backup, listed in an order that satisfies the
// foreign keys.
type Table struct {
	Name    string   `json:"name"`
	File    string   `json:"file"`
	Columns []Column `json:"columns"`
	Rows    int64    `json:"rows"`
	SHA256  string   `json:"sha256"`
}

// File is one file of the data directory in a backup.
type File struct {
	// Name is the file in the zip: files/ followed by Path.
	Name string `json:"name"`
	// Path is where it goes, relative to the data directory, with
	// slashes: evidence/<case or incident>/<name>.
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Bytes adds up the sizes of the files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Rows counts the rows of every table.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Progress is told how many rows there are in all, and returns what is
// told each time some are done; nil draws nothing.
type Progress func(total int64) func(n int)

// Options tune a backup.
type Options struct {
	Program string // the program and version that writes it
	// DataDir is the data directory whose evidence files the backup
	// holds; without it they are listed as missing.
	DataDir     string
	NotIncluded []string // what the caller knows to be kept elsewhere
	Progress    Progress
}

// Write writes a backup of the whole store to w, read in one snapshot so
// that it is consistent while the store is in use.
func Write(ctx context.Context, store *db.DB, w io.Writer, opts Options) (*Manifest, error) {
	m := &Manifest{Format: Format, FormatVersion: FormatVersion, Created: db.Timestamp(time.Now()),
		Engine: store.Dialect().String(), Program: opts.Program, NotIncluded: opts.NotIncluded}
	err := store.ReadSnapshot(ctx, func(s *db.Snapshot) error {
		var err error
		if m.Migration, err = store.Version(ctx, s); err != nil {
			return err
		}
		ts, err := tables(ctx, s)
		if err != nil {
			return err
		}
		tick := func(int) {}
		if opts.Progress != nil {
			var total int64
			for _, t := range ts {
				var n int64
				if err := s.QueryRow(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&n); err != nil {
					return fmt.Errorf("backup: count %s: %w", t.name, err)
				}
				total += n
			}
			tick = opts.Progress(total)
		}
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		for _, t := range ts {
			entry, err := writeTable(ctx, s, zw, t, tick)
			if err != nil {
				return fmt.Errorf("backup: table %s: %w", t.name, err)
			}
			m.Tables = append(m.Tables, entry)
		}
		if err := writeFiles(ctx, s, zw, ts, opts.DataDir, m); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if len(m.Files) > 0 {
			m.FormatVersion = filesVersion
		} else {
			m.FormatVersion = 1
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: manifestName, Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func writeTable(ctx context.Context, s *db.Snapshot, zw *zip.Writer, t table, tick func(int)) (Table, error) {
	entry := Table{Name: t.name, File: "tables/" + t.name + ".jsonl", Columns: t.columns}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: entry.File, Method: zip.Deflate, Modified: time.Now()})
	if err != nil {
		return entry, err
	}
	sum := sha256.New()
	out := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<16)
	rows, err := s.Query(ctx, selectRows(s.Dialect(), t))
	if err != nil {
		return entry, err
	}
	defer rows.Close()
	vals := make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	line := make([]byte, 0, 1024)
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return entry, err
		}
		line = append(line[:0], '[')
		for i, v := range vals {
			if i > 0 {
				line = append(line, ',')
			}
			if line, err = appendValue(line, t.columns[i].Type, v); err != nil {
				return entry, fmt.Errorf("column %s: %w", t.columns[i].Name, err)
			}
		}
		line = append(line, ']', '\n')
		if _, err := out.Write(line); err != nil {
			return entry, err
		}
		entry.Rows++
		if entry.Rows%1000 == 0 {
			tick(1000)
		}
	}
	if err := rows.Err(); err != nil {
		return entry, err
	}
	tick(int(entry.Rows % 1000))
	if err := out.Flush(); err != nil {
		return entry, err
	}
	entry.SHA256 = hex.EncodeToString(sum.Sum(nil))
	return entry, nil
}

// writeFiles adds the evidence files the snapshot's items point at,
// streamed as they are on disk (ciphertext, stored without compression),
// each with its size and SHA-256 in the manifest. The files are named by
// their content and never change once written, so the snapshot's list
// reads the same files whatever is written meanwhile; a file erased since
// is listed as missing.
func writeFiles(ctx context.Context, s *db.Snapshot, zw *zip.Writer, ts []table, dataDir string, m *Manifest) error {
	if !slices.ContainsFunc(ts, func(t table) bool { return t.name == "evidence_items" }) {
		return nil // a store before the evidence locker's migration
	}
	paths, err := evidence.Files(ctx, s)
	if err != nil {
		return fmt.Errorf("evidence files: %w", err)
	}
	for _, p := range paths {
		rel := path.Join("evidence", p)
		if dataDir == "" {
			m.MissingFiles = append(m.MissingFiles, rel)
			continue
		}
		f, err := os.Open(filepath.Join(evidence.DirOf(dataDir), filepath.FromSlash(p)))
		if errors.Is(err, os.ErrNotExist) {
			m.MissingFiles = append(m.MissingFiles, rel)
			continue
		}
		if err != nil {
			return err
		}
		entry := File{Name: "files/" + rel, Path: rel}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: entry.Name, Method: zip.Store, Modified: time.Now()})
		if err == nil {
			sum := sha256.New()
			entry.Size, err = io.Copy(io.MultiWriter(w, sum), f)
			entry.SHA256 = hex.EncodeToString(sum.Sum(nil))
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		m.Files = append(m.Files, entry)
	}
	return nil
}

// selectRows reads a table's columns in a stable order, the same on both
// engines: by primary key (PostgreSQL's text compared byte by byte, as
// SQLite does), else by every column.
func selectRows(d db.Dialect, t table) string {
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = quoteIdent(c.Name)
		if c.cast {
			cols[i] += "::text"
		}
	}
	order := t.key
	if len(order) == 0 {
		for _, c := range t.columns {
			order = append(order, c.Name)
		}
	}
	by := make([]string, len(order))
	for i, name := range order {
		by[i] = quoteIdent(name)
		if d == db.Postgres && kindOf(t, name) == Text {
			by[i] += ` COLLATE "C"`
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteIdent(t.name) + " ORDER BY " + strings.Join(by, ", ")
}

func kindOf(t table, column string) string {
	for _, c := range t.columns {
		if c.Name == column {
			return c.Type
		}
	}
	return ""
}
