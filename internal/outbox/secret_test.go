package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/outbox/outboxtest"
)

// TestWebhookSecretsAreSealed: a webhook's secret is never in the store's
// files (SQLite's database and write-ahead log, PostgreSQL's files and
// WAL), yet every delivery is signed with it: the one added now, one an
// earlier version kept in the clear (sealed when the store is given its
// key, or on its first delivery), and all of them after the master key is
// rotated. A store given no key adds no webhook.
func TestWebhookSecretsAreSealed(t *testing.T) {
	run := func(t *testing.T, store *db.DB, files func() []string) {
		ctx := context.Background()
		dir := t.TempDir()
		if _, err := outbox.Install(ctx, store, ring(t, dir)); err != nil {
			t.Fatal(err)
		}
		// Rows as an earlier version wrote them, in the clear; one before
		// the store is given its key again, one after (a restored backup).
		unique := fmt.Sprintf("%x%d", os.Getpid(), store.Dialect())
		legacy := func(id, secret, url string) {
			err := store.Write(ctx, db.Author{Who: "an earlier version"}, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO webhooks (id, team_id, url, secret, active, created_by, created_at) VALUES (?, 'team--a', ?, ?, ?, 'test', ?)`,
					id, url, secret, true, tx.Stamp())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		receivers := map[string]*outboxtest.Receiver{}
		for _, name := range []string{"new", "at start", "first delivery"} {
			receivers[name] = outboxtest.NewReceiver(t)
		}
		receivers["at start"].Secret = "legacy-at-start-" + unique
		legacy("webhook--00000000-0000-4000-8000-000000000001", receivers["at start"].Secret, receivers["at start"].URL)
		if n, err := outbox.Install(ctx, store, ring(t, dir)); err != nil || n != 1 {
			t.Fatalf("Install sealed %d clear secrets: %v", n, err)
		}
		receivers["first delivery"].Secret = "legacy-first-delivery-" + unique
		legacy("webhook--00000000-0000-4000-8000-000000000002", receivers["first delivery"].Secret, receivers["first delivery"].URL)
		err := store.Write(ctx, db.Author{Who: "admin"}, func(tx *db.Tx) error {
			var err error
			_, receivers["new"].Secret, err = outbox.AddWebhook(ctx, tx, "team--a", receivers["new"].URL)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		deliver := func(when string, want int) {
			t.Helper()
			err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
				_, err := outbox.ToTeam(ctx, tx, "team--a", outbox.Message{Event: "alert.raised", Subject: when, Body: "…"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := (&outbox.Worker{DB: store, BaseURL: "https://harmtrace.test"}).Once(ctx); err != nil || n != 3 {
				t.Fatalf("%s: delivered %d of 3: %v", when, n, err)
			}
			for name, rc := range receivers {
				if d := rc.Deliveries(); len(d) != want || !d[want-1].Signed {
					t.Errorf("%s: the webhook %s received %d deliveries, want %d, the last signed", when, name, len(d), want)
				}
			}
		}
		deliver("first", 1)
		if n := count(t, store, `SELECT COUNT(*) FROM webhooks WHERE secret <> '' OR secret_sealed = ''`); n != 0 {
			t.Errorf("%d webhooks keep their secret in the clear", n)
		}
		var secrets []string
		for _, rc := range receivers {
			secrets = append(secrets, rc.Secret)
		}
		// The new secret was never written in the clear; the two an
		// earlier version wrote are no longer in the table (their old
		// pages may linger in the files until overwritten, see
		// docs/security.md).
		dbtest.NotInFiles(t, files(), receivers["new"].Secret)
		rows, err := store.Query(ctx, `SELECT secret, secret_sealed FROM webhooks`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var clear, sealed string
			if err := rows.Scan(&clear, &sealed); err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if clear == s || sealed == s {
					t.Errorf("the table holds the secret %q", s)
				}
			}
		}
		rows.Close()
		// After the master key is rotated, the secrets still open.
		if _, err := ring(t, dir).Rotate(); err != nil {
			t.Fatal(err)
		}
		if _, err := outbox.Install(ctx, store, ring(t, dir)); err != nil {
			t.Fatal(err)
		}
		deliver("after the rotation", 2)
		// With another key ring (keys lost), a delivery fails and is
		// retried; nothing is signed with a wrong secret.
		if _, err := outbox.Install(ctx, store, ring(t, t.TempDir())); err != nil {
			t.Fatal(err)
		}
		err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			_, err := outbox.ToTeam(ctx, tx, "team--a", outbox.Message{Event: "alert.raised", Subject: "wrong keys", Body: "…"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := (&outbox.Worker{DB: store}).Once(ctx); err != nil || n != 0 {
			t.Errorf("with the wrong keys %d delivered: %v", n, err)
		}
		if n := count(t, store, `SELECT COUNT(*) FROM outbox WHERE subject = 'wrong keys' AND status = 'pending' AND last_error LIKE '%does not open%'`); n != 3 {
			t.Errorf("%d rows wait with the error of a secret that does not open, want 3", n)
		}
	}
	dbtest.EachWithFiles(t, run)
	t.Run("no key", func(t *testing.T) {
		store := dbtest.Open(t, filepath.Join(t.TempDir(), "harmtrace.db"))
		err := store.Write(context.Background(), db.Author{Who: "admin"}, func(tx *db.Tx) error {
			_, _, err := outbox.AddWebhook(context.Background(), tx, "team--a", "https://hooks.example/a")
			return err
		})
		if !errors.Is(err, outbox.ErrNoKey) {
			t.Errorf("a store without a key ring added a webhook: %v", err)
		}
	})
}

func count(t *testing.T, store *db.DB, query string) int {
	t.Helper()
	var n int
	if err := store.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
