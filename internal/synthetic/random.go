package synthetic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Random makes random changes through the store's own save functions, the
// way users do: incidents, victims, harms and attributions are created,
// edited, re-marked, shared and deleted. Tests use it to hold a fast path
// (the aggregates, the facet index) to the scan after every kind of write.
type Random struct {
	rng       *rand.Rand
	source    string
	orgs      []string
	actors    []string
	campaigns []string
	incidents []string
	harms     []string
	attrs     []string
}

// The few values the random records take, so that filters select some.
var (
	Sectors   = []string{"Health", "Education", "Water", "Immigration"}
	Countries = []string{"CD", "FR", "NO", "PT", "UA"}
	Teams     = []string{"", "team--a", "team--b"}
	Users     = []string{"user--reader", "user--other"}
	Attacks   = []string{"ransomware", "ddos", "data-breach"}
	Actors    = []string{"Mixed Spider", "Quiet Bear", "Loud Panda"}
	Campaigns = []string{"Open campaign", "Closed campaign"}
)

// NewRandom writes the records the random incidents refer to: a source,
// organisations, actors and campaigns, of every marking.
func NewRandom(ctx context.Context, store *db.DB, seed uint64) (*Random, error) {
	r := &Random{rng: rand.New(rand.NewPCG(seed, 7))}
	err := store.Write(ctx, db.Author{Who: "random"}, func(tx *db.Tx) error {
		src := &trace.Source{Title: "random", Kind: "news", Reliability: "B", Credibility: 2, Marking: access.Catalogue}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		r.source = src.ID
		for i := 0; i < 8; i++ {
			o := &trace.Organisation{Name: fmt.Sprintf("Random organisation %d", i), Kind: "ngo"}
			r.shapeOrganisation(o)
			if _, err := trace.SaveOrganisation(ctx, tx, o); err != nil {
				return err
			}
			r.orgs = append(r.orgs, o.ID)
		}
		for _, name := range Actors {
			a := &trace.Actor{Name: name, Type: "criminal", Marking: r.marking()}
			if _, err := trace.SaveActor(ctx, tx, a); err != nil {
				return err
			}
			r.actors = append(r.actors, a.ID)
		}
		for _, name := range Campaigns {
			c := &trace.Campaign{Name: name, Marking: access.Catalogue}
			if _, err := trace.SaveCampaign(ctx, tx, c); err != nil {
				return err
			}
			r.campaigns = append(r.campaigns, c.ID)
		}
		return nil
	})
	return r, err
}

func pick[T any](rng *rand.Rand, v []T) T { return v[rng.IntN(len(v))] }

// marking is a random marking: mostly clear, every other kind too, with
// owners, shares and readers among the teams and users above.
func (r *Random) marking() access.Marking {
	tlps := []string{"clear", "clear", "clear", "green", "amber", "amber+strict", "red"}
	m := access.Marking{TLP: pick(r.rng, tlps), Owner: pick(r.rng, Teams)}
	if r.rng.IntN(3) == 0 {
		m.SharedWith = []string{pick(r.rng, Teams[1:])}
	}
	if r.rng.IntN(3) == 0 {
		m.Readers = []string{pick(r.rng, Users)}
	}
	return m
}

func (r *Random) shapeOrganisation(o *trace.Organisation) {
	o.Sector, o.Country = pick(r.rng, append([]string{""}, Sectors...)), pick(r.rng, append([]string{""}, Countries...))
	o.Healthcare, o.Humanitarian = r.rng.IntN(3) == 0, r.rng.IntN(4) == 0
	o.Marking = access.Catalogue
	if r.rng.IntN(4) == 0 {
		o.Marking = r.marking()
	}
}

func (r *Random) shapeIncident(in *trace.Incident) {
	in.Title = pick(r.rng, Places) + " attacked"
	in.AttackTypes = []string{pick(r.rng, Attacks)}
	if r.rng.IntN(3) == 0 {
		in.AttackTypes = append(in.AttackTypes, pick(r.rng, Attacks))
	}
	in.Determination = pick(r.rng, []string{"claimed", "suspected", "confirmed", "confirmed", "false-positive"})
	in.Start, in.Discovered = "", ""
	switch r.rng.IntN(4) {
	case 0:
	case 1:
		in.Discovered = trace.Date(fmt.Sprintf("%d-0%d", 2019+r.rng.IntN(6), 1+r.rng.IntN(9)))
	default:
		in.Start = trace.Date(fmt.Sprintf("%d-0%d-1%d", 2019+r.rng.IntN(6), 1+r.rng.IntN(9), r.rng.IntN(10)))
	}
	in.Victims = nil
	for n := r.rng.IntN(3); n > 0; n-- {
		in.Victims = append(in.Victims, trace.Victim{OrganisationID: pick(r.rng, r.orgs)})
	}
	in.Countries = nil
	if r.rng.IntN(2) == 0 {
		in.Countries = []string{pick(r.rng, Countries)}
	}
	in.CampaignID = ""
	if r.rng.IntN(3) == 0 {
		in.CampaignID = pick(r.rng, r.campaigns)
	}
	in.Marking = r.marking()
	in.SourceIDs = []string{r.source}
}

// Step makes one random change in its own write transaction.
func (r *Random) Step(ctx context.Context, store *db.DB) error {
	return store.Write(ctx, db.Author{Who: "random"}, func(tx *db.Tx) error {
		choice := r.rng.IntN(10)
		if len(r.incidents) < 3 {
			choice = 0
		}
		switch choice {
		case 0, 1, 2:
			return r.newIncident(ctx, tx)
		case 3:
			return r.editIncident(ctx, tx)
		case 4:
			return r.deleteIncident(ctx, tx)
		case 5:
			return r.editOrganisation(ctx, tx)
		case 6, 7:
			return r.newHarm(ctx, tx)
		case 8:
			return r.newAttribution(ctx, tx)
		default:
			return r.deleteLink(ctx, tx)
		}
	})
}

func (r *Random) newIncident(ctx context.Context, tx *db.Tx) error {
	in := &trace.Incident{}
	r.shapeIncident(in)
	if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
		return fmt.Errorf("random incident: %w", err)
	}
	r.incidents = append(r.incidents, in.ID)
	return nil
}

func (r *Random) editIncident(ctx context.Context, tx *db.Tx) error {
	in, err := trace.GetIncident(ctx, tx, pick(r.rng, r.incidents))
	if err != nil {
		return err
	}
	r.shapeIncident(in)
	_, err = trace.SaveIncident(ctx, tx, in)
	return err
}

func (r *Random) deleteIncident(ctx context.Context, tx *db.Tx) error {
	i := r.rng.IntN(len(r.incidents))
	id := r.incidents[i]
	r.incidents = slices.Delete(r.incidents, i, i+1)
	// Its harms and attributions go with it.
	r.harms, r.attrs = nil, nil
	if err := trace.DeleteIncident(ctx, tx, id); err != nil {
		return err
	}
	var err error
	if r.harms, err = db.Column[string](ctx, tx, `SELECT id FROM harms ORDER BY id`); err != nil {
		return err
	}
	r.attrs, err = db.Column[string](ctx, tx, `SELECT id FROM attributions ORDER BY id`)
	return err
}

func (r *Random) editOrganisation(ctx context.Context, tx *db.Tx) error {
	o, err := trace.GetOrganisation(ctx, tx, pick(r.rng, r.orgs))
	if err != nil {
		return err
	}
	r.shapeOrganisation(o)
	_, err = trace.SaveOrganisation(ctx, tx, o)
	return err
}

func (r *Random) newHarm(ctx context.Context, tx *db.Tx) error {
	h := &harm.Harm{IncidentID: pick(r.rng, r.incidents), Indicator: pick(r.rng, []string{"people-affected", "records-exposed", "patients-affected"}),
		Certainty: "reported", SourceIDs: []string{r.source}, Marking: r.marking()}
	lo := int64(r.rng.IntN(1000))
	switch r.rng.IntN(3) {
	case 0:
		h.Min, h.Max = harm.Exact(lo), harm.Exact(lo)
	case 1:
		h.Min = harm.Exact(lo) // at least
	default:
		h.Min, h.Max = harm.Exact(lo), harm.Exact(lo+500)
	}
	if r.rng.IntN(2) == 0 {
		h.DataTypes = []string{pick(r.rng, []string{"health", "children", "personal"})}
	}
	if r.rng.IntN(4) == 0 {
		h.TLP = "" // marked as its incident
	}
	if _, err := harm.Save(ctx, tx, h); err != nil {
		return fmt.Errorf("random harm: %w", err)
	}
	r.harms = append(r.harms, h.ID)
	return nil
}

func (r *Random) newAttribution(ctx context.Context, tx *db.Tx) error {
	a := &trace.Attribution{ActorID: pick(r.rng, r.actors), AttributedBy: "random", Confidence: "likely",
		SourceIDs: []string{r.source}, Marking: r.marking()}
	if r.rng.IntN(3) == 0 {
		a.CampaignID = pick(r.rng, r.campaigns)
	} else {
		a.IncidentID = pick(r.rng, r.incidents)
	}
	if _, err := trace.SaveAttribution(ctx, tx, a); err != nil {
		return fmt.Errorf("random attribution: %w", err)
	}
	r.attrs = append(r.attrs, a.ID)
	return nil
}

func (r *Random) deleteLink(ctx context.Context, tx *db.Tx) error {
	if len(r.harms) > 0 && (len(r.attrs) == 0 || r.rng.IntN(2) == 0) {
		i := r.rng.IntN(len(r.harms))
		id := r.harms[i]
		r.harms = slices.Delete(r.harms, i, i+1)
		return harm.Delete(ctx, tx, id)
	}
	if len(r.attrs) > 0 {
		i := r.rng.IntN(len(r.attrs))
		id := r.attrs[i]
		r.attrs = slices.Delete(r.attrs, i, i+1)
		return trace.DeleteAttribution(ctx, tx, id)
	}
	return r.newHarm(ctx, tx)
}

// Filter is a random filter over the values the random records take, one
// to three facets, sometimes with a search.
func (r *Random) Filter() map[string]string {
	facets := []func() (string, string){
		func() (string, string) { return "sector", pick(r.rng, Sectors) },
		func() (string, string) { return "country", pick(r.rng, Countries) },
		func() (string, string) { return "attack_type", pick(r.rng, Attacks) },
		func() (string, string) {
			return "determination", pick(r.rng, []string{"claimed", "suspected", "confirmed", "false-positive"})
		},
		func() (string, string) { return "since", fmt.Sprint(2019 + r.rng.IntN(6)) },
		func() (string, string) { return "until", fmt.Sprint(2019 + r.rng.IntN(6)) },
		func() (string, string) { return "actor", pick(r.rng, Actors) },
		func() (string, string) { return "campaign", pick(r.rng, Campaigns) },
		func() (string, string) { return "tlp", pick(r.rng, []string{"clear", "green", "amber"}) },
		func() (string, string) { return "q", pick(r.rng, Places) },
	}
	out := map[string]string{}
	for n := 1 + r.rng.IntN(3); n > 0; n-- {
		k, v := pick(r.rng, facets)()
		out[k] = v
	}
	return out
}
