// Package dbtest gives every test a fresh, migrated store: a SQLite file in
// the test's temporary folder, and a new database on the PostgreSQL server
// named by HARMTRACE_TEST_POSTGRES (the test command starts one). Where no
// server is configured, PostgreSQL tests skip with a message, except under
// CI=true, where they fail: CI must run both.
package dbtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/retarget"
	"github.com/harmtrace/harmtrace/internal/stats"
)

// EnvPostgres names the variable holding the DSN of a PostgreSQL server on
// which tests may create and drop databases.
const EnvPostgres = "HARMTRACE_TEST_POSTGRES"

// Each runs fn once on a fresh SQLite store and once on a fresh PostgreSQL
// store, as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, store *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachWithFiles is Each for tests that look into the store's files: fn
// also gets a function that lists them (Files).
func EachWithFiles(t *testing.T, fn func(t *testing.T, store *db.DB, files func() []string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := SQLiteDSN(t)
		store := Open(t, path)
		fn(t, store, func() []string { return Files(t, store, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		store := Postgres(t)
		fn(t, store, func() []string { return Files(t, store, "") })
	})
}

// SQLite returns a fresh migrated SQLite store, closed when the test ends.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "harmtrace.db"))
}

// SQLiteDSN returns the path of a fresh, not yet opened SQLite store.
func SQLiteDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "harmtrace.db")
}

var dbCounter atomic.Int64

// PostgresDSN creates a new empty database on the test server and returns
// its DSN; the database is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		msg := EnvPostgres + " is not set: PostgreSQL tests need a server (scripts/test.sh starts one)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	name := fmt.Sprintf("harmtrace_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, dbCounter.Add(1))
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open test server: %v", err)
	}
	defer adminDB.Close()
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		adminDB, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer adminDB.Close()
		_, _ = adminDB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres returns a fresh migrated PostgreSQL store, closed and dropped when
// the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return open(t, PostgresDSN(t))
}

func open(t testing.TB, dsn string) *db.DB {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", store.Dialect(), strings.TrimSpace(err.Error()))
	}
	if err := stats.Install(ctx, store); err != nil {
		t.Fatalf("stats: %v", err)
	}
	account.Install(store)
	retarget.Install(store, 0)
	return store
}

// Open opens and migrates the store at dsn (a path or a postgres:// URL),
// closed when the test ends.
func Open(t testing.TB, dsn string) *db.DB {
	t.Helper()
	return open(t, dsn)
}

// Files lists the files that hold the store's data, for tests that look
// for what must never be there in the clear: on SQLite the database at
// path and its write-ahead log (path*), on PostgreSQL the database's files
// and the WAL, after a CHECKPOINT, when the server's data directory can be
// read from here (the test skips otherwise, and fails under CI=true).
func Files(t testing.TB, store *db.DB, path string) []string {
	t.Helper()
	if store.Dialect() == db.SQLite {
		out, _ := filepath.Glob(path + "*") // harmtrace.db, -wal, -shm
		return out
	}
	ctx := context.Background()
	var dir string
	var oid int64
	if err := store.QueryRow(ctx, `SHOW data_directory`).Scan(&dir); err != nil {
		t.Skipf("the server's data directory is not known here: %v", err)
	}
	_ = store.QueryRow(ctx, `SELECT oid FROM pg_database WHERE datname = current_database()`).Scan(&oid)
	if rows, err := store.Query(ctx, `CHECKPOINT`); err == nil {
		rows.Close() // the pages and the WAL on disk hold what was written
	}
	var out []string
	for _, sub := range []string{filepath.Join("base", fmt.Sprint(oid)), "pg_wal"} {
		_ = filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	if len(out) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot read the PostgreSQL data directory %s", dir)
		}
		t.Skipf("cannot read the PostgreSQL data directory %s from this user", dir)
	}
	return out
}

// NotInFiles fails the test for each of secrets found in one of files.
func NotInFiles(t testing.TB, files []string, secrets ...string) {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("no store file to read")
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a file the server removed meanwhile
		}
		for _, secret := range secrets {
			if secret != "" && bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q", p, secret)
			}
		}
	}
}
