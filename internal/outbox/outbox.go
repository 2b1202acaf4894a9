// Package outbox keeps notifications from being lost: alerts, re-targeting
// warnings and case messages are written as outbox rows in the same
// transaction as the event, and a Worker (inside `serve`) delivers them by
// email (SMTP with STARTTLS) and by webhook (JSON signed with
// HMAC-SHA256), retrying with backoff. Email goes only to users who
// consented, checked when the row is written and again when it is sent;
// a notification names records by id and link, never what a victim wrote.
// A webhook's secret is kept sealed with a key of the key ring (Install,
// secret.go), never in the clear.
package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Statuses of an outbox row.
const (
	Pending   = "pending"
	Sending   = "sending"
	Delivered = "delivered"
	Failed    = "failed"
	Withheld  = "withheld"
)

// Channels of delivery.
const (
	Email   = "email"
	Webhook = "webhook"
)

// Message is one notification, before it has recipients.
type Message struct {
	// Event names what happened: alert.raised, warning.retarget,
	// case.message.
	Event   string
	Subject string
	// Body is the text of the email; it names records, never a victim's
	// words.
	Body string
	// Link is the path of the page to open (the worker prefixes the
	// server's public address).
	Link string
	// RecordID is the record the event concerns.
	RecordID string
}

// SetConsent records whether the user agrees to notifications by email.
func SetConsent(ctx context.Context, tx *db.Tx, userID string, email bool) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM notification_consents WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return err
	}
	var err error
	if n == 0 {
		_, err = tx.Exec(ctx, `INSERT INTO notification_consents (user_id, email, changed_at) VALUES (?, ?, ?)`, userID, email, tx.Stamp())
	} else {
		_, err = tx.Exec(ctx, `UPDATE notification_consents SET email = ?, changed_at = ? WHERE user_id = ?`, email, tx.Stamp(), userID)
	}
	if err != nil {
		return fmt.Errorf("consent: %w", err)
	}
	what := "withdrawn"
	if email {
		what = "given"
	}
	return account.Audit(ctx, tx, tx.Author.Who, "notify.consent", userID, "", "email "+what)
}

// Consents reports whether the user agreed to email and is not disabled.
func Consents(ctx context.Context, q db.Querier, userID string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT c.email FROM notification_consents c JOIN users u ON u.id = c.user_id
		WHERE c.user_id = ? AND u.disabled = ?`, userID, false).Scan(&ok)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return ok, err
}

// ToUsers writes an email row for each of the users who consented (the
// others get nothing), in the caller's transaction; it returns how many
// rows it wrote.
func ToUsers(ctx context.Context, tx *db.Tx, userIDs []string, m Message) (int, error) {
	n := 0
	seen := map[string]bool{}
	for _, id := range userIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		ok, err := Consents(ctx, tx, id)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		var team string
		if err := tx.QueryRow(ctx, `SELECT team_id FROM users WHERE id = ?`, id).Scan(&team); err != nil {
			return n, err
		}
		if err := insert(ctx, tx, Email, id, team, m); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ToTeam writes a webhook row for each active webhook of the team.
func ToTeam(ctx context.Context, tx *db.Tx, teamID string, m Message) (int, error) {
	if teamID == "" {
		return 0, nil
	}
	ids, err := db.Column[string](ctx, tx, `SELECT id FROM webhooks WHERE team_id = ? AND active = ? ORDER BY id`, teamID, true)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := insert(ctx, tx, Webhook, id, teamID, m); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func insert(ctx context.Context, tx *db.Tx, channel, recipient, team string, m Message) error {
	_, err := tx.Exec(ctx, `INSERT INTO outbox (id, event, channel, recipient, team_id, subject, body, link, record_id, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`, trace.NewID("notification"), m.Event, channel, recipient, team, m.Subject, m.Body,
		m.Link, m.RecordID, tx.Stamp(), tx.Stamp())
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Hook is a team's webhook.
type Hook struct {
	ID      string `json:"id"`
	TeamID  string `json:"team_id"`
	URL     string `json:"url"`
	Active  bool   `json:"active"`
	By      string `json:"created_by"`
	Created string `json:"created"`
}

// AddWebhook sets a webhook for the team and returns it with its secret,
// shown once: receivers check each body's HMAC-SHA256 with it. The store
// keeps the secret sealed with the key Install gave it (ErrNoKey
// without), never in the clear.
func AddWebhook(ctx context.Context, tx *db.Tx, teamID, rawURL string) (*Hook, string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(rawURL) > 2048 {
		return nil, "", fmt.Errorf(`field "url": %q is not an http(s) URL`, rawURL)
	}
	k, err := keyOf(tx)
	if err != nil {
		return nil, "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	secret := hex.EncodeToString(b)
	h := &Hook{ID: trace.NewID("webhook"), TeamID: teamID, URL: u.String(), Active: true, By: tx.Author.Who, Created: tx.Stamp()}
	sealed, err := k.Seal(secretLabel(h.ID), []byte(secret))
	if err != nil {
		return nil, "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhooks (id, team_id, url, secret, secret_sealed, active, created_by, created_at) VALUES (?, ?, ?, '', ?, ?, ?, ?)`,
		h.ID, h.TeamID, h.URL, sealed, true, h.By, h.Created)
	if err != nil {
		return nil, "", err
	}
	return h, secret, account.Audit(ctx, tx, tx.Author.Who, "webhook.add", h.ID, "", "team "+teamID+" "+u.Redacted())
}

// RemoveWebhook deactivates a webhook of the team; its pending rows are
// withheld when their turn comes.
func RemoveWebhook(ctx context.Context, tx *db.Tx, teamID, id string) error {
	res, err := tx.Exec(ctx, `UPDATE webhooks SET active = ? WHERE id = ? AND team_id = ?`, false, id, teamID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("webhook %s: %w", id, db.ErrNotFound)
	}
	return account.Audit(ctx, tx, tx.Author.Who, "webhook.remove", id, "", "team "+teamID)
}

// Webhooks lists the team's webhooks ("" for every team's).
func Webhooks(ctx context.Context, q db.Querier, teamID string) ([]Hook, error) {
	query := `SELECT id, team_id, url, active, created_by, created_at FROM webhooks`
	var args []any
	if teamID != "" {
		query += ` WHERE team_id = ?`
		args = append(args, teamID)
	}
	rows, err := q.Query(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Hook
	for rows.Next() {
		var h Hook
		if err := rows.Scan(&h.ID, &h.TeamID, &h.URL, &h.Active, &h.By, &h.Created); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Row is an outbox row as admins see it: what, to whom, how it went.
type Row struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	Channel   string `json:"channel"`
	Recipient string `json:"recipient"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	NextAt    string `json:"next_attempt_at,omitempty"`
	LastError string `json:"last_error,omitempty"`
	Created   string `json:"created"`
	Delivered string `json:"delivered,omitempty"`
}

// List returns the newest rows of the team's outbox ("" for all), with
// recipients named by email or webhook URL.
func List(ctx context.Context, q db.Querier, teamID, status string, limit int) ([]Row, error) {
	where, args := []string{"1 = 1"}, []any{}
	if teamID != "" {
		where, args = append(where, "o.team_id = ?"), append(args, teamID)
	}
	if status != "" {
		where, args = append(where, "o.status = ?"), append(args, status)
	}
	rows, err := q.Query(ctx, `SELECT o.id, o.event, o.channel, COALESCE(u.email, w.url, o.recipient), o.subject, o.status, o.attempts,
		o.next_attempt_at, o.last_error, o.created_at, o.delivered_at
		FROM outbox o LEFT JOIN users u ON o.channel = 'email' AND u.id = o.recipient LEFT JOIN webhooks w ON o.channel = 'webhook' AND w.id = o.recipient
		WHERE `+strings.Join(where, " AND ")+` ORDER BY o.created_at DESC, o.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.ID, &r.Event, &r.Channel, &r.Recipient, &r.Subject, &r.Status, &r.Attempts, &r.NextAt, &r.LastError,
			&r.Created, &r.Delivered); err != nil {
			return nil, err
		}
		if r.Status != Pending {
			r.NextAt = ""
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Counts returns how many rows of the team's outbox ("" for all) are in
// each status.
func Counts(ctx context.Context, q db.Querier, teamID string) (map[string]int, error) {
	query, args := `SELECT status, COUNT(*) FROM outbox`, []any{}
	if teamID != "" {
		query, args = query+` WHERE team_id = ?`, append(args, teamID)
	}
	rows, err := q.Query(ctx, query+` GROUP BY status`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{Pending: 0, Sending: 0, Delivered: 0, Failed: 0, Withheld: 0}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Retry makes a failed row of the team ("" for any) due again now.
func Retry(ctx context.Context, tx *db.Tx, teamID, id string) error {
	query, args := `UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = '' WHERE id = ? AND status = 'failed'`,
		[]any{tx.Stamp(), id}
	if teamID != "" {
		query, args = query+` AND team_id = ?`, append(args, teamID)
	}
	res, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("failed notification %s: %w", id, db.ErrNotFound)
	}
	return account.Audit(ctx, tx, tx.Author.Who, "notify.retry", id, "", "")
}
