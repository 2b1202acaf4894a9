package records

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
)

// History returns the revisions of record id and of what was attached to
// it (revision.Attached: an incident's harms and attributions while they
// belonged to it), as viewer v may see them (VisibleHistory); false when v
// may not read the record.
func History(ctx context.Context, q db.Querier, v access.Viewer, id string) ([]revision.Revision, bool, error) {
	ok, err := access.MayRead(ctx, q, v, id)
	if err != nil || !ok {
		return nil, false, err
	}
	revs, err := revision.List(ctx, q, id)
	if err != nil {
		return nil, false, err
	}
	if kind := access.KindOf(id); kind == access.Incident || kind == access.Campaign {
		attached, err := revision.Attached(ctx, q, id)
		if err != nil {
			return nil, false, err
		}
		revs = append(revs, attached...)
	}
	revs, err = VisibleHistory(ctx, q, v, id, revs)
	return revs, true, err
}

var recordID = regexp.MustCompile(`^[a-z][a-z0-9-]*--[0-9a-fA-F-]{36}$`)

// VisibleHistory redacts the revisions that involve a record v may not
// read: each is shown as "a change you may not see", its time, kind and
// action only. A revision of another record than id (an attached harm or
// attribution) is judged by the marking that record had then, rebuilt
// from its revisions, with the record id as its parent.
func VisibleHistory(ctx context.Context, q db.Querier, v access.Viewer, id string, revs []revision.Revision) ([]revision.Revision, error) {
	if v.Operator {
		return revs, nil
	}
	readable := map[string]bool{}
	reads := func(ref string) (bool, error) {
		if ok, seen := readable[ref]; seen {
			return ok, nil
		}
		ok, err := access.MayRead(ctx, q, v, ref)
		readable[ref] = ok
		return ok, err
	}
	parent, err := access.Stored(ctx, q, access.KindOf(id), id)
	if err != nil {
		return nil, err
	}
	markings := map[int64]access.Marking{} // an attached record's marking as of each of its revisions
	out := make([]revision.Revision, 0, len(revs))
	for _, rev := range revs {
		hidden := false
		if rev.RecordID != id {
			if _, ok := markings[rev.ID]; !ok {
				if err := markingsOf(ctx, q, rev.RecordID, markings); err != nil {
					return nil, err
				}
			}
			m := markings[rev.ID]
			hidden = access.Decide(v, access.Read, access.Record{Marking: m, Parent: &parent}) != nil
		}
		for _, c := range rev.Changes {
			for _, ref := range idsIn(c.Old, c.New) {
				if ref == id || ref == rev.RecordID || hidden {
					continue
				}
				ok, err := reads(ref)
				if err != nil {
					return nil, err
				}
				hidden = hidden || !ok
			}
		}
		if hidden {
			rev = revision.Revision{ID: rev.ID, RecordKind: rev.RecordKind, Action: rev.Action, Time: rev.Time,
				Reason: "a change you may not see", Changes: []revision.Change{}, Hidden: true}
		}
		out = append(out, rev)
	}
	return out, nil
}

// markingsOf rebuilds, from all the revisions of record id, the marking it
// had at each of them (before its deletion, for a delete).
func markingsOf(ctx context.Context, q db.Querier, id string, out map[int64]access.Marking) error {
	revs, err := revision.List(ctx, q, id)
	if err != nil {
		return err
	}
	fields := map[string]json.RawMessage{}
	for _, rev := range revs {
		for _, c := range rev.Changes {
			if rev.Action == revision.Delete {
				fields[c.Field] = c.Old
			} else {
				fields[c.Field] = c.New
			}
		}
		out[rev.ID] = markingOfFields(fields)
	}
	return nil
}

// markingOfFields reads a record's marking from its JSON fields.
func markingOfFields(fields map[string]json.RawMessage) access.Marking {
	var m access.Marking
	_ = json.Unmarshal(fields["tlp"], &m.TLP)
	_ = json.Unmarshal(fields["owner"], &m.Owner)
	_ = json.Unmarshal(fields["shared_with"], &m.SharedWith)
	_ = json.Unmarshal(fields["readers"], &m.Readers)
	if m.TLP == "" {
		m.TLP = "clear" // recorded before records carried markings: as its parent
	}
	return m
}

// idsIn lists the record ids that JSON values name: a string, a list of
// strings, or objects holding them (an incident's victims).
func idsIn(values ...json.RawMessage) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if recordID.MatchString(x) && !isPrincipal(x) {
				out = append(out, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, raw := range values {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			walk(v)
		}
	}
	return out
}

// isPrincipal reports whether id names a team or a user (a sharing list),
// not a record.
func isPrincipal(id string) bool {
	k := access.KindOf(id)
	return k == access.Object && (len(id) > 6 && (id[:6] == "team--" || id[:6] == "user--"))
}
