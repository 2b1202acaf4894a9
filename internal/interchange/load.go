package interchange

import (
	"context"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Load reads the store into a Document for export. With maxTLP set, only
// incidents marked at most maxTLP are included, and with them only the
// organisations, harms, attributions and sources they refer to: a victim
// of a hidden incident is never named. progress, when not nil, is told how
// many incidents there are and returns what is told of each one read.
func Load(ctx context.Context, q db.Querier, maxTLP string, progress func(total int) Progress) (*Document, error) {
	ids, err := trace.IncidentIDs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load incidents: %w", err)
	}
	var tell Progress
	if progress != nil {
		tell = progress(len(ids))
	}
	return load(ctx, q, maxTLP, ids, true, tell)
}

// LoadIncidents reads the given incidents (those marked at most maxTLP)
// with the records they refer to, for a download of a selection: only the
// actors and campaigns they name come with them, and no kept STIX objects.
func LoadIncidents(ctx context.Context, q db.Querier, maxTLP string, ids []string) (*Document, error) {
	return load(ctx, q, maxTLP, ids, false, nil)
}

func load(ctx context.Context, q db.Querier, maxTLP string, ids []string, everything bool, tell Progress) (*Document, error) {
	doc := &Document{}
	orgs, sources := map[string]bool{}, map[string]bool{}
	cite := func(list []string) {
		for _, id := range list {
			sources[id] = true
		}
	}
	for _, id := range ids {
		if tell != nil {
			tell(1)
		}
		in, err := trace.GetIncident(ctx, q, id)
		if err != nil {
			return nil, err
		}
		if !Visible(in.TLP, maxTLP) {
			continue
		}
		if maxTLP == "clear" {
			// Who owns an incident and who shares it are this
			// installation's business, not open data.
			in.Owner, in.SharedWith, in.Readers = "", nil, nil
		}
		doc.Incidents = append(doc.Incidents, *in)
		cite(in.SourceIDs)
		for _, v := range in.Victims {
			orgs[v.OrganisationID] = true
		}
		harms, err := harm.OfIncident(ctx, q, id)
		if err != nil {
			return nil, err
		}
		for _, h := range harms {
			cite(h.SourceIDs)
			if h.OrganisationID != "" {
				orgs[h.OrganisationID] = true
			}
		}
		doc.Harms = append(doc.Harms, harms...)
		attrs, err := trace.AttributionsOf(ctx, q, id)
		if err != nil {
			return nil, err
		}
		for _, a := range attrs {
			cite(a.SourceIDs)
		}
		doc.Attributions = append(doc.Attributions, attrs...)
	}
	if err := loadCatalogue(ctx, q, doc, cite); err != nil {
		return nil, err
	}
	if !everything {
		doc.keepReferenced()
	}
	restricted := maxTLP != "" || !everything
	allOrgs, err := trace.ListOrganisations(ctx, q, 1<<31-1, 0)
	if err != nil {
		return nil, err
	}
	for _, o := range allOrgs {
		if !restricted || orgs[o.ID] {
			doc.Organisations = append(doc.Organisations, o)
		}
	}
	allSources, err := db.Column[string](ctx, q, `SELECT id FROM sources ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for _, id := range allSources {
		if restricted && !sources[id] {
			continue
		}
		s, err := trace.GetSource(ctx, q, id)
		if err != nil {
			return nil, err
		}
		doc.Sources = append(doc.Sources, *s)
	}
	if everything {
		doc.Objects, err = LoadObjects(ctx, q, maxTLP)
	}
	return doc, err
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

// loadCatalogue adds actors, campaigns and campaign attributions: they
// describe attackers, not victims, and carry no marking of their own.
func loadCatalogue(ctx context.Context, q db.Querier, doc *Document, cite func([]string)) error {
	actors, err := trace.ListActors(ctx, q, 1<<31-1, 0)
	if err != nil {
		return err
	}
	doc.Actors = actors
	campaignIDs, err := db.Column[string](ctx, q, `SELECT id FROM campaigns ORDER BY id`)
	if err != nil {
		return err
	}
	for _, id := range campaignIDs {
		c, err := trace.GetCampaign(ctx, q, id)
		if err != nil {
			return err
		}
		doc.Campaigns = append(doc.Campaigns, *c)
		attrs, err := trace.AttributionsOf(ctx, q, id)
		if err != nil {
			return err
		}
		for _, a := range attrs {
			cite(a.SourceIDs)
		}
		doc.Attributions = append(doc.Attributions, attrs...)
	}
	return nil
}
