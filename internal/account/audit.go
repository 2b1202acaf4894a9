package account

import (
	"context"
	"fmt"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Entry is one line of the audit log.
type Entry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Target  string    `json:"target,omitempty"`
	Address string    `json:"address,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Audit appends an entry; nothing updates or deletes audit entries.
func Audit(ctx context.Context, tx *db.Tx, actor, action, target, address, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action, target, address, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		tx.Stamp(), actor, action, target, address, detail)
	return err
}

// AuditLog returns the latest entries, newest first.
func AuditLog(ctx context.Context, q db.Querier, limit int) ([]Entry, error) {
	return auditLog(ctx, q, `SELECT id, at, actor, action, target, address, detail FROM audit_log ORDER BY id DESC LIMIT ?`, limit)
}

// AuditLogOfTeam returns the latest entries of what the team's own users
// did, newest first: an admin reads the audit of their own organisation,
// not what other teams did and why (the operator reads it all).
func AuditLogOfTeam(ctx context.Context, q db.Querier, teamID string, limit int) ([]Entry, error) {
	return auditLog(ctx, q, `SELECT id, at, actor, action, target, address, detail FROM audit_log
		WHERE actor IN (SELECT email FROM users WHERE team_id = ?) ORDER BY id DESC LIMIT ?`, teamID, limit)
}

func auditLog(ctx context.Context, q db.Querier, query string, args ...any) ([]Entry, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Address, &e.Detail); err != nil {
			return nil, err
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Install makes the store audit every write that changed records: who, why
// and how many revisions it recorded (the revisions say what changed).
func Install(store *db.DB) {
	store.OnWrite(func(ctx context.Context, tx *db.Tx) error {
		return Audit(ctx, tx, tx.Author.Who, "write", "", "", fmt.Sprintf("%d revisions: %s", tx.Revisions, tx.Author.Why))
	})
}
