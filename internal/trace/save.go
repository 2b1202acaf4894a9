package trace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// saver describes how one kind of record is read and written, so that every
// kind is saved the same way: validate, compare with the stored version,
// record a revision of what changed, then write.
type saver[T any] struct {
	kind string
	get  func(ctx context.Context, q db.Querier, id string) (*T, error)
	// put writes rec; exists tells whether to update or insert.
	put func(ctx context.Context, tx *db.Tx, rec *T, exists bool) error
	// mark is the record's marking, whose sharing lists save keeps.
	mark func(*T) *access.Marking
}

// save stores rec under id and tells what it did. Saving a record identical
// to the stored one writes nothing, which is what makes a re-import a no-op.
func (s saver[T]) save(ctx context.Context, tx *db.Tx, id string, rec *T) (revision.Outcome, error) {
	old, err := s.get(ctx, tx, id)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return revision.Unchanged, err
	}
	outcome, err := revision.Record(ctx, tx, s.kind, id, old, rec)
	if err != nil || outcome == revision.Unchanged {
		return outcome, err
	}
	if err := s.put(ctx, tx, rec, old != nil); err != nil {
		return revision.Unchanged, fmt.Errorf("save %s %s: %w", s.kind, id, err)
	}
	m := s.mark(rec)
	if old == nil || !slices.Equal(s.mark(old).SharedWith, m.SharedWith) || !slices.Equal(s.mark(old).Readers, m.Readers) {
		if err := access.SaveShares(ctx, tx, id, *m, old != nil); err != nil {
			return revision.Unchanged, fmt.Errorf("save %s %s: %w", s.kind, id, err)
		}
	}
	return outcome, nil
}

// remove deletes the record after recording its last state.
func (s saver[T]) remove(ctx context.Context, tx *db.Tx, id, table string) error {
	old, err := s.get(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := revision.Record(ctx, tx, s.kind, id, old, nil); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete %s %s: %w", s.kind, id, err)
	}
	return access.DeleteShares(ctx, tx, id)
}

// saveNameKeys makes the record's matching keys those of its names.
func saveNameKeys(ctx context.Context, tx *db.Tx, kind, id string, names []string) error {
	seen := map[string]bool{}
	var keys []string
	for _, n := range names {
		if k := NameKey(n); k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM name_keys WHERE record_id = ?`, id); err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := tx.Exec(ctx, `INSERT INTO name_keys (record_kind, name_key, record_id) VALUES (?, ?, ?)`, kind, k, id); err != nil {
			return err
		}
	}
	return nil
}

// FindByName returns the ids of records of kind whose name or alias matches
// name after normalisation.
func FindByName(ctx context.Context, q db.Querier, kind, name string) ([]string, error) {
	return db.Column[string](ctx, q, `SELECT record_id FROM name_keys WHERE record_kind = ? AND name_key = ? ORDER BY record_id`,
		kind, NameKey(name))
}

func encodeList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// cleanList trims values, drops empty ones and duplicates, keeps order.
func cleanList(v []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range v {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// loadShares reads the sharing lists of a record that can have them.
func loadShares(ctx context.Context, q db.Querier, id string, m *access.Marking) error {
	if m.TLP != "amber" && m.TLP != "red" {
		return nil
	}
	return access.LoadShares(ctx, q, id, m)
}

// checkMarking names a marking's fault.
func checkMarking(errs *validate.Errors, m access.Marking) {
	errs.Check("tlp", m.Check())
}
