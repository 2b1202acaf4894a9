// Package suggest keeps suggested corrections: a user who may read a record
// but not write it (another team's, or the public catalogue) proposes new
// values for some of its fields, with a reason; the record's writers accept
// the suggestion, which then changes the record through the normal save,
// or decline it with a note. Who may do what is internal/access's answer;
// this package stores the suggestions and records each step as a revision.
package suggest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// Statuses of a suggestion.
const (
	Open     = "open"
	Accepted = "accepted"
	Declined = "declined"
)

// Suggestion is one proposed correction of one record.
type Suggestion struct {
	ID         string                     `json:"id"`
	RecordID   string                     `json:"record_id"`
	RecordKind string                     `json:"record_kind"`
	Fields     map[string]json.RawMessage `json:"fields"`
	Reason     string                     `json:"reason"`
	AuthorID   string                     `json:"author_id"`
	Author     string                     `json:"author"`
	AuthorTeam string                     `json:"author_team"`
	Status     string                     `json:"status"`
	DecidedBy  string                     `json:"decided_by,omitempty"`
	Note       string                     `json:"note,omitempty"`
	Created    time.Time                  `json:"created"`
	Decided    time.Time                  `json:"decided,omitzero"`
}

// notSuggested are the fields a suggestion may not set: who may read and
// write a record is its owners' decision alone.
var notSuggested = map[string]bool{"id": true, "owner": true, "tlp": true, "shared_with": true, "readers": true,
	"created": true, "updated": true, "undisclosed_victims": true}

// Check names the suggestion's faults: a reason is required, at least one
// field, and none of the marking's.
func (s *Suggestion) Check() error {
	var errs validate.Errors
	if strings.TrimSpace(s.Reason) == "" {
		errs.Add("reason", "is required: say why the record should change")
	}
	if len(s.Fields) == 0 {
		errs.Add("fields", "name at least one field and its new value")
	}
	names := make([]string, 0, len(s.Fields))
	for k := range s.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if notSuggested[k] {
			errs.Add("fields."+k, "a suggestion may not change who reads or owns a record")
		}
	}
	return errs.Err()
}

// Create stores a new open suggestion and its first revision.
func Create(ctx context.Context, tx *db.Tx, s *Suggestion) error {
	s.Reason = strings.TrimSpace(s.Reason)
	if err := s.Check(); err != nil {
		return err
	}
	s.ID, s.Status = trace.NewID("suggestion"), Open
	fields, err := json.Marshal(s.Fields)
	if err != nil {
		return err
	}
	now := tx.Stamp()
	if _, err := tx.Exec(ctx, `INSERT INTO suggestions (id, record_id, record_kind, fields, reason, author_id, author_email,
		author_team, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.RecordID, s.RecordKind, string(fields),
		s.Reason, s.AuthorID, s.Author, s.AuthorTeam, s.Status, now); err != nil {
		return fmt.Errorf("save suggestion: %w", err)
	}
	s.Created, _ = time.Parse(time.RFC3339Nano, now)
	_, err = revision.Append(ctx, tx, "suggestion", s.ID, revision.Create, []revision.Change{
		{Field: "record_id", Old: null, New: quoted(s.RecordID)}, {Field: "fields", Old: null, New: fields},
		{Field: "reason", Old: null, New: quoted(s.Reason)}, {Field: "status", Old: null, New: quoted(Open)}})
	return err
}

// Decide closes an open suggestion as accepted or declined, by whom and
// with what note, and records it.
func Decide(ctx context.Context, tx *db.Tx, s *Suggestion, status, by, note string) error {
	if s.Status != Open {
		return validate.Errors{{Field: "status", Message: "this suggestion was already " + s.Status}}
	}
	res, err := tx.Exec(ctx, `UPDATE suggestions SET status = ?, decided_by = ?, note = ?, decided_at = ? WHERE id = ? AND status = 'open'`,
		status, by, strings.TrimSpace(note), tx.Stamp(), s.ID)
	if err != nil {
		return fmt.Errorf("decide suggestion: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return validate.Errors{{Field: "status", Message: "this suggestion was decided meanwhile"}}
	}
	_, err = revision.Append(ctx, tx, "suggestion", s.ID, revision.Update, []revision.Change{
		{Field: "status", Old: quoted(Open), New: quoted(status)}, {Field: "note", Old: null, New: quoted(strings.TrimSpace(note))}})
	s.Status, s.DecidedBy, s.Note = status, by, strings.TrimSpace(note)
	return err
}

// ErrNotFound is answered for a suggestion that does not exist.
var ErrNotFound = db.ErrNotFound

const columns = `id, record_id, record_kind, fields, reason, author_id, author_email, author_team, status, decided_by, note,
	created_at, decided_at`

// Get returns the suggestion with id.
func Get(ctx context.Context, q db.Querier, id string) (*Suggestion, error) {
	out, err := list(ctx, q, `SELECT `+columns+` FROM suggestions WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("suggestion %s: %w", id, db.ErrNotFound)
	}
	return &out[0], nil
}

// Open returns the open suggestions, oldest first; the caller keeps those
// the viewer may decide or made.
func OpenOnes(ctx context.Context, q db.Querier) ([]Suggestion, error) {
	return list(ctx, q, `SELECT `+columns+` FROM suggestions WHERE status = 'open' ORDER BY created_at, id`)
}

// By returns every suggestion a user made, newest first.
func By(ctx context.Context, q db.Querier, userID string) ([]Suggestion, error) {
	return list(ctx, q, `SELECT `+columns+` FROM suggestions WHERE author_id = ? ORDER BY created_at DESC, id`, userID)
}

func list(ctx context.Context, q db.Querier, query string, args ...any) ([]Suggestion, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list suggestions: %w", err)
	}
	defer rows.Close()
	var out []Suggestion
	for rows.Next() {
		var s Suggestion
		var fields, created, decided string
		if err := rows.Scan(&s.ID, &s.RecordID, &s.RecordKind, &fields, &s.Reason, &s.AuthorID, &s.Author, &s.AuthorTeam,
			&s.Status, &s.DecidedBy, &s.Note, &created, &decided); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				break
			}
			return nil, err
		}
		if err := json.Unmarshal([]byte(fields), &s.Fields); err != nil {
			return nil, fmt.Errorf("suggestion %s: %w", s.ID, err)
		}
		s.Created, _ = time.Parse(time.RFC3339Nano, created)
		s.Decided, _ = time.Parse(time.RFC3339Nano, decided)
		out = append(out, s)
	}
	return out, rows.Err()
}

var null = json.RawMessage("null")

func quoted(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
