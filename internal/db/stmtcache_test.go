package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// TestKeptStatements: the statements a SQLite store keeps prepared answer
// as unprepared ones do (and PostgreSQL, which keeps none, answers alike): under concurrent readers that query while they
// read, inside transactions after an earlier one prepared them, when a
// caller's context was cancelled, past the cache's bound, and after a
// rolled-back transaction.
func TestKeptStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) { keptStatements(t, store) })
}

func keptStatements(t *testing.T, store *db.DB) {
	ctx := context.Background()
	if err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		return tx.ExecScript(ctx, `CREATE TABLE scratch (id TEXT PRIMARY KEY, email TEXT NOT NULL)`)
	}); err != nil {
		t.Fatal(err)
	}
	write := func(title string) error {
		return store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO scratch (id, email) VALUES (?, ?)`,
				"user--"+title, title+"@example.org")
			return err
		})
	}
	count := func(q db.Querier) int {
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM scratch WHERE email LIKE ?`, "%@example.org").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 5 {
		if err := write(fmt.Sprint("w", i)); err != nil {
			t.Fatal(err)
		}
		if got := count(store); got != i+1 {
			t.Fatalf("after write %d: %d users, want %d", i, got, i+1)
		}
	}
	// A rolled-back write leaves nothing, and the next one still works.
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO scratch (id, email) VALUES (?, ?)`,
			"user--gone", "gone@example.org"); err != nil {
			return err
		}
		if count(tx) != 6 {
			t.Error("the transaction does not see its own row")
		}
		return fmt.Errorf("roll back")
	})
	if err == nil || count(store) != 5 {
		t.Fatalf("rolled-back write: err %v, %d users", err, count(store))
	}
	// Cancelled callers get their error; later callers are not harmed.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := store.Query(cancelled, `SELECT id FROM scratch WHERE email = ?`, "w1@example.org"); err == nil {
		t.Error("a cancelled query answered")
	}
	var id string
	if err := store.QueryRow(ctx, `SELECT id FROM scratch WHERE email = ?`, "w1@example.org").Scan(&id); err != nil || id != "user--w1" {
		t.Fatalf("after a cancelled query: %q, %v", id, err)
	}
	// Readers that query while they read, several at once.
	var wg sync.WaitGroup
	for g := range 4 { // each holds two of the pool's eight connections
		wg.Go(func() {
			rows, err := store.Query(ctx, `SELECT id FROM scratch WHERE email LIKE ? ORDER BY id`, "%@example.org")
			if err != nil {
				t.Error(err)
				return
			}
			defer rows.Close()
			seen := 0
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Error(err)
					return
				}
				var email string
				if err := store.QueryRow(ctx, `SELECT email FROM scratch WHERE id = ?`, id).Scan(&email); err != nil {
					t.Error(err)
					return
				}
				seen++
			}
			if seen != 5 {
				t.Errorf("reader %d saw %d users", g, seen)
			}
		})
	}
	wg.Wait()
	// Past the bound, distinct texts still answer (unprepared).
	for i := range 1200 {
		var n int
		if err := store.QueryRow(ctx, fmt.Sprintf(`SELECT COUNT(*) + %d FROM scratch`, i)).Scan(&n); err != nil || n != 5+i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if got := count(store); got != 5 {
		t.Fatalf("after the bound: %d users", got)
	}
	// A bad statement is an error each time, not a kept failure.
	for range 2 {
		if _, err := store.Query(ctx, `SELECT nothing FROM nowhere`); err == nil {
			t.Error("a bad statement answered")
		}
	}
}
