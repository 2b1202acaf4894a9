package records

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// A record the viewer may read can name records the viewer may not: a
// CLEAR incident's AMBER victim, a harm's source that only its team reads.
// What a viewer is shown of a record leaves those names out
// (WithoutHidden), and what a viewer saves keeps them (keepHidden): the
// viewer cannot see them, so cannot have meant to remove them.

// hiddenIDs are the ids among the references of rec that v may not read.
func hiddenIDs(ctx context.Context, q db.Querier, v access.Viewer, rec any) (map[string]bool, error) {
	hidden := map[string]bool{}
	for _, ref := range referencesOf(rec) {
		if _, seen := hidden[ref.id]; seen {
			continue
		}
		ok, err := access.MayRead(ctx, q, v, ref.id)
		if err != nil {
			return nil, err
		}
		if !ok {
			hidden[ref.id] = true
		}
	}
	return hidden, nil
}

// WithoutHidden removes from rec, in place, every reference to a record v
// may not read; a victim removed is counted as undisclosed.
func WithoutHidden(ctx context.Context, q db.Querier, v access.Viewer, rec any) error {
	hidden, err := hiddenIDs(ctx, q, v, rec)
	if err != nil || len(hidden) == 0 {
		return err
	}
	drop := func(ids []string) []string {
		return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return hidden[id] })
	}
	blank := func(id *string) {
		if hidden[*id] {
			*id = ""
		}
	}
	switch r := rec.(type) {
	case *trace.Incident:
		kept := r.Victims[:0:0]
		for _, vic := range r.Victims {
			if hidden[vic.OrganisationID] {
				r.UndisclosedVictims++
				continue
			}
			kept = append(kept, vic)
		}
		r.Victims = kept
		blank(&r.CampaignID)
		r.SourceIDs = drop(r.SourceIDs)
	case *harm.Harm:
		blank(&r.OrganisationID)
		r.SourceIDs = drop(r.SourceIDs)
	case *trace.Attribution:
		blank(&r.ActorID)
		r.SourceIDs = drop(r.SourceIDs)
	}
	return nil
}

// keepHidden puts back into edited the references of stored that v may
// not read and that edited lacks.
func keepHidden(ctx context.Context, q db.Querier, v access.Viewer, stored, edited any) error {
	hidden, err := hiddenIDs(ctx, q, v, stored)
	if err != nil || len(hidden) == 0 {
		return err
	}
	add := func(to *[]string, from []string) {
		for _, id := range from {
			if hidden[id] && !slices.Contains(*to, id) {
				*to = append(*to, id)
			}
		}
	}
	restore := func(to *string, from string) {
		if hidden[from] && *to == "" {
			*to = from
		}
	}
	switch s := stored.(type) {
	case *trace.Incident:
		e := edited.(*trace.Incident)
		for _, vic := range s.Victims {
			if hidden[vic.OrganisationID] && !slices.ContainsFunc(e.Victims, func(x trace.Victim) bool { return x.OrganisationID == vic.OrganisationID }) {
				e.Victims = append(e.Victims, vic)
			}
		}
		restore(&e.CampaignID, s.CampaignID)
		add(&e.SourceIDs, s.SourceIDs)
		e.UndisclosedVictims = 0
	case *harm.Harm:
		e := edited.(*harm.Harm)
		restore(&e.OrganisationID, s.OrganisationID)
		add(&e.SourceIDs, s.SourceIDs)
	case *trace.Attribution:
		e := edited.(*trace.Attribution)
		restore(&e.ActorID, s.ActorID)
		add(&e.SourceIDs, s.SourceIDs)
	}
	return nil
}

// Copy copies a record deeply into to, a pointer of its type.
func Copy(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}
