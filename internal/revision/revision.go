// Package revision keeps the history of every record: who changed what,
// when and why, field by field. A correction stays visible forever: the
// revisions table is only ever appended to.
package revision

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Actions of a revision.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// Change is one field's old and new value (JSON; null when absent).
type Change struct {
	Field string          `json:"field"`
	Old   json.RawMessage `json:"old"`
	New   json.RawMessage `json:"new"`
}

// Revision is one recorded change of one record.
type Revision struct {
	ID         int64     `json:"id"`
	RecordKind string    `json:"record_kind"`
	RecordID   string    `json:"record_id"`
	Action     string    `json:"action"`
	Author     string    `json:"author"`
	Reason     string    `json:"reason"`
	Changes    []Change  `json:"changes"`
	Time       time.Time `json:"time"`
	// Hidden marks a change shown as "a change you may not see": it
	// involves a record the viewer may not read, so only its time, kind
	// and action are kept.
	Hidden bool `json:"hidden,omitempty"`
}

// Outcome tells what saving a record did.
type Outcome int

const (
	Unchanged Outcome = iota
	Created
	Updated
)

// ignored fields are bookkeeping, not content: they change on every write.
var ignored = map[string]bool{"created": true, "updated": true}

// Record compares before and after (either may be nil for a create or a
// delete) field by field through their JSON form, and appends a revision
// when anything differs. It tells what it recorded.
func Record(ctx context.Context, tx *db.Tx, kind, id string, before, after any) (Outcome, error) {
	oldFields, err := Fields(before)
	if err != nil {
		return Unchanged, err
	}
	newFields, err := Fields(after)
	if err != nil {
		return Unchanged, err
	}
	changes := Diff(oldFields, newFields)
	action := Update
	switch {
	case isNil(before):
		action = Create
	case isNil(after):
		action = Delete
	}
	if len(changes) == 0 && action == Update {
		return Unchanged, nil
	}
	revID, outcome, err := appendRevision(ctx, tx, kind, id, action, changes)
	if err != nil {
		return outcome, err
	}
	return outcome, recordParents(ctx, tx, revID, oldFields, newFields)
}

// recordParents names the incident or campaign a harm's or an
// attribution's revision belongs to: both when the revision moved it.
func recordParents(ctx context.Context, tx *db.Tx, revID int64, before, after map[string]json.RawMessage) error {
	seen := map[string]bool{}
	for _, fields := range []map[string]json.RawMessage{before, after} {
		for _, key := range []string{"incident_id", "campaign_id"} {
			var parent string
			if json.Unmarshal(fields[key], &parent) != nil || parent == "" || seen[parent] {
				continue
			}
			seen[parent] = true
			if _, err := tx.Exec(ctx, `INSERT INTO revision_parents (revision_id, parent_id) VALUES (?, ?)`, revID, parent); err != nil {
				return fmt.Errorf("record revision parent: %w", err)
			}
		}
	}
	return nil
}

// Append records a revision whose changes the caller computed itself: a
// record kept by the thousand (a STIX object) need not go through Record's
// JSON comparison.
func Append(ctx context.Context, tx *db.Tx, kind, id, action string, changes []Change) (Outcome, error) {
	_, outcome, err := appendRevision(ctx, tx, kind, id, action, changes)
	return outcome, err
}

func appendRevision(ctx context.Context, tx *db.Tx, kind, id, action string, changes []Change) (int64, Outcome, error) {
	body, err := json.Marshal(changes)
	if err != nil {
		return 0, Unchanged, err
	}
	var revID int64
	err = tx.QueryRow(ctx, `INSERT INTO revisions (record_kind, record_id, action, author, reason, changes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, kind, id, action, tx.Author.Who, tx.Author.Why, string(body), tx.Stamp()).Scan(&revID)
	if err != nil {
		return 0, Unchanged, fmt.Errorf("record revision of %s: %w", id, err)
	}
	tx.Revisions++
	if action == Create {
		return revID, Created, nil
	}
	return revID, Updated, nil
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// Fields is a record's JSON form as a map of fields; nil for no record.
// Revisions compare records through it; the workspace and the API lay a
// form or a request body over it.
func Fields(v any) (map[string]json.RawMessage, error) {
	if isNil(v) {
		return nil, nil
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// Diff lists the fields whose JSON differs between old and new, sorted by
// name. A field absent on one side counts as null.
func Diff(old, new map[string]json.RawMessage) []Change {
	names := map[string]bool{}
	for k := range old {
		names[k] = true
	}
	for k := range new {
		names[k] = true
	}
	var out []Change
	for k := range names {
		if ignored[k] {
			continue
		}
		o, n := orNull(old[k]), orNull(new[k])
		if string(o) != string(n) {
			out = append(out, Change{Field: k, Old: o, New: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

// List returns the revisions of one record, oldest first.
func List(ctx context.Context, q db.Querier, recordID string) ([]Revision, error) {
	return list(ctx, q, `SELECT id, record_kind, record_id, action, author, reason, changes, created_at
		FROM revisions WHERE record_id = ? ORDER BY id`, recordID)
}

func list(ctx context.Context, q db.Querier, query string, args ...any) ([]Revision, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		var changes, at string
		if err := rows.Scan(&r.ID, &r.RecordKind, &r.RecordID, &r.Action, &r.Author, &r.Reason, &changes, &at); err != nil {
			return nil, fmt.Errorf("list revisions: %w", err)
		}
		if err := json.Unmarshal([]byte(changes), &r.Changes); err != nil {
			return nil, fmt.Errorf("revision %d: %w", r.ID, err)
		}
		r.Time, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Attached returns the revisions of the harms and attributions made while
// they belonged to the incident (or campaign) parentID, deleted records
// included, oldest first: found by revision_parents, never by the text of
// the changes.
func Attached(ctx context.Context, q db.Querier, parentID string) ([]Revision, error) {
	return list(ctx, q, `SELECT r.id, r.record_kind, r.record_id, r.action, r.author, r.reason, r.changes, r.created_at
		FROM revisions r JOIN revision_parents p ON p.revision_id = r.id WHERE p.parent_id = ? ORDER BY r.id`, parentID)
}

// ForPublic returns revisions as the public may see them: when and why
// a record changed and which fields, but neither who changed it (an
// analyst's email is personal data) nor the values, which may date from
// before the record was published.
func ForPublic(revs []Revision) []Revision {
	out := make([]Revision, len(revs))
	for i, r := range revs {
		r.Author = ""
		changes := make([]Change, len(r.Changes))
		for j, c := range r.Changes {
			changes[j] = Change{Field: c.Field, Old: json.RawMessage("null"), New: json.RawMessage("null")}
		}
		r.Changes = changes
		out[i] = r
	}
	return out
}
