package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Worker delivers the outbox. Each row is claimed for a lease before it
// is sent and marked delivered after; a worker that dies mid-delivery
// leaves its rows claimed until the lease ends, when another pass takes
// them again. Delivery is at least once: a crash between the receiver's
// acceptance and the mark would send again, with the same Message-ID or
// X-Harmtrace-Delivery id, by which receivers can drop the repeat.
type Worker struct {
	DB   *db.DB
	SMTP *SMTP
	// HTTP posts webhooks (a client with a 30-second timeout when nil).
	HTTP *http.Client
	Log  *slog.Logger
	// BaseURL prefixes the links of notifications (the server's public
	// address).
	BaseURL string
	// Lease is how long a claimed row waits before another pass may take
	// it again (2 minutes when 0).
	Lease time.Duration
	// Poll is the pause between passes (5 seconds when 0).
	Poll time.Duration
	// MaxAttempts is how many times a row is tried before it fails (8
	// when 0); Backoff the wait after the nth failure (1, 2, 4 … minutes,
	// at most 6 hours, when nil).
	MaxAttempts int
	Backoff     func(attempt int) time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	d := time.Minute << min(attempt-1, 9)
	return min(d, 6*time.Hour)
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	poll := w.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		if _, err := w.Once(ctx); err != nil && ctx.Err() == nil && w.Log != nil {
			w.Log.Error("notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// claimed is a row a pass delivers.
type claimed struct {
	id, event, channel, recipient, subject, body, link, record, created string
	attempts                                                            int
}

// Once claims the rows that are due and delivers each; it returns how
// many were delivered.
func (w *Worker) Once(ctx context.Context) (int, error) {
	rows, err := w.claim(ctx, 50)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, c := range rows {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		err := w.deliver(ctx, c)
		if err != nil && ctx.Err() != nil {
			// Killed mid-delivery: the row stays claimed until its lease
			// ends; nothing is marked.
			return delivered, ctx.Err()
		}
		if err := w.settle(ctx, c, err); err != nil {
			return delivered, err
		}
		if err == nil {
			delivered++
		}
	}
	return delivered, nil
}

const dueCondition = `((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?))`

// claim takes up to n due rows (pending and due, or claimed by a worker
// whose lease ended) for this pass's lease.
func (w *Worker) claim(ctx context.Context, n int) ([]claimed, error) {
	lease := w.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	now := w.now()
	stamp, until := db.Timestamp(now), db.Timestamp(now.Add(lease))
	var out []claimed
	err := w.DB.Write(ctx, db.Author{Who: "harmtrace notifications"}, func(tx *db.Tx) error {
		// Without an SMTP server, email waits in the outbox, its attempts
		// unspent, until one is configured.
		channels := `channel IN ('email', 'webhook')`
		if w.SMTP == nil {
			channels = `channel = 'webhook'`
		}
		rows, err := tx.Query(ctx, `SELECT id, event, channel, recipient, subject, body, link, record_id, created_at, attempts FROM outbox
			WHERE `+dueCondition+` AND `+channels+` ORDER BY created_at, id LIMIT ?`, stamp, stamp, n)
		if err != nil {
			return err
		}
		var found []claimed
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.id, &c.event, &c.channel, &c.recipient, &c.subject, &c.body, &c.link, &c.record, &c.created, &c.attempts); err != nil {
				rows.Close()
				return err
			}
			found = append(found, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range found {
			res, err := tx.Exec(ctx, `UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id = ? AND `+dueCondition,
				until, c.id, stamp, stamp)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				c.attempts++
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

// errWithheld is a delivery refused for want of consent or recipient.
var errWithheld = errors.New("withheld")

func (w *Worker) deliver(ctx context.Context, c claimed) error {
	link := ""
	if c.link != "" {
		link = strings.TrimRight(w.BaseURL, "/") + c.link
	}
	switch c.channel {
	case Email:
		ok, err := Consents(ctx, w.DB, c.recipient)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: the recipient no longer consents to email (or was disabled)", errWithheld)
		}
		if w.SMTP == nil {
			return errors.New("no SMTP server is configured (serve --smtp or " + EnvSMTP + ")")
		}
		var to string
		if err := w.DB.QueryRow(ctx, `SELECT email FROM users WHERE id = ?`, c.recipient).Scan(&to); err != nil {
			return err
		}
		body := c.body
		if link != "" {
			body += "\n\n" + link
		}
		body += "\n\n-- \nYou receive this because you agreed to notifications by email; change it at " +
			strings.TrimRight(w.BaseURL, "/") + "/work/notifications"
		return w.SMTP.Send(ctx, to, c.id, c.subject, body)
	case Webhook:
		var hookURL, clear, sealed string
		var active bool
		err := w.DB.QueryRow(ctx, `SELECT url, secret, secret_sealed, active FROM webhooks WHERE id = ?`, c.recipient).Scan(&hookURL, &clear, &sealed, &active)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
			return fmt.Errorf("%w: the webhook was removed", errWithheld)
		}
		if err != nil {
			return err
		}
		secret, err := webhookSecret(ctx, w.DB, c.recipient, clear, sealed)
		if err != nil {
			return err
		}
		client := w.HTTP
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		return post(ctx, client, hookURL, secret, Payload{ID: c.id, Event: c.event, Subject: c.subject, Text: c.body, Link: link,
			RecordID: c.record, Created: c.created})
	}
	return fmt.Errorf("%w: unknown channel %q", errWithheld, c.channel)
}

// settle records how a delivery went: delivered, due again after the
// backoff, failed after the last attempt, or withheld.
func (w *Worker) settle(ctx context.Context, c claimed, derr error) error {
	max := w.MaxAttempts
	if max <= 0 {
		max = 8
	}
	now := w.now()
	ctx = context.WithoutCancel(ctx)
	return w.DB.Write(ctx, db.Author{Who: "harmtrace notifications"}, func(tx *db.Tx) error {
		var query, outcome, detail string
		args := []any{}
		switch {
		case derr == nil:
			query, outcome = `UPDATE outbox SET status = 'delivered', delivered_at = ?, lease_until = '', last_error = '' WHERE id = ?`, Delivered
			args = append(args, db.Timestamp(now), c.id)
		case errors.Is(derr, errWithheld):
			query, outcome, detail = `UPDATE outbox SET status = 'withheld', lease_until = '', last_error = ? WHERE id = ?`, Withheld, derr.Error()
			args = append(args, detail, c.id)
		case c.attempts >= max:
			query, outcome, detail = `UPDATE outbox SET status = 'failed', lease_until = '', last_error = ? WHERE id = ?`, Failed, derr.Error()
			args = append(args, detail, c.id)
		default:
			query, outcome, detail = `UPDATE outbox SET status = 'pending', lease_until = '', last_error = ?, next_attempt_at = ? WHERE id = ?`,
				"retry", derr.Error()
			args = append(args, detail, db.Timestamp(now.Add(w.backoff(c.attempts))), c.id)
		}
		if len(detail) > 500 {
			detail = detail[:500]
			args[0] = detail
		}
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO outbox_attempts (outbox_id, at, outcome, detail) VALUES (?, ?, ?, ?)`, c.id, db.Timestamp(now), outcome, detail)
		return err
	})
}

// Attempt is one try at delivering a row.
type Attempt struct {
	At      string `json:"at"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

// Attempts returns the tries at delivering row id, oldest first.
func Attempts(ctx context.Context, q db.Querier, id string) ([]Attempt, error) {
	rows, err := q.Query(ctx, `SELECT at, outcome, detail FROM outbox_attempts WHERE outbox_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.At, &a.Outcome, &a.Detail); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
