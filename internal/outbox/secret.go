package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
)

// KeyID names the key of the key ring that seals webhooks' secrets:
// <data dir>/keys/cases/outbox-webhooks.key, wrapped by the master key
// like a case's key (so `harmtrace keys rotate` rewraps it), never erased.
// No record id can take this name (theirs end in --<uuid>).
const KeyID = "outbox-webhooks"

// secretKey is what the store keeps the sealing key under (db.SetValue).
type secretKey struct{}

// ErrNoKey is the answer for a webhook's secret when the store was given
// no key ring (Install).
var ErrNoKey = errors.New("webhook secrets are sealed with a key of the key ring, and this store was given none (outbox.Install)")

// installing keeps two Installs of one process from both making the key.
var installing sync.Mutex

// Install gives the store the key that seals webhooks' secrets, made on
// first use in the ring, and seals the secrets that an earlier version
// kept in the clear (migration 0042 cannot reach the key file), emptying
// their clear column; it returns how many it sealed. Wherever a store
// that adds or delivers webhooks is opened (serve, `harmtrace
// notifications`, prevention.New given the cases' ring), Install runs
// first; running it again is harmless.
func Install(ctx context.Context, store *db.DB, ring *keys.Ring) (int, error) {
	installing.Lock()
	k, err := ring.GetOrCreate(KeyID)
	installing.Unlock()
	if err != nil {
		return 0, fmt.Errorf("the key of webhook secrets: %w", err)
	}
	store.SetValue(secretKey{}, k)
	return sealClear(ctx, store, k, "")
}

func keyOf(v interface{ Value(any) any }) (keys.Key, error) {
	k, ok := v.Value(secretKey{}).(keys.Key)
	if !ok {
		return keys.Key{}, ErrNoKey
	}
	return k, nil
}

func secretLabel(hookID string) string { return "webhooks.secret:" + hookID }

// sealClear seals the clear secrets of the webhooks (of webhook id only,
// when given) and empties their clear column, in one transaction.
func sealClear(ctx context.Context, store *db.DB, k keys.Key, id string) (int, error) {
	n := 0
	err := store.Write(ctx, db.Author{Who: "harmtrace", Why: "seal the webhooks' secrets kept in the clear"}, func(tx *db.Tx) error {
		query, args := `SELECT id, secret FROM webhooks WHERE secret <> '' AND secret_sealed = ''`, []any{}
		if id != "" {
			query, args = query+` AND id = ?`, append(args, id)
		}
		rows, err := tx.Query(ctx, query+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		var ids, secrets []string
		for rows.Next() {
			var id, secret string
			if err := rows.Scan(&id, &secret); err != nil {
				rows.Close()
				return err
			}
			ids, secrets = append(ids, id), append(secrets, secret)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, id := range ids {
			sealed, err := k.Seal(secretLabel(id), []byte(secrets[i]))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhooks SET secret_sealed = ?, secret = '' WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seal the webhooks' secrets: %w", err)
	}
	return n, nil
}

// webhookSecret reads the secret of webhook id for signing: it opens the
// sealed one, or seals a clear one left by an earlier version (a restored
// backup) before using it.
func webhookSecret(ctx context.Context, store *db.DB, id, clear, sealed string) (string, error) {
	k, err := keyOf(store)
	if err != nil {
		return "", err
	}
	if sealed == "" && clear != "" {
		if _, err := sealClear(ctx, store, k, id); err != nil {
			return "", err
		}
		return clear, nil
	}
	b, err := k.Open(secretLabel(id), sealed)
	if err != nil {
		return "", fmt.Errorf("the secret of webhook %s does not open with the key ring's %s key: %w", id, KeyID, err)
	}
	return string(b), nil
}
