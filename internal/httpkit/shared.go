package httpkit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// shared keeps a limiter's failures in the database (table
// limiter_failures), so that several servers on one PostgreSQL count them
// together. Keys are HMACs with a secret all the servers hold and the
// database does not (derived from the master key), so what is stored
// cannot be turned back into an address or an email.
type shared struct {
	store  *db.DB
	name   string
	secret []byte
}

// Share makes the limiter keep its failures in store, under name, keyed
// with secret; without it they stay in this process's memory.
func (l *Limiter) Share(store *db.DB, name string, secret []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shared = &shared{store: store, name: name, secret: secret}
}

func (s *shared) hash(key string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// blocked counts each key's failures within the window. A store that does
// not answer blocks: a sign-in would fail anyway.
func (s *shared) blocked(now time.Time, keys []string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	since := db.Timestamp(now.Add(-limitWindow))
	for _, k := range keys {
		var n int
		err := s.store.QueryRow(ctx, `SELECT COUNT(*) FROM limiter_failures WHERE limiter = ? AND key_hash = ? AND at > ?`,
			s.name, s.hash(k), since).Scan(&n)
		if err != nil || n >= limitFailures {
			return true
		}
	}
	return false
}

// fail records a failure of each key and forgets the expired ones.
func (s *shared) fail(now time.Time, keys []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.store.Write(ctx, db.Author{Who: "limiter"}, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM limiter_failures WHERE at <= ?`, db.Timestamp(now.Add(-limitWindow))); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO limiter_failures (limiter, key_hash, at) VALUES (?, ?, ?)`,
				s.name, s.hash(k), db.Timestamp(now)); err != nil {
				return err
			}
		}
		return nil
	})
}
