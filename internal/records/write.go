package records

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// The workspace and the API save and delete records only through
// writeChecked (Form.Save) and DeleteChecked, which ask internal/access:
// the stored record must be one the viewer may write (else a Refusal, 403
// with its reason, or the answer a missing record gets); a new record
// belongs to the viewer's team; a reference to a record the viewer may not
// read is answered like one to a missing record; a harm or an attribution
// needs the right to write its incident or campaign; and a marking that
// would hide the record from the one who saves it is refused.

// markingOf returns the marking of a record of any kind.
func markingOf(rec any) *access.Marking {
	switch r := rec.(type) {
	case *trace.Incident:
		return &r.Marking
	case *harm.Harm:
		return &r.Marking
	case *trace.Attribution:
		return &r.Marking
	case *trace.Organisation:
		return &r.Marking
	case *trace.Source:
		return &r.Marking
	case *trace.Actor:
		return &r.Marking
	case *trace.Campaign:
		return &r.Marking
	}
	panic(fmt.Sprintf("markingOf: %T carries no marking", rec))
}

// ID returns the id of a record of any kind.
func ID(rec any) string {
	switch r := rec.(type) {
	case *trace.Incident:
		return r.ID
	case *harm.Harm:
		return r.ID
	case *trace.Attribution:
		return r.ID
	case *trace.Organisation:
		return r.ID
	case *trace.Source:
		return r.ID
	case *trace.Actor:
		return r.ID
	case *trace.Campaign:
		return r.ID
	}
	return ""
}

// reference is a field of a record that names another record.
type reference struct{ field, id string }

// referencesOf lists the records a record names.
func referencesOf(rec any) []reference {
	var out []reference
	add := func(field, id string) {
		if id != "" {
			out = append(out, reference{field, id})
		}
	}
	sources := func(ids []string) {
		for i, id := range ids {
			add(fmt.Sprintf("source_ids[%d]", i), id)
		}
	}
	switch r := rec.(type) {
	case *trace.Incident:
		for i, v := range r.Victims {
			add(fmt.Sprintf("victims[%d].organisation_id", i), v.OrganisationID)
		}
		add("campaign_id", r.CampaignID)
		sources(r.SourceIDs)
	case *harm.Harm:
		add("organisation_id", r.OrganisationID)
		sources(r.SourceIDs)
	case *trace.Attribution:
		add("actor_id", r.ActorID)
		sources(r.SourceIDs)
	}
	return out
}

// writeChecked runs save, the saving of rec by the request's viewer, after
// asking access, and checks afterwards that the viewer still reads it.
// stored is the record as it is before the change (nil for a new one): the
// references it holds to records the viewer may not read stay, and only
// those may remain unreadable.
func writeChecked(ctx context.Context, tx *db.Tx, r *http.Request, rec, stored any, save func() error) error {
	v := httpkit.Access(r)
	m := markingOf(rec)
	isNew := true
	if id := ID(rec); id != "" {
		stored, err := access.Lookup(ctx, tx, id)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if err == nil {
			if err := access.Decide(v, access.Write, stored); err != nil {
				return err
			}
			m.Owner, isNew = stored.Marking.Owner, false // a change does not move a record to another team
		}
	}
	if isNew {
		if err := v.MayCreate(); err != nil {
			return err
		}
		m.Owner = v.TeamID // a new record belongs to its creator's team
	}
	kept := map[string]bool{}
	if stored != nil && !isNew {
		if err := keepHidden(ctx, tx, v, stored, rec); err != nil {
			return err
		}
		for _, ref := range referencesOf(stored) {
			kept[ref.id] = true
		}
	}
	for _, ref := range referencesOf(rec) {
		if kept[ref.id] {
			continue
		}
		ok, err := access.MayRead(ctx, tx, v, ref.id)
		if err != nil {
			return err
		}
		if !ok {
			return validate.Errors{{Field: ref.field, Message: fmt.Sprintf("no record with id %q", ref.id)}}
		}
	}
	switch p := rec.(type) {
	case *harm.Harm:
		if err := report.MayAttach(ctx, tx, v, "incident_id", p.IncidentID); err != nil {
			return err
		}
	case *trace.Attribution:
		if err := report.MayAttach(ctx, tx, v, "incident_id", p.IncidentID); err != nil {
			return err
		}
		if err := report.MayAttach(ctx, tx, v, "campaign_id", p.CampaignID); err != nil {
			return err
		}
	}
	if err := save(); err != nil {
		return err
	}
	// Refuse a marking that would hide the record from the one who saves
	// it: nobody could then see or correct the mistake.
	ok, err := access.MayRead(ctx, tx, v, ID(rec))
	if err == nil && !ok {
		err = validate.Errors{{Field: "tlp", Message: fmt.Sprintf(
			"with TLP:%s you would no longer see this record: name yourself among the readers, or choose another marking", m.TLP)}}
	}
	return err
}

// DeleteChecked deletes the record id after asking access.
func DeleteChecked(ctx context.Context, tx *db.Tx, r *http.Request, id string, remove func(context.Context, *db.Tx, string) error) error {
	if err := access.Check(ctx, tx, httpkit.Access(r), access.Write, id); err != nil {
		return err
	}
	return remove(ctx, tx, id)
}
