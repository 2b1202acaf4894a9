package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		n, err := store.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second migrate applied %d migrations, want 0", n)
		}
		pending, err := store.Pending(context.Background())
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending = %v, %v; want none", pending, err)
		}
	})
}

func TestWriteRollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO sources (id, title, kind, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?)`, "source--1", "t", "news", "x", "x")
			if err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		var n int
		if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM sources`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d sources after a rolled-back write, want 0", n)
		}
	})
}

func TestWriteNeedsAnAuthor(t *testing.T) {
	store := dbtest.SQLite(t)
	err := store.Write(context.Background(), db.Author{}, func(tx *db.Tx) error { return nil })
	if err == nil {
		t.Fatal("a write without an author was accepted")
	}
}

// TestHistoryIsAppendOnly: the store refuses to change or delete a
// revision or an audit entry, on both engines, while appending works.
func TestHistoryIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO revisions (record_kind, record_id, action, author, reason, changes, created_at)
				VALUES ('source', 'source--1', 'create', 'test', '', '[]', 'x')`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action) VALUES ('x', 'test', 'write')`)
			return err
		})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		for _, q := range []string{`UPDATE revisions SET reason = 'rewritten'`, `DELETE FROM revisions`,
			`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`} {
			err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, q)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want a refusal", q, err)
			}
		}
		var n int
		if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM revisions WHERE reason = ''`).Scan(&n); err != nil || n != 1 {
			t.Errorf("the revision changed: %d, %v", n, err)
		}
	})
}
