package interchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// An import is a write like any other (internal/access). Markings come
// from each record's own marking, else its document's (settleMarkings), and
// an import never lowers the marking of a stored record. A web upload
// carries a Guard, which keeps it within its uploader's reach:
//
//   - a record whose id matches a stored record the uploader may not read,
//     and every record whose id is derived from a name or a key (UUID v5,
//     which anyone could compute), gets an id of the uploader's team's own
//     (Guard.place): it is a separate record, and the summary counts it as
//     created, so an upload never tells that a hidden record exists;
//   - a stored record the uploader may read but not write stays as it is:
//     the upload is refused if it would change it;
//   - a reference to a stored record the uploader may not read is answered
//     like a reference to a missing one;
//   - duplicate detection merges only into incidents the uploader may write.

// Guard keeps an upload within its uploader's reach; the records it brings
// belong to Owner, the uploader's team.
type Guard struct {
	Viewer access.Viewer
	Owner  string
}

// record is one record of a document, seen through what access needs.
type record struct {
	kind    access.Kind
	id      *string
	marking *access.Marking
}

// records lists every record of the document.
func (doc *Document) records() []record {
	var out []record
	for i := range doc.Organisations {
		out = append(out, record{access.Organisation, &doc.Organisations[i].ID, &doc.Organisations[i].Marking})
	}
	for i := range doc.Sources {
		out = append(out, record{access.Source, &doc.Sources[i].ID, &doc.Sources[i].Marking})
	}
	for i := range doc.Actors {
		out = append(out, record{access.Actor, &doc.Actors[i].ID, &doc.Actors[i].Marking})
	}
	for i := range doc.Campaigns {
		out = append(out, record{access.Campaign, &doc.Campaigns[i].ID, &doc.Campaigns[i].Marking})
	}
	for i := range doc.Incidents {
		out = append(out, record{access.Incident, &doc.Incidents[i].ID, &doc.Incidents[i].Marking})
	}
	for i := range doc.Attributions {
		out = append(out, record{access.Attribution, &doc.Attributions[i].ID, &doc.Attributions[i].Marking})
	}
	for i := range doc.Harms {
		out = append(out, record{access.Harm, &doc.Harms[i].ID, &doc.Harms[i].Marking})
	}
	for i := range doc.Objects {
		out = append(out, record{access.Object, &doc.Objects[i].ID, &doc.Objects[i].Marking})
	}
	return out
}

// reference is one record's reference to another.
type reference struct {
	from  *access.Marking // the referring record's marking
	field string
	id    *string
}

// references lists every reference between records of the document.
func (doc *Document) references() []reference {
	var out []reference
	add := func(from *access.Marking, field string, id *string) {
		if *id != "" {
			out = append(out, reference{from, field, id})
		}
	}
	for i := range doc.Incidents {
		in := &doc.Incidents[i]
		for j := range in.Victims {
			add(&in.Marking, fmt.Sprintf("victims[%d].organisation_id", j), &in.Victims[j].OrganisationID)
		}
		for j := range in.SourceIDs {
			add(&in.Marking, fmt.Sprintf("source_ids[%d]", j), &in.SourceIDs[j])
		}
		add(&in.Marking, "campaign_id", &in.CampaignID)
	}
	for i := range doc.Harms {
		h := &doc.Harms[i]
		add(&h.Marking, "incident_id", &h.IncidentID)
		add(&h.Marking, "organisation_id", &h.OrganisationID)
		for j := range h.SourceIDs {
			add(&h.Marking, fmt.Sprintf("source_ids[%d]", j), &h.SourceIDs[j])
		}
	}
	for i := range doc.Attributions {
		a := &doc.Attributions[i]
		add(&a.Marking, "incident_id", &a.IncidentID)
		add(&a.Marking, "campaign_id", &a.CampaignID)
		add(&a.Marking, "actor_id", &a.ActorID)
		for j := range a.SourceIDs {
			add(&a.Marking, fmt.Sprintf("source_ids[%d]", j), &a.SourceIDs[j])
		}
	}
	return out
}

// SettleMarkings gives every record of the document its marking: its own
// when it has one, else def (the event's, the bundle's, --tlp or the
// default). A record that another refers to (a victim named by an
// incident, a source cited by a harm, the actor of an attribution) takes
// the stricter of its own marking and its referrers'; a harm or an
// attribution is at least as strict as the incident or campaign it belongs
// to; a kept object modelled as a record takes the record's marking.
func (doc *Document) SettleMarkings(def string) {
	if def == "" {
		def = trace.DefaultTLP
	}
	byID := map[string]*access.Marking{}
	dependent := doc.dependents()
	for _, r := range doc.records() {
		r.marking.TLP = strings.ToLower(strings.TrimSpace(r.marking.TLP))
		if r.marking.TLP == "" && !dependent[r.marking] {
			r.marking.TLP = def
		}
		if r.kind != access.Object {
			byID[*r.id] = r.marking
		}
	}
	// Referrers first: an incident's marking settles its harms, whose
	// markings then settle the sources they cite. Three passes reach the
	// end of the longest chain (incident → harm → source).
	for range 3 {
		for _, ref := range doc.references() {
			from, to := ref.from, byID[*ref.id]
			parent := strings.HasSuffix(ref.field, "incident_id") || (ref.field == "campaign_id" && isAttribution(doc, from))
			if to == nil || (from.TLP != "" && !slices.Contains(access.TLPs, from.TLP)) || (to.TLP != "" && !slices.Contains(access.TLPs, to.TLP)) {
				continue // an unknown marking is refused when its record is saved
			}
			if parent {
				from, to = to, from // the harm or attribution follows its incident or campaign
			}
			if to.TLP == "" || access.Rank(from.TLP) > access.Rank(to.TLP) {
				*to = inherit(*from)
			}
		}
	}
	// A harm or an attribution without a marking of its own whose incident
	// or campaign is not in the document takes the stored one's (harm.Save,
	// trace.SaveAttribution).
	for i := range doc.Objects {
		if m, ok := byID[doc.Objects[i].ID]; ok && doc.Objects[i].Modelled {
			doc.Objects[i].Marking = *m
		}
	}
}

// dependents are the harms and attributions whose incident or campaign the
// document holds: without a marking of their own, they take that record's,
// not the default.
func (doc *Document) dependents() map[*access.Marking]bool {
	parents := map[string]bool{}
	for _, in := range doc.Incidents {
		parents[in.ID] = true
	}
	for _, c := range doc.Campaigns {
		parents[c.ID] = true
	}
	out := map[*access.Marking]bool{}
	for i := range doc.Harms {
		out[&doc.Harms[i].Marking] = parents[doc.Harms[i].IncidentID]
	}
	for i := range doc.Attributions {
		a := &doc.Attributions[i]
		out[&a.Marking] = parents[a.IncidentID] || parents[a.CampaignID]
	}
	return out
}

func isAttribution(doc *Document, m *access.Marking) bool {
	for i := range doc.Attributions {
		if &doc.Attributions[i].Marking == m {
			return true
		}
	}
	return false
}

// inherit copies a marking, with its own copies of the sharing lists.
func inherit(m access.Marking) access.Marking {
	m.SharedWith = append([]string(nil), m.SharedWith...)
	m.Readers = append([]string(nil), m.Readers...)
	return m
}

// derived reports whether id is prefix--<UUID v5>: computed from a name or
// a key, so that anyone could compute it.
func derived(id string) bool {
	_, uuid, ok := strings.Cut(id, "--")
	return ok && len(uuid) == 36 && uuid[14] == '5'
}

// prepare runs before anything is written: it places every record of the
// upload within the uploader's reach, rewrites the references to records
// it moved, and refuses references to stored records the uploader may not
// read with the answer a missing record gets.
func (g *Guard) prepare(ctx context.Context, q db.Querier, doc *Document) error {
	if g == nil {
		return nil
	}
	moved := map[string]string{}
	inDoc := map[string]bool{}
	for _, r := range doc.records() {
		id, err := g.place(ctx, q, *r.id)
		if err != nil {
			return err
		}
		if id != *r.id {
			moved[*r.id] = id
			if r.kind == access.Object {
				doc.Objects[objectIndex(doc, r.id)].rekey(id)
			}
			*r.id = id
		}
		inDoc[id] = true
	}
	for _, ref := range doc.references() {
		if to, ok := moved[*ref.id]; ok {
			*ref.id = to
			continue
		}
		if inDoc[*ref.id] {
			continue
		}
		ok, err := access.MayRead(ctx, q, g.Viewer, *ref.id)
		if err != nil {
			return err
		}
		if !ok {
			return validate.Errors{{Field: ref.field, Message: fmt.Sprintf("no record with id %q", *ref.id)}}
		}
	}
	return nil
}

func objectIndex(doc *Document, id *string) int {
	for i := range doc.Objects {
		if &doc.Objects[i].ID == id {
			return i
		}
	}
	return -1
}

// place returns the id a record of the upload is stored under: its own
// when it is new and not derived, when the uploader may write the stored
// one, or when the stored one is visible (a change is then refused on
// saving); else an id of the uploader's team's own.
func (g *Guard) place(ctx context.Context, q db.Querier, id string) (string, error) {
	decision, missing, err := g.decide(ctx, q, id)
	if err != nil {
		return "", err
	}
	if !missing && decision == nil {
		return id, nil // the uploader's own record
	}
	if !derived(id) && (missing || !errors.Is(decision, access.ErrHidden)) {
		return id, nil
	}
	own := ownedID(g.Owner, id)
	if decision, missing, err = g.decide(ctx, q, own); err != nil {
		return "", err
	}
	if missing || decision == nil {
		return own, nil
	}
	return "", validate.Errors{{Field: "id", Message: fmt.Sprintf("no record with id %q", id)}}
}

// decide is the uploader's right to write the stored record id.
func (g *Guard) decide(ctx context.Context, q db.Querier, id string) (decision error, missing bool, err error) {
	rec, err := access.Lookup(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return access.Decide(g.Viewer, access.Write, rec), false, nil
}

// ownedID is the id of the team's own copy of a record with id: a UUID v5
// of the team and the id, so that importing the same file again finds it.
func ownedID(team, id string) string {
	prefix, _, _ := strings.Cut(id, "--")
	return trace.DerivedID(prefix, "owner|"+team+"|"+id)
}

// settle gives a record about to be saved its stored marking where the
// store has it, never lowered by the import, or makes it the uploader's:
// it tells whether the stored record may only be read, in which case the
// save must change nothing.
func (doc *Document) settle(ctx context.Context, q db.Querier, kind access.Kind, id string, m *access.Marking) (readOnly bool, err error) {
	stored, err := access.Stored(ctx, q, kind, id)
	if errors.Is(err, db.ErrNotFound) {
		switch {
		case doc.Guard != nil:
			m.Owner = doc.Guard.Owner
		case m.Owner == "":
			m.Owner = doc.Owner
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if access.Rank(m.TLP) <= access.Rank(stored.TLP) {
		*m = stored
	} else {
		m.Owner = stored.Owner // an import does not take a record over
	}
	if doc.Guard == nil {
		return false, nil
	}
	decision := access.Decide(doc.Guard.Viewer, access.Write, access.Record{Kind: kind, Marking: stored})
	return decision != nil, nil
}

// errReadOnly refuses an upload that would change a record the uploader
// may read but not write.
var errReadOnly error = validate.Errors{{Field: "id", Message: "this record belongs to another organisation or to the public catalogue: an upload may not change it; suggest a correction instead"}}

// rekey gives a kept object a new id, in its body too.
func (o *Object) rekey(id string) {
	var body map[string]json.RawMessage
	if json.Unmarshal(o.Body, &body) == nil {
		body["id"], _ = json.Marshal(id)
		o.Body, _ = json.Marshal(body)
	}
	o.ID = id
}

// reaches reports whether the guard lets the upload see the incident id
// (a match by duplicate detection); always true without a guard.
func (g *Guard) reaches(ctx context.Context, q db.Querier, id string) (bool, error) {
	if g == nil {
		return true, nil
	}
	return access.MayRead(ctx, q, g.Viewer, id)
}

// writes reports whether the guard lets the upload change the stored
// record id (merge into it); a store error answers no.
func (g *Guard) writes(ctx context.Context, q db.Querier, id string) bool {
	return g == nil || access.Check(ctx, q, g.Viewer, access.Write, id) == nil
}
