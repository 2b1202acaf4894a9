package httpkit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/httpkit"
)

// TestSharedLimiter: two limiters sharing a PostgreSQL store and a secret
// (two servers) block alike; a failure older than the window no longer
// counts; the store holds keyed hashes, never the key itself.
func TestSharedLimiter(t *testing.T) {
	store := dbtest.Postgres(t)
	secret := []byte("a secret derived from the master key")
	one, other := httpkit.NewLimiter(10), httpkit.NewLimiter(10)
	one.Share(store, "sign-in", secret)
	other.Share(store, "sign-in", secret)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		if other.Blocked(t0, "address:192.0.2.1") {
			t.Fatalf("blocked after %d failures", i)
		}
		one.Fail(t0.Add(time.Duration(i)*time.Second), "address:192.0.2.1", "account:a@example.org")
	}
	if !other.Blocked(t0.Add(time.Minute), "address:192.0.2.1") || !other.Blocked(t0.Add(time.Minute), "account:a@example.org") {
		t.Error("five failures through one limiter do not block through the other")
	}
	if other.Blocked(t0.Add(time.Hour), "address:192.0.2.1") {
		t.Error("failures of an hour ago still block")
	}
	alone := httpkit.NewLimiter(10)
	alone.Share(store, "sign-in", []byte("another secret"))
	if alone.Blocked(t0.Add(time.Minute), "address:192.0.2.1") {
		t.Error("a limiter with another secret reads the same keys")
	}
	keys, err := db.Column[string](context.Background(), store, `SELECT key_hash FROM limiter_failures`)
	if err != nil || len(keys) != 10 {
		t.Fatalf("%d rows, %v", len(keys), err)
	}
	for _, k := range keys {
		if strings.Contains(k, "192.0.2.1") || strings.Contains(k, "example.org") || len(k) != 64 {
			t.Errorf("stored key %q", k)
		}
	}
}
