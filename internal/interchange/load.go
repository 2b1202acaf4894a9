package interchange

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Scope is what an export may contain: the records the viewer may read
// whose marking is at most MaxTLP ("" for any).
type Scope struct {
	Viewer access.Viewer
	MaxTLP string
}

// keeps reports whether a record with marking m is in the scope.
func (s Scope) keeps(m access.Marking) bool {
	return s.Viewer.Reads(m) && access.Within(m.TLP, s.MaxTLP)
}

// public reports whether the export leaves the installation as open data:
// who owns a record and whom it is shared with are then left out.
func (s Scope) public() bool { return s.MaxTLP == "clear" || s.Viewer.IsPublic() }

// Load reads the store into a Document for the operator's export. With
// maxTLP set, only records marked at most maxTLP are included, each by its
// own marking; a reference to a record left out is dropped (a victim left
// out is counted as undisclosed), so the document never names what it may
// not contain. progress, when not nil, is told how many incidents there
// are and returns what is told of each one read.
func Load(ctx context.Context, q db.Querier, maxTLP string, progress func(total int) Progress) (*Document, error) {
	ids, err := trace.IncidentIDs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load incidents: %w", err)
	}
	var tell Progress
	if progress != nil {
		tell = progress(len(ids))
	}
	return load(ctx, q, Scope{Viewer: access.Operator, MaxTLP: maxTLP}, ids, true, tell)
}

// LoadIncidents reads the given incidents (those in scope) with the records
// they refer to, for a download of a selection: only the actors and
// campaigns they name come with them, and no kept STIX objects.
func LoadIncidents(ctx context.Context, q db.Querier, scope Scope, ids []string) (*Document, error) {
	return load(ctx, q, scope, ids, false, nil)
}

// loadChunk is how many incidents load reads at a time, each table with
// one query for all of them.
const loadChunk = 500

func load(ctx context.Context, q db.Querier, scope Scope, ids []string, everything bool, tell Progress) (*Document, error) {
	doc := &Document{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), loadChunk)]
		ids = ids[len(chunk):]
		if err := loadIncidents(ctx, q, scope, chunk, doc); err != nil {
			return nil, err
		}
		if tell != nil {
			tell(len(chunk))
		}
	}
	if err := loadCatalogue(ctx, q, doc, scope, everything); err != nil {
		return nil, err
	}
	if !everything {
		doc.keepReferenced()
	}
	restricted := scope.MaxTLP != "" || !everything
	orgs, sources := doc.referenced()
	if err := loadReferenced(ctx, q, doc, scope, restricted, orgs, sources); err != nil {
		return nil, err
	}
	if everything {
		objects, err := LoadObjects(ctx, q, "")
		if err != nil {
			return nil, err
		}
		doc.Objects = keep(objects, scope, func(o Object) access.Marking { return o.Marking })
	}
	doc.redact()
	if scope.public() {
		doc.forPublic()
	}
	return doc, nil
}

// loadIncidents adds the incidents in scope among ids, with their harms and
// attributions in scope.
func loadIncidents(ctx context.Context, q db.Querier, scope Scope, ids []string, doc *Document) error {
	incidents, err := trace.GetIncidents(ctx, q, ids)
	if err != nil {
		return err
	}
	if len(incidents) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
		return fmt.Errorf("load incidents: %w", db.ErrNotFound)
	}
	var kept []string
	for _, in := range incidents {
		if scope.keeps(in.Marking) {
			doc.Incidents = append(doc.Incidents, in)
			kept = append(kept, in.ID)
		}
	}
	harms, err := harm.OfIncidents(ctx, q, kept)
	if err != nil {
		return err
	}
	attrs, err := trace.AttributionsOfMany(ctx, q, kept)
	if err != nil {
		return err
	}
	for _, id := range kept {
		doc.Harms = append(doc.Harms, keep(harms[id], scope, func(h harm.Harm) access.Marking { return h.Marking })...)
		doc.Attributions = append(doc.Attributions, keep(attrs[id], scope, func(a trace.Attribution) access.Marking { return a.Marking })...)
	}
	return nil
}

// loadReferenced adds the organisations and sources in scope: those the
// document refers to when restricted, else all of them.
func loadReferenced(ctx context.Context, q db.Querier, doc *Document, scope Scope, restricted bool, orgs, sources map[string]bool) error {
	var allOrgs []trace.Organisation
	var allSources []trace.Source
	var err error
	if restricted {
		if allOrgs, err = trace.GetOrganisations(ctx, q, slices.Sorted(maps.Keys(orgs))); err != nil {
			return err
		}
		if allSources, err = trace.GetSources(ctx, q, slices.Sorted(maps.Keys(sources))); err != nil {
			return err
		}
	} else {
		if allOrgs, err = trace.ListOrganisations(ctx, q, 1<<31-1, 0); err != nil {
			return err
		}
		ids, err := db.Column[string](ctx, q, `SELECT id FROM sources ORDER BY id`)
		if err != nil {
			return err
		}
		if allSources, err = trace.GetSources(ctx, q, ids); err != nil {
			return err
		}
	}
	doc.Organisations = append(doc.Organisations, keep(allOrgs, scope, func(o trace.Organisation) access.Marking { return o.Marking })...)
	doc.Sources = append(doc.Sources, keep(allSources, scope, func(s trace.Source) access.Marking { return s.Marking })...)
	return nil
}

func keep[T any](records []T, scope Scope, marking func(T) access.Marking) []T {
	var out []T
	for _, r := range records {
		if scope.keeps(marking(r)) {
			out = append(out, r)
		}
	}
	return out
}

// referenced returns the organisations and sources the document's
// incidents, harms and attributions name.
func (doc *Document) referenced() (orgs, sources map[string]bool) {
	orgs, sources = map[string]bool{}, map[string]bool{}
	cite := func(list []string) {
		for _, id := range list {
			sources[id] = true
		}
	}
	for _, in := range doc.Incidents {
		cite(in.SourceIDs)
		for _, v := range in.Victims {
			orgs[v.OrganisationID] = true
		}
	}
	for _, h := range doc.Harms {
		cite(h.SourceIDs)
		if h.OrganisationID != "" {
			orgs[h.OrganisationID] = true
		}
	}
	for _, a := range doc.Attributions {
		cite(a.SourceIDs)
	}
	return orgs, sources
}

// redact drops every reference to a record the document does not hold:
// the reader may not see it. A victim dropped is counted as undisclosed; an
// attribution whose actor, incident or campaign is left out goes with it.
func (doc *Document) redact() {
	has := map[string]bool{}
	for _, o := range doc.Organisations {
		has[o.ID] = true
	}
	for _, s := range doc.Sources {
		has[s.ID] = true
	}
	for _, a := range doc.Actors {
		has[a.ID] = true
	}
	for _, c := range doc.Campaigns {
		has[c.ID] = true
	}
	for _, in := range doc.Incidents {
		has[in.ID] = true
	}
	present := func(ids []string) []string {
		return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !has[id] })
	}
	for i := range doc.Incidents {
		in := &doc.Incidents[i]
		in.SourceIDs = present(in.SourceIDs)
		kept := in.Victims[:0:0]
		for _, v := range in.Victims {
			if has[v.OrganisationID] {
				kept = append(kept, v)
			} else {
				in.UndisclosedVictims++
			}
		}
		in.Victims = kept
		if in.CampaignID != "" && !has[in.CampaignID] {
			in.CampaignID = ""
		}
	}
	harms := doc.Harms[:0:0]
	for _, h := range doc.Harms {
		if !has[h.IncidentID] {
			continue
		}
		h.SourceIDs = present(h.SourceIDs)
		if h.OrganisationID != "" && !has[h.OrganisationID] {
			h.OrganisationID = ""
		}
		harms = append(harms, h)
	}
	doc.Harms = harms
	attrs := doc.Attributions[:0:0]
	for _, a := range doc.Attributions {
		if !has[a.ActorID] || (a.IncidentID != "" && !has[a.IncidentID]) || (a.CampaignID != "" && !has[a.CampaignID]) {
			continue
		}
		a.SourceIDs = present(a.SourceIDs)
		attrs = append(attrs, a)
	}
	doc.Attributions = attrs
}

// forPublic leaves out who owns each record and whom it is shared with:
// this installation's business, not open data.
func (doc *Document) forPublic() {
	for i := range doc.Incidents {
		doc.Incidents[i].Marking = doc.Incidents[i].Public()
	}
	for i := range doc.Harms {
		doc.Harms[i].Marking = doc.Harms[i].Public()
	}
	for i := range doc.Attributions {
		doc.Attributions[i].Marking = doc.Attributions[i].Public()
	}
	for i := range doc.Organisations {
		doc.Organisations[i].Marking = doc.Organisations[i].Public()
	}
	for i := range doc.Sources {
		doc.Sources[i].Marking = doc.Sources[i].Public()
	}
	for i := range doc.Actors {
		doc.Actors[i].Marking = doc.Actors[i].Public()
	}
	for i := range doc.Campaigns {
		doc.Campaigns[i].Marking = doc.Campaigns[i].Public()
	}
	for i := range doc.Objects {
		doc.Objects[i].Marking = doc.Objects[i].Public()
	}
}

// keepReferenced drops the actors, campaigns and campaign attributions that
// no incident of the document refers to.
func (doc *Document) keepReferenced() {
	campaigns := map[string]bool{}
	for _, in := range doc.Incidents {
		if in.CampaignID != "" {
			campaigns[in.CampaignID] = true
		}
	}
	var attrs []trace.Attribution
	actors := map[string]bool{}
	incidents := map[string]bool{}
	for _, in := range doc.Incidents {
		incidents[in.ID] = true
	}
	for _, a := range doc.Attributions {
		if incidents[a.IncidentID] || campaigns[a.CampaignID] {
			attrs = append(attrs, a)
			actors[a.ActorID] = true
		}
	}
	doc.Attributions = attrs
	var keptActors []trace.Actor
	for _, a := range doc.Actors {
		if actors[a.ID] {
			keptActors = append(keptActors, a)
		}
	}
	doc.Actors = keptActors
	var keptCampaigns []trace.Campaign
	for _, c := range doc.Campaigns {
		if campaigns[c.ID] {
			keptCampaigns = append(keptCampaigns, c)
		}
	}
	doc.Campaigns = keptCampaigns
}

// loadCatalogue adds the actors, campaigns and campaign attributions in
// scope: every campaign for a whole export, those the incidents name for a
// selection.
func loadCatalogue(ctx context.Context, q db.Querier, doc *Document, scope Scope, everything bool) error {
	actors, err := trace.ListActors(ctx, q, 1<<31-1, 0)
	if err != nil {
		return err
	}
	doc.Actors = keep(actors, scope, func(a trace.Actor) access.Marking { return a.Marking })
	var campaignIDs []string
	if everything {
		if campaignIDs, err = db.Column[string](ctx, q, `SELECT id FROM campaigns ORDER BY id`); err != nil {
			return err
		}
	} else {
		named := map[string]bool{}
		for _, in := range doc.Incidents {
			if in.CampaignID != "" {
				named[in.CampaignID] = true
			}
		}
		campaignIDs = slices.Sorted(maps.Keys(named))
	}
	var kept []string
	for _, id := range campaignIDs {
		c, err := trace.GetCampaign(ctx, q, id)
		if err != nil {
			return err
		}
		if scope.keeps(c.Marking) {
			doc.Campaigns = append(doc.Campaigns, *c)
			kept = append(kept, id)
		}
	}
	attrs, err := trace.AttributionsOfMany(ctx, q, kept)
	if err != nil {
		return err
	}
	for _, id := range kept {
		doc.Attributions = append(doc.Attributions, keep(attrs[id], scope, func(a trace.Attribution) access.Marking { return a.Marking })...)
	}
	return nil
}
