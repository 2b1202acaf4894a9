package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// The kinds of values a backup keeps, whatever each engine calls them.
const (
	Text    = "text"
	Integer = "integer"
	Real    = "real"
	Boolean = "boolean"
	Blob    = "blob"
)

// Column is one column of a table as the backup keeps it.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// cast reads the column as text (PostgreSQL's json and jsonb).
	cast bool
}

// table is a table of the store as its schema describes it.
type table struct {
	name     string
	columns  []Column
	key      []string // primary key columns, in order
	refs     []string // tables its foreign keys point at
	virtual  bool     // an SQLite virtual table (full-text search)
	identity string   // PostgreSQL: the column its identity sequence fills
}

// skipped reports whether a table is left out of backups: the migrations'
// bookkeeping (the engines name their migration files differently, and the
// manifest keeps the version), what belongs to the running servers rather
// than to the data (the count of changes, which a restore moves on instead,
// and the recent failed sign-ins), and SQLite's own tables.
func skipped(name string) bool {
	switch name {
	case "schema_migrations", "store_changes", "limiter_failures":
		return true
	}
	return strings.HasPrefix(name, "sqlite_")
}

// tables reads the schema: every table of the store but the skipped ones,
// in an order that satisfies their foreign keys (a table after those it
// points at; otherwise by name).
func tables(ctx context.Context, q db.Querier) ([]table, error) {
	var out []table
	var err error
	if q.Dialect() == db.Postgres {
		out, err = postgresTables(ctx, q)
	} else {
		out, err = sqliteTables(ctx, q)
	}
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return sortByReferences(out), nil
}

func sqliteTables(ctx context.Context, q db.Querier) ([]table, error) {
	// table_list says which tables are virtual and which are the shadow
	// tables that keep a virtual table's data (restored through it).
	names, err := db.Column[string](ctx, q, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') ORDER BY name`)
	if err != nil {
		return nil, err
	}
	virtual, err := db.Column[string](ctx, q, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'virtual'`)
	if err != nil {
		return nil, err
	}
	var out []table
	for _, name := range names {
		if skipped(name) {
			continue
		}
		t := table{name: name}
		for _, v := range virtual {
			t.virtual = t.virtual || v == name
		}
		if err := sqliteColumns(ctx, q, &t); err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		if t.refs, err = db.Column[string](ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name); err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func sqliteColumns(ctx context.Context, q db.Querier, t *table) error {
	rows, err := q.Query(ctx, `SELECT name, type, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`, t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	keys := map[int]string{}
	for rows.Next() {
		var name, decl string
		var pk, hidden int
		if err := rows.Scan(&name, &decl, &pk, &hidden); err != nil {
			return err
		}
		if hidden != 0 { // a virtual table's hidden column, or a generated one
			continue
		}
		kind, err := sqliteKind(decl, t.virtual)
		if err != nil {
			return fmt.Errorf("column %s: %w", name, err)
		}
		t.columns = append(t.columns, Column{Name: name, Type: kind})
		if pk > 0 {
			keys[pk] = name
		}
	}
	for i := 1; i <= len(keys); i++ {
		t.key = append(t.key, keys[i])
	}
	return rows.Err()
}

// sqliteKind maps a declared type by SQLite's affinity rules, BOOLEAN
// apart (SQLite keeps it as 0 and 1). A virtual table's undeclared
// columns hold text.
func sqliteKind(decl string, virtual bool) (string, error) {
	d := strings.ToUpper(decl)
	switch {
	case d == "BOOLEAN" || d == "BOOL":
		return Boolean, nil
	case strings.Contains(d, "INT"):
		return Integer, nil
	case strings.Contains(d, "CHAR") || strings.Contains(d, "CLOB") || strings.Contains(d, "TEXT"), d == "" && virtual:
		return Text, nil
	case strings.Contains(d, "BLOB"):
		return Blob, nil
	case strings.Contains(d, "REAL") || strings.Contains(d, "FLOA") || strings.Contains(d, "DOUB"):
		return Real, nil
	}
	return "", fmt.Errorf("type %q has no place in a backup yet (internal/backup/schema.go)", decl)
}

func postgresTables(ctx context.Context, q db.Querier) ([]table, error) {
	names, err := db.Column[string](ctx, q, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	var out []table
	for _, name := range names {
		if skipped(name) {
			continue
		}
		t := table{name: name}
		if err := postgresColumns(ctx, q, &t); err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		if t.key, err = db.Column[string](ctx, q, `SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indrelid = to_regclass(?) AND i.indisprimary
			ORDER BY array_position(i.indkey, a.attnum)`, quoteIdent(name)); err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		if t.refs, err = db.Column[string](ctx, q, `SELECT DISTINCT c.confrelid::regclass::text FROM pg_constraint c
			WHERE c.conrelid = to_regclass(?) AND c.contype = 'f'`, quoteIdent(name)); err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		for i, r := range t.refs {
			t.refs[i] = strings.Trim(r, `"`)
		}
		out = append(out, t)
	}
	return out, nil
}

func postgresColumns(ctx context.Context, q db.Querier, t *table) error {
	rows, err := q.Query(ctx, `SELECT column_name, data_type, is_generated, is_identity FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ, generated, identity string
		if err := rows.Scan(&name, &typ, &generated, &identity); err != nil {
			return err
		}
		if generated == "ALWAYS" { // computed from the others (the search vector)
			continue
		}
		c := Column{Name: name}
		switch typ {
		case "text", "character varying", "character":
			c.Type = Text
		case "json", "jsonb":
			c.Type, c.cast = Text, true
		case "integer", "bigint", "smallint":
			c.Type = Integer
		case "boolean":
			c.Type = Boolean
		case "real", "double precision":
			c.Type = Real
		case "bytea":
			c.Type = Blob
		default:
			return fmt.Errorf("column %s: type %q has no place in a backup yet (internal/backup/schema.go)", name, typ)
		}
		if identity == "YES" {
			t.identity = name
		}
		t.columns = append(t.columns, c)
	}
	return rows.Err()
}

// sortByReferences orders tables so that each comes after the tables its
// foreign keys point at, by name otherwise. A reference to itself or a
// cycle does not hold a table back (SQLite defers its checks; the schema
// has neither).
func sortByReferences(in []table) []table {
	sort.Slice(in, func(i, j int) bool { return in[i].name < in[j].name })
	placed := map[string]bool{}
	var out []table
	for len(out) < len(in) {
		progressed := false
		for _, t := range in {
			if placed[t.name] {
				continue
			}
			ready := true
			for _, r := range t.refs {
				if r != t.name && !placed[r] && has(in, r) {
					ready = false
				}
			}
			if ready {
				placed[t.name] = true
				out = append(out, t)
				progressed = true
			}
		}
		if !progressed { // a cycle: take the rest by name
			for _, t := range in {
				if !placed[t.name] {
					placed[t.name] = true
					out = append(out, t)
				}
			}
		}
	}
	return out
}

func has(ts []table, name string) bool {
	for _, t := range ts {
		if t.name == name {
			return true
		}
	}
	return false
}

// quoteIdent quotes a table or column name read from the schema.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
