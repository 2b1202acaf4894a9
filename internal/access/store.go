package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Normalise lower-cases the marking, fills the default and sorts the
// sharing lists, so that equal markings compare equal.
func (m *Marking) Normalise(def string) {
	m.TLP = strings.ToLower(strings.TrimSpace(m.TLP))
	if m.TLP == "" {
		m.TLP = def
	}
	m.SharedWith = sortedSet(m.SharedWith)
	m.Readers = sortedSet(m.Readers)
}

func sortedSet(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Check returns an error unless the TLP is a TLP 2.0 marking.
func (m Marking) Check() error {
	if !slices.Contains(TLPs, m.TLP) {
		return fmt.Errorf("unknown marking %q (one of %s)", m.TLP, strings.Join(TLPs, ", "))
	}
	return nil
}

// Public returns the marking as public exports give it: the TLP alone,
// since who owns and shares a record is this installation's business.
func (m Marking) Public() Marking { return Marking{TLP: m.TLP} }

// SaveShares makes the record's sharing rows those of m; exists tells
// whether there may be rows to replace.
func SaveShares(ctx context.Context, tx *db.Tx, id string, m Marking, exists bool) error {
	if exists {
		if _, err := tx.Exec(ctx, `DELETE FROM record_access WHERE record_id = ?`, id); err != nil {
			return err
		}
	}
	for _, p := range []struct {
		kind  string
		names []string
	}{{"team", m.SharedWith}, {"user", m.Readers}} {
		for _, name := range p.names {
			if _, err := tx.Exec(ctx, `INSERT INTO record_access (record_id, kind, principal) VALUES (?, ?, ?)`, id, p.kind, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadShares reads the record's sharing lists into m.
func LoadShares(ctx context.Context, q db.Querier, id string, m *Marking) error {
	rows, err := q.Query(ctx, `SELECT kind, principal FROM record_access WHERE record_id = ? ORDER BY kind, principal`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	m.SharedWith, m.Readers = nil, nil
	for rows.Next() {
		var kind, principal string
		if err := rows.Scan(&kind, &principal); err != nil {
			return err
		}
		if kind == "team" {
			m.SharedWith = append(m.SharedWith, principal)
		} else {
			m.Readers = append(m.Readers, principal)
		}
	}
	return rows.Err()
}

// DeleteShares removes a deleted record's sharing rows.
func DeleteShares(ctx context.Context, tx *db.Tx, id string) error {
	_, err := tx.Exec(ctx, `DELETE FROM record_access WHERE record_id = ?`, id)
	return err
}

// Stored reads the marking of the stored record id of kind; db.ErrNotFound
// when there is none.
func Stored(ctx context.Context, q db.Querier, kind Kind, id string) (Marking, error) {
	var m Marking
	err := q.QueryRow(ctx, `SELECT tlp, owner_team FROM `+kind.Table()+` WHERE id = ?`, id).Scan(&m.TLP, &m.Owner)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("%s %s: %w", kind, id, db.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("marking of %s %s: %w", kind, id, err)
	}
	return m, LoadShares(ctx, q, id, &m)
}

// Lookup reads what Decide needs of the stored record id: its marking and
// those of the records it depends on. db.ErrNotFound when it is missing.
func Lookup(ctx context.Context, q db.Querier, id string) (Record, error) {
	kind := KindOf(id)
	if kind == "" {
		return Record{}, fmt.Errorf("%s: %w", id, db.ErrNotFound)
	}
	if kind == Case {
		return lookupCase(ctx, q, id)
	}
	m, err := Stored(ctx, q, kind, id)
	if errors.Is(err, db.ErrNotFound) && kind != Object {
		// A STIX object harmtrace does not model may carry a modelled
		// kind's prefix (an identity that is no organisation).
		kind = Object
		m, err = Stored(ctx, q, kind, id)
	}
	if err != nil {
		return Record{}, err
	}
	rec := Record{Kind: kind, Marking: m}
	switch kind {
	case Harm:
		var incident string
		if err := q.QueryRow(ctx, `SELECT incident_id FROM harms WHERE id = ?`, id).Scan(&incident); err != nil {
			return rec, err
		}
		p, err := Stored(ctx, q, Incident, incident)
		if err != nil {
			return rec, err
		}
		rec.Parent = &p
	case Attribution:
		var incident, campaign sql.NullString
		var actor string
		if err := q.QueryRow(ctx, `SELECT incident_id, campaign_id, actor_id FROM attributions WHERE id = ?`, id).
			Scan(&incident, &campaign, &actor); err != nil {
			return rec, err
		}
		var p Marking
		if incident.Valid {
			p, err = Stored(ctx, q, Incident, incident.String)
		} else {
			p, err = Stored(ctx, q, Campaign, campaign.String)
		}
		if err != nil {
			return rec, err
		}
		rec.Parent = &p
		a, err := Stored(ctx, q, Actor, actor)
		if err != nil {
			return rec, err
		}
		rec.Refs = []Marking{a}
	}
	return rec, nil
}

// Check decides action on the stored record id: nil, ErrHidden (also for
// a missing record), a *Refusal, or the store's error.
func Check(ctx context.Context, q db.Querier, v Viewer, action Action, id string) error {
	rec, err := Lookup(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) {
		return ErrHidden
	}
	if err != nil {
		return err
	}
	return Decide(v, action, rec)
}

// MayRead reports whether v may read the stored record id; false for a
// missing one.
func MayRead(ctx context.Context, q db.Querier, v Viewer, id string) (bool, error) {
	err := Check(ctx, q, v, Read, id)
	if errors.Is(err, ErrHidden) {
		return false, nil
	}
	return err == nil, err
}
